"""The installable app and its offline reading (DESIGN.md, "On a phone").

``/manifest.webmanifest`` makes the site installable; ``/sw.js`` is the service worker, served
from the root so its scope is the whole site; ``/offline/state`` tells the page whether this
session may keep anything.  The server alone decides what may be kept: a page answer carries
``Casework-Offline: keep`` only when it is the worklist or a case page, read in a session whose
user ticked "this is my own phone" at login.  The service worker keeps nothing else, so the
full phone number (shown on a POST's answer), attachments, reports and admin pages never
enter the phone's cache."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, send_from_directory, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

bp = Blueprint("offline", __name__)
KEEP_HEADER = "Casework-Offline"
# GET pages a cadre reads in the field; their answers hold masked phones only.
KEEPABLE = frozenset({"cases.worklist", "cases.detail"})
NAME = "妇联维权 Casework"  # the name under the icon: the federation's word, then ours


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    body = {
        "name": NAME, "short_name": "妇联维权", "lang": "zh-CN",
        "start_url": url_for("cases.worklist"), "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#b02a37",
        "icons": [{"src": url_for("static", filename=f"offline/icon-{size}.png"),
                   "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
                  for size in (192, 512)],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    response = send_from_directory(current_app.static_folder + "/offline", "sw.js",
                                   mimetype="text/javascript", max_age=0)
    # A new version must reach every phone at its next visit: the browser asks each time.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/state")
def state() -> Response:
    """Whether this browser may keep pages and a queue, for whom, and a CSRF token to send the
    queue with (the one in a page kept for hours may be older than the session's)."""
    signed_in = current_user.is_authenticated and not current_user.via_token
    own = bool(signed_in and current_user.own_device)
    body = {"signed_in": signed_in, "own_device": own,
            "user": current_user.username if signed_in else None,
            "csrf_token": generate_csrf() if own else None}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def mark_keepable(response: Response) -> Response:
    if (request.method == "GET" and request.endpoint in KEEPABLE
            and response.status_code == 200 and current_user.is_authenticated
            and not current_user.via_token and current_user.own_device):
        response.headers[KEEP_HEADER] = "keep"
    return response


def register(app) -> None:
    app.register_blueprint(bp)
    app.after_request(mark_keepable)
