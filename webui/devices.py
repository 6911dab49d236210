"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

A browser where a user signed in keeps a signed cookie naming her and a random nonce, also
after logout.  A login from such a browser is judged by that nonce's own failure count; every
other client shares the user name's count.  So a stranger guessing from elsewhere locks out
only the clients without the cookie: the cadre's own computer still lets her in.  The cookie
is signed with the secret key (a forged or edited one is ignored), is sent to ``/login`` only,
and holds a few users (a shared office computer)."""

from __future__ import annotations

import secrets

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "casework_device"
DAYS = 180
MAX_USERS = 8


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="casework-device")


def _entries() -> dict[str, str]:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 4000:
        return {}
    try:
        entries = _serializer().loads(raw, max_age=DAYS * 86400)
    except BadSignature:
        return {}
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def _key(username: str) -> str:
    return username.strip().lower()


def trusted_nonce(username: str) -> str | None:
    """This browser's nonce for ``username``, when it holds a valid device cookie for her."""
    return _entries().get(_key(username))


def remember(response: Response, username: str) -> None:
    """After a good login: a new nonce for this user in this browser (OWASP: a fresh cookie
    at each success), keeping the other users' entries."""
    entries = {k: v for k, v in _entries().items() if k != _key(username)}
    entries[_key(username)] = secrets.token_urlsafe(16)
    kept = dict(list(entries.items())[-MAX_USERS:])
    response.set_cookie(
        COOKIE, _serializer().dumps(kept), max_age=DAYS * 86400, path="/login",
        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")
