"""``GET /healthz``: is the database reachable; when did the scheduler last scan."""

from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework.scheduler import scheduler_status
from webui.context import casework

bp = Blueprint("health", __name__)
log = logging.getLogger("webui.health")


@bp.get("/healthz")
def healthz():
    cw = casework()
    last_scan = None
    try:
        with cw.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        database = False
    if database:
        try:
            last_scan = scheduler_status(cw)["last_scan_at"]
        except SQLAlchemyError as exc:  # e.g. a schema older than the scheduler's table
            log.warning("health check: scheduler status unreadable (%s)", type(exc).__name__)
    body = {"status": "ok" if database else "unavailable", "database": database,
            "scheduler_last_scan": last_scan}
    return body, 200 if database else 503, {"Cache-Control": "no-store"}
