"""Flask settings.  ``Config`` reads the environment once, when the app is made."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta

log = logging.getLogger("webui")

TRUE = ("1", "true", "yes", "on")
SESSION_HOURS = 8  # one working day; a shared office computer must not stay logged in overnight


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUE


MIN_SECRET_KEY = 32
# Values the documentation shows as placeholders or examples: whoever copies one has a key
# everyone who read the docs knows, and can sign a session cookie of her own.
DOCUMENTED_SECRET_KEYS = frozenset({
    "change-me", "changeme", "replace-with-64-hex-characters", "secret", "dev", "test-secret-key",
    "replace-with-a-long-random-value",
})


def secret_key_problem(value: str | None) -> str | None:
    """Why ``value`` cannot sign the sessions of a real server, in one sentence; None if it can
    (or is unset: then a random key is used, see ``_secret_key``)."""
    if not value:
        return None
    if value.strip().lower() in DOCUMENTED_SECRET_KEYS:
        return ("CASEWORK_SECRET_KEY is an example from the documentation; make one with "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    if len(value) < MIN_SECRET_KEY:
        return (f"CASEWORK_SECRET_KEY must be at least {MIN_SECRET_KEY} characters long; make one "
                "with python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return None


def _secret_key(configured: str | None) -> str:
    if configured:
        return configured
    # Without a fixed key every restart (and every gunicorn worker) signs sessions differently,
    # so logins do not survive; fine for a try-out, wrong for production.
    log.warning("CASEWORK_SECRET_KEY is not set and there is no session secret file: using a "
                "random key; sessions end at restart and do not work across several workers "
                "(`casework init` makes the file)")
    return secrets.token_hex(32)


class Config:
    """Production defaults.  Cookies are Secure when the site is served over HTTPS."""

    def __init__(self, secret_key: str | None = None) -> None:
        secure = _flag("CASEWORK_SECURE_COOKIES")
        self.SECRET_KEY = _secret_key(os.environ.get("CASEWORK_SECRET_KEY") or secret_key)
        self.SESSION_COOKIE_NAME = "casework_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = secure
        # Flask checks the cookie's signed timestamp against this on every request, whether
        # or not the session is "permanent"; auth.py also checks the login time itself.
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_HOURS)
        # Idle limit: long enough for a quiet spell on the hotline, short enough that a
        # computer left logged in at the end of the day is not open to the next person.
        self.SESSION_IDLE_TIMEOUT = timedelta(
            minutes=int(os.environ.get("CASEWORK_SESSION_IDLE_MINUTES", "120")))
        # No "remember me" is offered; should a remember cookie ever appear, it is short-lived.
        self.REMEMBER_COOKIE_DURATION = timedelta(hours=SESSION_HOURS)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.PREFERRED_URL_SCHEME = "https" if secure else "http"
        self.MAX_CONTENT_LENGTH = 1024 * 1024  # a petition is text; a megabyte is plenty
        # A hotline page stays open all shift: the CSRF token lives as long as the session.
        self.WTF_CSRF_TIME_LIMIT = SESSION_HOURS * 3600
        self.BABEL_DEFAULT_LOCALE = "zh_CN"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
        self.LANGUAGES = ["zh_CN", "en"]
        self.BOOTSTRAP_SERVE_LOCAL = True  # county offices may have no internet: no CDN
        # Login throttling (see throttle.py): failures per user name and per client address.
        self.LOGIN_FAILURES_PER_USER = int(os.environ.get("CASEWORK_LOGIN_FAILURES", "10"))
        # Higher per address: a township office puts all its staff behind one NAT address.
        self.LOGIN_FAILURES_PER_IP = int(os.environ.get("CASEWORK_LOGIN_FAILURES_PER_IP", "50"))
        self.LOGIN_FAILURE_WINDOW = int(os.environ.get("CASEWORK_LOGIN_WINDOW", "900"))
        # How many reverse proxies to trust for X-Forwarded-For/-Proto (0: none).
        self.PROXIES = int(os.environ.get("CASEWORK_PROXIES", "0"))


class TestConfig(Config):
    def __init__(self, secret_key: str | None = None) -> None:
        super().__init__(secret_key or "test-secret-key")
        self.TESTING = True
        self.WTF_CSRF_ENABLED = False
