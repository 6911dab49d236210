"""``/cases/NUMBER``: the case, its timeline, and one form per action this user may take.

A refused action never ends on an error page: the case page comes back as it is now, with what
went wrong (the case changed meanwhile, the action is no longer possible, a field is missing)."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from casework.errors import Forbidden, IllegalTransition, Invalid, StaleVersion
from casework.evidence import attachments
from casework.evidence.kinds import KINDS, MAX_BYTES
from casework.imports.areas import names_of
from casework.lifecycle import actions, cases
from casework.lifecycle.measure_rules import BODY_FIELDS as MEASURE_FIELDS
from casework.lifecycle.schemas import whole_number
from casework.scheduling.deadlines import SHANGHAI
from webui.cases import bp
from webui.cases.labels import action_name
from webui.cases.measure_forms import measure_forms
from webui.context import actor, casework

CHOICE_FIELDS = ("outcome", "agency", "satisfaction", "target_level")
# Actions with their own sections of the page (danger assessment, protective measures).
SPECIAL = ("assess", "measure")
# What the file picker offers: the kinds taken, by type and by extension (phones know HEIC and
# AMR by extension only).
ACCEPT = ",".join([*KINDS, *sorted({f".{ext}" for kind in KINDS.values()
                                   for ext in kind.extensions})])


@bp.get("/cases/<number>")
@login_required
def detail(number: str):
    return render_case(number)


@bp.post("/cases/<number>")
@login_required
def act(number: str):
    """Press one button of the case page (``action``, with the form's hidden ``version``)."""
    form = request.form
    action = form.get("action", "")
    version = form.get("version", "").strip()
    body: dict = {"action": action, "version": whole_number(version, 9)}
    body.update({name: form[name] for name in actions.FIELDS if form.get(name)})
    typed = {name: form[name] for name in actions.FIELDS if name in form}
    if action == "assess":
        screen = casework().workflow.risk
        body["answers"] = {q.id: bool(form.get(f"answers_{q.id}"))
                           for q in (screen.questions if screen else ())}
        typed["answers"] = body["answers"]
    elif action == "measure":
        body.update({name: form[name] for name in MEASURE_FIELDS if form.get(name)})
        typed.update({name: form[name] for name in MEASURE_FIELDS if name in form})
    # The page has several measure forms: the one pressed shows the errors.
    action = form.get("form_key", action) if action == "measure" else action
    try:
        actions.perform(casework(), actor(), number, body)
    except StaleVersion:
        message = _("The case changed while you were looking at it; here it is now. "
                    "Check it, then press the button again.")
        return render_case(number, 409, message, failed=(action, {}, typed))
    except IllegalTransition:
        message = _("This action is no longer possible for this case; here it is now.")
        return render_case(number, 409, message, failed=(action, {}, typed))
    except Forbidden:
        message = _("You may not do this on this case.")
        return render_case(number, 403, message, failed=(action, {}, typed))
    except Invalid as exc:
        message = _("Some fields need attention: see below.")
        return render_case(number, 422, message, failed=(action, exc.fields, typed))
    flash(_("Done: %(action)s.", action=action_name(body["action"])), "success")
    return redirect(url_for("cases.detail", number=number), 303)


@bp.post("/cases/<number>/phone")
@login_required
def reveal_phone(number: str):
    """The full number (and ID number), shown once on this answer; the look is an event."""
    return render_case(number, shown=cases.reveal_phone(casework(), actor(), number))


def render_case(number: str, status: int = 200, message: str | None = None, *,
                failed: tuple[str, dict, dict] | None = None, shown: dict | None = None):
    cw = casework()
    case = cases.case_detail(cw, actor(), number)  # NotFound (also: outside the area) is 404
    village = case["village_code"]
    places = names_of(cw, [village, village[:9]])
    return render_template(
        "cases/detail.html", case=case, message=message, shown=shown or {},
        evidence=attachments.list_attachments(cw, actor(), number),
        may_attach=attachments.may_attach(cw, actor(), number),
        max_bytes=MAX_BYTES, accept=ACCEPT,
        phone=(shown or {}).get("phone"),
        failed_action=failed[0] if failed else None,
        field_errors=failed[1] if failed else {}, typed=failed[2] if failed else {},
        forms=[action_form(cw.workflow, case, name) for name in case["allowed_actions"]
               if name not in SPECIAL],
        may_assess="assess" in case["allowed_actions"], risk_screen=cw.workflow.risk,
        measure_forms=measure_forms(case) if "measure" in case["allowed_actions"] else {},
        village=places.get(village, village), township=places.get(village[:9], ""),
        today=datetime.now(SHANGHAI).date().isoformat(),
    ), status


def action_form(workflow, case: dict, name: str) -> dict:
    """What the form of one action shows: its choice fields with their options, its number
    field, its text fields; all of them the action's ``needs`` in workflows.yaml."""
    spec = workflow.actions[name]
    options = {key: workflow.choices[key] for key in ("outcome", "agency", "satisfaction")}
    options["target_level"] = tuple(level for level in spec.target_levels
                                    if level != case["level"])
    return {
        "action": name,
        "choices": [(field, options[field]) for field in spec.needs if field in CHOICE_FIELDS],
        "numbers": [field for field in spec.needs if field == "days"],
        "texts": [field for field in spec.needs if field in ("note", "reason")],
        "max_days": actions.MAX_EXTENSION_DAYS,
    }
