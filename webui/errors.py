"""One mapping from failures to answers: ``{"error": CODE, "message": TEXT, ...}`` for the API
and API clients, a small HTML page for people.

Logs never carry the request body, the query or the exception's text: a database error's text
contains its parameters, which may be a petitioner's name or phone.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from casework.errors import (
    CaseworkError,
    Forbidden,
    IllegalTransition,
    Invalid,
    NotFound,
    StaleVersion,
    TooLarge,
)
from casework.privacy.crypto import DataKeyError

log = logging.getLogger("webui.errors")

# A data key that cannot open petitioners' data is the server's fault, not the client's: 503.
DOMAIN_STATUS = ((DataKeyError, 503), (TooLarge, 413), (Invalid, 422), (NotFound, 404),
                 (Forbidden, 403), (IllegalTransition, 409), (StaleVersion, 409))
HTTP_CODES = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 413: "too_large",
              415: "unsupported_media_type", 429: "too_many_requests", 503: "unavailable"}
JSON_PATHS = ("/api/", "/healthz", "/openapi.json")


def wants_json() -> bool:
    if request.path.startswith(JSON_PATHS) or "Authorization" in request.headers:
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def error_response(status: int, code: str, message: str, headers=None, **details):
    headers = dict(headers or {})
    if wants_json():
        return {"error": code, "message": message, **details}, status, headers
    try:
        page = render_template("error.html", status=status, code=code, message=message)
    except Exception:  # a broken page must not turn a 404 into a crash
        log.exception("the error page could not be rendered")
        page, headers["Content-Type"] = f"{status} {message}", "text/plain; charset=utf-8"
    return page, status, headers


def domain_error(exc: CaseworkError):
    status = next((s for cls, s in DOMAIN_STATUS if isinstance(exc, cls)), 400)
    if isinstance(exc, DataKeyError):  # the message names key ids, never data
        log.error("petitioners' data cannot be opened during %s %s: %s", request.method,
                  request.endpoint, exc.message)
    return error_response(status, exc.code, exc.message, **exc.details())


def http_error(exc: HTTPException):
    status = exc.code or 500
    code = "csrf" if isinstance(exc, CSRFError) else HTTP_CODES.get(
        status, (exc.name or "error").lower().replace(" ", "_"))
    headers = {key: value for key, value in exc.get_headers()
               if key.lower() not in ("content-type", "content-length")}
    if status == 401 and wants_json():
        headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return error_response(status, code, exc.description or exc.name, headers)


def database_unavailable(exc: OperationalError):
    log.warning("database unavailable during %s %s (%s)", request.method, request.endpoint,
                type(exc.orig).__name__)
    return error_response(503, "unavailable", "the database is not reachable; try again soon",
                          {"Retry-After": "30"})


def unexpected(exc: Exception):
    """The safety net.  Normal bad input never comes here (the e2e tests check that)."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("unexpected %s during %s %s\n%s", type(exc).__qualname__, request.method,
              request.endpoint, frames)
    return error_response(500, "internal", "something went wrong on our side; it was logged")


def register(app: Flask) -> None:
    app.register_error_handler(CaseworkError, domain_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(Exception, unexpected)
