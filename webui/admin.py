"""Admin pages (``/admin/users``, ``/admin/account-events``, ``/admin/areas``,
``/admin/scheduler``): accounts and their log, the area list, and whether the deadlines and
notices are running.

An administrator manages the users and areas inside her own area; she reads reports but never
case files.  The scheduler page shows the whole system's scan and outbox counts, and the failed
notices of her own area only (they name staff addresses and case numbers).  Every form
carries a CSRF token; a refused form writes nothing and is shown again with the reason next to
the field it concerns.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from casework.errors import Invalid
from casework.imports import areas
from casework.notify.backlog import latest_failures, outbox_backlog
from casework.people import account_changes, users
from casework.people.account_log import MAX_PER_PAGE, list_account_events
from casework.scheduling.scheduler import scheduler_status
from casework.storage.db import utcnow
from webui.auth import client_address
from webui.context import actor, casework

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50
# The core names the area field "area"; the form (and the CLI) call it area_code.
FIELD_OF = {"area": "area_code"}
KIND_NAMES = {
    "user_created": _l("account created"), "user_changed": _l("account changed"),
    "password_changed": _l("password changed"), "password_reset": _l("password reset"),
    "token_created": _l("API token made"), "token_revoked": _l("API token revoked"),
    "login": _l("logged in"), "login_failed": _l("failed login"), "logout": _l("logged out"),
    "session_ended": _l("session ended"), "locked": _l("locked out"),
}


@bp.app_template_global()
def account_event_kind(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    area_code = StringField(_l("Area code"), validators=[DataRequired(), Length(max=12)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=255)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ChangeForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    area_code = StringField(_l("Area code"), validators=[DataRequired(), Length(max=12)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class ConfirmForm(FlaskForm):
    """A button alone (deactivate, activate): only the CSRF token to check."""


class AreasForm(FlaskForm):
    file = FileField(_l("Area file (CSV: code,name,parent_code)"),
                     validators=[FileRequired(), FileAllowed(["csv", "xlsx"])])


@bp.before_request
@login_required
def admins_only():
    users.managed_area(actor())  # Forbidden (a 403 page) for every other role


def _user_form() -> UserForm:
    form = UserForm()
    locale = str(get_locale() or "zh_CN")
    form.role.choices = [(role.id, role.name.get(locale))
                         for role in casework().workflow.roles.values()]
    return form


def _refused(form: FlaskForm, exc: Invalid) -> None:
    """The core's reasons, shown beside the fields they concern."""
    for name, why in exc.fields.items():
        field = getattr(form, FIELD_OF.get(name, name), None)
        if field is None:
            form.form_errors.append(why)
        else:
            field.errors = [*field.errors, why]


def _users_page(form: UserForm | None = None, status: int = 200, problem: str = ""):
    # Clamped: an absurd page number must give an empty page, not a database overflow.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    rows, total = users.list_users(casework(), by=actor(), page=page, per_page=PER_PAGE)
    return render_template(
        "admin/users.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
        form=form or _user_form(), roles=casework().workflow.roles,
        locale=str(get_locale() or "zh_CN"), problem=problem, me=actor().username), status


@bp.get("/users")
def user_list():
    return _users_page()


@bp.post("/users")
def add_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = users.add_user_by(
                casework(), by=actor(), username=form.username.data.strip(),
                role=form.role.data, area_code=form.area_code.data.strip(),
                email=(form.email.data or "").strip() or None, password=form.password.data,
                address=client_address())
        except Invalid as exc:
            _refused(form, exc)
        else:
            flash(_("User %(name)s was added.", name=user.username), "success")
            return redirect(url_for("admin.user_list"), 303)
    return _users_page(form, 422)


