"""Who is asking: the browser session (flask-login) or an API token (``Authorization: Bearer``).

The session holds the user's ``session_token``, not the user id (flask-login's "alternative
token", flask-login #155): a password change or a deactivation gives the user a new token, which
ends every session opened before it.  A session also ends after ``PERMANENT_SESSION_LIFETIME``
since login (a working day) and after ``SESSION_IDLE_TIMEOUT`` without a request.

API tokens are credentials of their own, for outside systems: a password change leaves them
working (the system that holds one did not learn the old password), a deactivation stops every
token of the user at once, and ``casework tokens revoke`` ends one.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import TooManyRequests, Unauthorized
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework.people.users import authenticate, user_by_session_token
from casework.people.users import user_for_token as user_by_api_token
from webui.context import casework
from webui.errors import wants_json

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.session_protection = "strong"
SEEN_RESOLUTION = 60  # seconds: how finely the idle limit is measured


class WebUser(UserMixin):
    """The logged-in user as the web layer needs it; never carries the password hash."""

    def __init__(self, user, *, via_token: bool = False) -> None:
        from casework.people.users import actor_of

        self.actor = actor_of(user)
        self.username = user.username
        self.role = user.role
        self.area_code = user.area_code
        self.via_token = via_token
        self._session_token = user.session_token

    def get_id(self) -> str:
        return self._session_token


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@login_manager.user_loader
def load_from_session(session_token: str) -> WebUser | None:
    if "Authorization" in request.headers:
        return None  # an explicit credential wins over a cookie (and is not CSRF-checked)
    if not _session_is_current(time.time()):
        _clear_keeping_language()
        return None
    user = user_by_session_token(casework(), session_token)
    return WebUser(user) if user else None


def _session_is_current(now: float) -> bool:
    """Within its lifetime since login and its idle limit since the last request; the last
    request's time is written at most once a minute, so most answers set no cookie."""
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if not all(isinstance(t, int | float) for t in (login_at, seen_at)):
        return False
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    if now - login_at > lifetime or now - seen_at > idle:
        return False
    if now - seen_at >= SEEN_RESOLUTION:
        session["seen_at"] = now
    return True


@login_manager.request_loader
def load_from_header(_request) -> WebUser | None:
    token = bearer_token()
    if token is None or len(token) > 200:
        return None
    user = user_by_api_token(casework(), token)
    return WebUser(user, via_token=True) if user else None


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        raise Unauthorized("log in, or send Authorization: Bearer TOKEN")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])


def _clear_keeping_language() -> None:
    """A fresh session (and CSRF token) at login and logout; the language choice stays."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would make a fine phishing link."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"  # a CR/LF would make the Location header itself invalid
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form, next=request.args.get("next", ""))
    throttle = current_app.extensions["casework_login_throttle"]
    username = (request.form.get("username") or "").strip()[:64]
    address = request.remote_addr or "unknown"
    wait = throttle.blocked_for(username, address)
    if wait:
        raise TooManyRequests("too many failed logins; try again later", retry_after=wait)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=request.form.get("next", ""),
                               error="enter a user name and a password"), 400
    user = authenticate(casework(), username, form.password.data)
    if user is None:
        throttle.failed(username, address)
        return render_template("auth/login.html", form=form, next=request.form.get("next", ""),
                               error="wrong user name or password"), 401
    throttle.succeeded(username, address)
    # A fresh session at login: nothing planted before it (a CSRF token) survives into it.
    _clear_keeping_language()
    login_user(WebUser(user))
    session["login_at"] = session["seen_at"] = time.time()
    return redirect(_safe_next(request.form.get("next") or request.args.get("next")))


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        logout_user()
    _clear_keeping_language()
    return redirect(url_for("auth.login"))
