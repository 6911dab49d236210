"""Who is asking: the browser session or an API token (``Authorization: Bearer``).

A browser session is a record on the server (casework.people.sessions): the cookie carries its
random id as flask-login's user id, and nothing else about the user.  Each request looks the
record up; logout, the idle limit, the 8 hours, a password change, a deactivation, the user
herself or an administrator end it there, so a copy of the cookie opens nothing afterwards.

API tokens are credentials of their own, for outside systems (casework.people.tokens).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casework.people import sessions
from casework.people.account_log import log_lockout
from casework.people.users import actor_of, authenticate
from casework.people.users import user_for_token as user_by_api_token
from webui import devices
from webui.context import casework
from webui.errors import wants_json

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.session_protection = "strong"
# What a user whose password was reset may still open before she changes it.
BEFORE_PASSWORD_CHANGE = {"account.password", "auth.logout", "auth.login", "static",
                          "bootstrap.static", "locale.choose_language", "health.healthz",
                          "offline.manifest", "offline.service_worker", "offline.state"}

CLEAR_SITE_DATA = '"cache", "storage"'


class WebUser(UserMixin):
    """The logged-in user as the web layer needs it; never carries the password hash."""

    def __init__(self, user, *, session_id: str = "", record_id: int | None = None,
                 via_token: bool = False, own_device: bool = False) -> None:
        self.actor = actor_of(user)
        self.id = user.id
        self.username = user.username
        self.role = user.role
        self.area_code = user.area_code
        self.must_change_password = user.must_change_password
        self.via_token = via_token
        self.session_id = session_id
        self.record_id = record_id
        self.own_device = own_device  # "this is my own phone" ticked at this session's login

    def get_id(self) -> str:
        return self.session_id


def limits() -> sessions.Limits:
    return sessions.Limits(lifetime=current_app.permanent_session_lifetime,
                           idle=current_app.config["SESSION_IDLE_TIMEOUT"])


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


@login_manager.user_loader
def load_from_session(session_id: str) -> WebUser | None:
    if "Authorization" in request.headers:
        return None  # an explicit credential wins over a cookie (and is not CSRF-checked)
    if not isinstance(session_id, str) or not 20 <= len(session_id) <= 100:
        return None
    found = sessions.live_user(casework(), session_id, limits())
    if found is None:
        _clear_keeping_language()
        return None
    return WebUser(found.user, session_id=session_id, record_id=found.record_id,
                   own_device=found.own_device)


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


@bp.before_app_request
def password_change_first():
    """After an administrator's reset the one-time password opens only the change page."""
    if request.endpoint in BEFORE_PASSWORD_CHANGE or not current_user.is_authenticated:
        return None
    if current_user.via_token or not current_user.must_change_password:
        return None
    if wants_json():
        raise Forbidden("change your password first, at /account/password")
    return redirect(url_for("account.password"))


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=1024)])
    # Unticked by default: a phone the family shares must keep nothing (DESIGN.md, "On a phone").
    own_device = BooleanField("own_device", default=False)


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


def start_session(user, *, own_device: bool = False) -> None:
    """Open a server-side session for ``user`` in this browser (login, password change)."""
    session_id = sessions.open_session(casework(), user, address=client_address(),
                                       browser=request.user_agent.string or "",
                                       own_device=own_device)
    # A fresh session at login: nothing planted before it (a CSRF token) survives into it.
    _clear_keeping_language()
    login_user(WebUser(user, session_id=session_id, own_device=own_device))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        return render_template("auth/login.html", form=form, next=request.args.get("next", ""))
    throttle = current_app.extensions["casework_login_throttle"]
    username = (request.form.get("username") or "").strip()[:64]
    address = client_address()
    device = devices.trusted_nonce(username)
    wait = throttle.blocked_for(username, address, device)
    if wait:
        raise TooManyRequests("too many failed logins; try again later", retry_after=wait)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=request.form.get("next", ""),
                               error="enter a user name and a password"), 400
    user = authenticate(casework(), username, form.password.data, address=address)
    if user is None:
        if throttle.failed(username, address, device):
            log_lockout(casework(), username, address=address,
                        detail={"clients": "this_device" if device else "without_device_cookie"})
        return render_template("auth/login.html", form=form, next=request.form.get("next", ""),
                               error="wrong user name or password"), 401
    throttle.succeeded(username, address, device)
    start_session(user, own_device=bool(form.own_device.data))
    target = (url_for("account.password") if user.must_change_password
              else _safe_next(request.form.get("next") or request.args.get("next")))
    response = redirect(target)
    devices.remember(response, user.username)
    return response


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and not current_user.via_token:
        sessions.logout(casework(), current_user.record_id, address=client_address())
    if current_user.is_authenticated:
        logout_user()
    _clear_keeping_language()
    response = redirect(url_for("auth.login"))
    # What this browser kept for reading offline (pages, queued notes, the service worker)
    # goes with the session; app.js wipes it too, for browsers that ignore this header.
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
