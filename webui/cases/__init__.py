"""The case pages of DESIGN.md ("Web pages"): the worklist, the case list, the hotline intake
form and the case page.  Routes parse the form, call one service of casework/, and render."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from webui.cases import labels
from webui.context import casework

bp = Blueprint("cases", __name__)


@bp.record_once
def _register_labels(state) -> None:
    labels.register(state.app)


@bp.after_request
def no_store(response: Response) -> Response:
    # Case pages carry petitioners' data: no shared or browser cache may keep a copy.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_context_processor
def navigation() -> dict:
    """The layout's links, by role: the report pages for roles that read reports, the admin
    pages for admins (their routes belong to the reports and admin blueprints)."""
    out = {"nav_here": _here(), "nav_links": [], "nav_role": ""}
    if not current_user.is_authenticated:
        return out
    workflow = casework().workflow
    role = workflow.roles.get(current_user.role)
    out["nav_role"] = role.name.get(labels.locale()) if role else current_user.role
    links: list[tuple[str, str]] = []
    if role is not None and role.sees_cases:
        links += [("/", _("Worklist")), ("/cases", _("Cases"))]
        if current_user.role in workflow.intake_roles:
            links.append(("/cases/new", _("New case")))
    if role is not None and role.reads_reports:
        links += [("/reports/monthly", _("Monthly report")),
                  ("/reports/period", _("Report over a period"))]
    from casework.imports.ledger import IMPORT_ROLES

    if current_user.role in IMPORT_ROLES:
        links.append(("/imports/ledger", _("Import ledger")))
    links.append(("/workflow", _("Workflow")))
    if current_user.role == "admin":
        links += [("/admin/users", _("Users")), ("/admin/areas", _("Areas")),
                  ("/admin/account-events", _("Account log")),
                  ("/admin/scheduler", _("Scheduler"))]
    current = max((href for href, _label in links if request.path == href
                   or (href != "/" and request.path.startswith(href + "/"))),
                  key=len, default=None)
    out["nav_links"] = [{"href": href, "label": label, "active": href == current}
                         for href, label in links]
    return out


def _here() -> str:
    """Where the language switch comes back to: this page, or for a POST's answer the page
    that GETs the same thing (the case page after pressing one of its buttons)."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    if request.endpoint in ("cases.act", "cases.reveal_phone", "cases.add_attachments"):
        return request.path.removesuffix("/phone").removesuffix("/attachments")
    return "/"


from webui.cases import detail, evidence, intake, worklist  # noqa: E402,F401  (the routes)