@bp.post("/users/<username>/password")
def reset_password(username: str):
    form = PasswordForm()
    problem = _("Enter a new password.")
    if form.validate_on_submit():
        try:
            account_changes.set_password(casework(), by=actor(), username=username,
                                         password=form.password.data, address=client_address())
        except Invalid as exc:
            problem = "; ".join(exc.fields.values())
        else:
            flash(_("%(name)s has a one-time password now, to be changed at the next login; "
                    "their sessions have ended.", name=username), "success")
            return redirect(url_for("admin.user_list"), 303)
    return _users_page(status=422, problem=f"{username}: {problem}")


@bp.post("/users/<username>/<any(deactivate, activate):change>")
def set_active(username: str, change: str):
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _users_page(status=400, problem=_("The form has expired; try again."))
    try:
        account_changes.set_active(casework(), by=actor(), username=username,
                                   active=change == "activate", address=client_address())
    except Invalid as exc:
        return _users_page(status=422, problem="; ".join(exc.fields.values()))
    flash(_("%(name)s was deactivated.", name=username) if change == "deactivate"
          else _("%(name)s was activated.", name=username), "success")
    return redirect(url_for("admin.user_list"), 303)


@bp.post("/users/<username>/change")
def change_user(username: str):
    form = ChangeForm()
    form.role.choices = [(role, role) for role in casework().workflow.roles]
    if not form.validate_on_submit():
        return _users_page(status=422, problem=_("Choose a role and an area code."))
    try:
        account_changes.change_user(casework(), by=actor(), username=username,
                                    role=form.role.data, area_code=form.area_code.data.strip(),
                                    address=client_address())
    except Invalid as exc:
        return _users_page(status=422, problem="; ".join(exc.fields.values()))
    flash(_("%(name)s was changed.", name=username), "success")
    return redirect(url_for("admin.user_list"), 303)


@bp.post("/users/<username>/sessions/end")
def end_sessions(username: str):
    if not ConfirmForm().validate_on_submit():
        return _users_page(status=400, problem=_("The form has expired; try again."))
    count = account_changes.end_sessions_of(casework(), by=actor(), username=username,
                                            address=client_address())
    flash(_("%(count)d sessions of %(name)s have ended.", count=count, name=username),
          "success")
    return redirect(url_for("admin.user_list"), 303)


@bp.get("/account-events")
def account_events():
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    per_page = min(max(request.args.get("per_page", PER_PAGE, type=int) or PER_PAGE, 1),
                   MAX_PER_PAGE)
    username = (request.args.get("user") or "").strip()[:64] or None
    rows, total = list_account_events(casework(), area=users.managed_area(actor()),
                                      username=username, page=page, per_page=per_page)
    return render_template("admin/account_events.html", rows=rows, total=total, page=page,
                           per_page=per_page, user=username or "")


def _areas_page(form: AreasForm | None = None, status: int = 200):
    lineage, children = areas.list_areas(casework(), by=actor(),
                                         under=request.args.get("area") or None)
    return render_template("admin/areas.html", lineage=lineage, children=children,
                           form=form or AreasForm()), status


@bp.get("/areas")
def area_list():
    return _areas_page()


@bp.post("/areas")
def import_areas():
    form = AreasForm()
    if form.validate_on_submit():
        upload = form.file.data
        suffix = ".xlsx" if (upload.filename or "").lower().endswith(".xlsx") else ".csv"
        try:
            with tempfile.TemporaryDirectory() as folder:
                # import_areas reads a path (as the CLI does); the file lives only for this call.
                path = Path(folder) / f"areas{suffix}"
                upload.save(path)
                count = areas.import_areas_by(casework(), by=actor(), path=path)
        except Invalid as exc:
            _refused(form, exc)
        else:
            flash(_("%(count)d areas were imported.", count=count), "success")
            return redirect(url_for("admin.area_list", area=request.args.get("area")), 303)
    return _areas_page(form, 422)


@bp.get("/scheduler")
def scheduler_page():
    cw, now = casework(), utcnow()
    return render_template(
        "admin/scheduler.html", status=scheduler_status(cw, now=now),
        outbox=outbox_backlog(cw, now),
        failures=latest_failures(cw, users.managed_area(actor())))
