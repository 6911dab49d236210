"""A user's own account: her open sessions (and ending the others), her password.

Every user has these pages, whatever her role.  After an administrator's reset the change page
is the only one she can open until she has chosen her own password (webui/auth.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from casework.errors import Invalid
from casework.people import sessions
from casework.people.account_changes import change_own_password
from casework.people.password_policy import MAX_LENGTH, MIN_LENGTH
from webui.auth import client_address, limits, start_session
from webui.context import casework

bp = Blueprint("account", __name__, url_prefix="/account")
MISMATCH = "the two new passwords differ"


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=MAX_LENGTH)])
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(_l("New password again"),
                            validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ConfirmForm(FlaskForm):
    """A button alone: only the CSRF token to check."""


@bp.before_request
@login_required
def signed_in():
    if current_user.via_token:  # pages of a browser session, not of an outside system
        return redirect(url_for("auth.login"))
    return None


@bp.get("")
def overview():
    rows = sessions.open_sessions(casework(), current_user.id, limits())
    return render_template("account/overview.html", rows=rows, here=current_user.record_id,
                           form=ConfirmForm())


@bp.post("/sessions/<int:record_id>/end")
def end_session(record_id: int):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("account.overview"), 303)
    if record_id != current_user.record_id:
        sessions.end_own_session(casework(), current_user.id, record_id,
                                 address=client_address())
        flash(_("That session has ended."), "success")
    return redirect(url_for("account.overview"), 303)


@bp.post("/sessions/end-others")
def end_others():
    if ConfirmForm().validate_on_submit():
        for row in sessions.open_sessions(casework(), current_user.id, limits()):
            if row.id != current_user.record_id:
                sessions.end_own_session(casework(), current_user.id, row.id,
                                         address=client_address())
        flash(_("Your other sessions have ended."), "success")
    return redirect(url_for("account.overview"), 303)


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = PasswordChangeForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            if form.password.data != form.confirm.data:
                form.confirm.errors = [*form.confirm.errors, MISMATCH]
            else:
                try:
                    user = change_own_password(
                        casework(), user_id=current_user.id,
                        current=form.current_password.data, new=form.password.data,
                        address=client_address())
                except Invalid as exc:
                    for name, why in exc.fields.items():
                        field = getattr(form, name, form.password)
                        field.errors = [*field.errors, why]
                else:
                    # Every session of hers ended with the change; this browser gets a new one.
                    start_session(user, own_device=current_user.own_device)
                    flash(_("Your password was changed; your other sessions have ended."),
                          "success")
                    return redirect(url_for("account.overview"), 303)
    return render_template("account/password.html", form=form, min_length=MIN_LENGTH,
                           forced=current_user.must_change_password), status
