"""``POST /language``: the language a user picks in the page.  It is kept in the session, where
``webui.select_locale`` finds it before the browser's Accept-Language (DESIGN.md "Web pages")."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session
from werkzeug.exceptions import BadRequest

from webui.auth import _safe_next

bp = Blueprint("locale", __name__)
LANGUAGES = ("zh_CN", "en")


@bp.post("/language")
def choose_language():
    """Set ``locale`` (zh_CN or en) and go back to ``next``, a page of this site."""
    wanted = request.form.get("locale", "")
    if wanted not in LANGUAGES:
        raise BadRequest("the language must be zh_CN or en")
    session["locale"] = wanted
    return redirect(_back_to(request.form.get("next")), 303)


def _back_to(target: str | None) -> str:
    # A line break in a Location header is refused by Werkzeug (a 500): such a "page" is none.
    if not target or len(target) > 2000 or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    return _safe_next(target)
