"""``/cases/new``: the hotline intake form (keyboard first; see templates/cases/new.html)."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from casework.errors import Forbidden, Invalid
from casework.imports.areas import names_of, search_villages
from casework.lifecycle import intake
from casework.lifecycle.case_lists import OPEN_STATUSES
from casework.people.access import require_case_reader
from webui.cases import bp
from webui.cases.forms import IntakeForm
from webui.cases.labels import VOCABULARY, level_name, locale, status_name
from webui.context import actor, casework

VILLAGE_CODE = re.compile(r"[0-9]{12}")


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def new_case():
    cw, me = casework(), actor()
    require_case_reader(cw.workflow, me)
    if me.role not in cw.workflow.intake_roles:
        raise Forbidden("this role may not log new petitions")
    form = IntakeForm()
    form.use_workflow(cw.workflow, locale())
    problems: list[str] = []
    answers = form.risk_answers(cw.workflow, request.form) if request.method == "POST" else None
    refused = False
    if form.validate_on_submit():
        code = village_of(form)
        if code is not None:
            try:
                case = intake.receive(cw, me, form.body(code, answers))
            except Invalid as exc:
                problems = form.add_errors(exc.fields)
            except Forbidden:
                # A level above her own unit, or resolving on the spot where her role may not
                # resolve (casework.lifecycle.intake.check_recorder_may): nothing was written.
                refused = True
                problems = [_("You may not log a petition at that level, or resolve it on the "
                              "spot there: send it to your own level, or leave it pending.")]
            else:
                flash(_("Case %(number)s was logged.", number=case.number), "success")
                return redirect(url_for("cases.detail", number=case.number), 303)
    status = 403 if refused else 422 if form.errors or problems or form.risk_answers_error \
        else 200
    return render_template("cases/new.html", form=form, problems=problems,
                           risk_screen=cw.workflow.risk, risk_ticked=answers or {},
                           village=_village_hint(form.village_code.data),
                           screen_pop=_screen_pop()), status


def village_of(form: IntakeForm) -> str | None:
    """The village code the operator meant.  Without JavaScript she may type a name or pinyin
    initials instead of picking from the list: one match is taken, several are listed."""
    typed = (form.village_code.data or "").strip()
    if VILLAGE_CODE.fullmatch(typed):
        return typed
    found = search_villages(casework(), actor(), typed, limit=6)
    exact = [village for village in found if village["name"] == typed]
    if len(found) == 1 or len(exact) == 1:
        chosen = (exact or found)[0]["code"]
        form.village_code.data = chosen
        return chosen
    if not found:
        message = _("No village of your area matches “%(typed)s”.", typed=typed)
    else:
        message = _("Several villages match; pick one: %(villages)s", villages="; ".join(
            f"{v['name']} ({v['township'] or ''} {v['code']})" for v in found[:5]))
    form.village_code.errors = [*form.village_code.errors, message]
    return None


def _village_hint(code: str | None) -> str:
    """The name beside a chosen village code, so the operator sees she picked the right one."""
    if not code or not VILLAGE_CODE.fullmatch(code.strip()):
        return ""
    names = names_of(casework(), [code, code[:9]])
    if code not in names:
        return ""
    return f"{names[code]}, {names.get(code[:9], '')}".rstrip(", ")


def _screen_pop() -> dict:
    """What static/cases/intake.js needs to show a caller's cases in the page's language."""
    workflow = casework().workflow
    return {
        "categories": {key: str(value) for key, value in VOCABULARY["category"].items()},
        "levels": {level.id: level_name(level.id) for level in workflow.levels},
        "statuses": {status: status_name(status) for status in workflow.statuses},
        "open": list(OPEN_STATUSES),
        "text": {
            "hint": _("They appear here as the phone number is typed (7 digits or more)."),
            "none": _("No earlier cases of this number in your area."),
            "found": _("Earlier cases: %(num)s", num="%(num)s"),
            "failed": _("The earlier cases could not be looked up; try again."),
            "number": _("Number"), "received": _("Received"), "category": _("Category"),
            "status": _("Status"), "phone": _("Phone"),
        },
    }
