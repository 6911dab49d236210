"""``GET /healthz``: is the database reachable; is the scheduler keeping time; the outbox.

503 when the database cannot be reached, and when the scheduler's lag (time since its last
scan beyond one interval) exceeds ``casework.scheduling.scheduler.max_lag``: a lease ttl plus one
interval,
the longest a healthy takeover takes (240 s late at the default 60 s interval).  A scheduler
that never scanned is not late (a fresh install); the admin page says so.  The outbox never
makes it 503: a mail server that is down delays notices, it does not stop the web app.

Anyone gets ``{"status": ...}`` and the status code, which is what a load balancer or an uptime
check needs.  The details (database, scheduler, outbox) need a login, a session or an API token
(monitoring uses a token of its own): how late the scheduler is tells an outsider when notices
go unsent.  Even then they name no holder, host or recipient: counts and times only.  The admin
page (/admin/scheduler) shows the rest.
"""

from __future__ import annotations

import logging

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework.notify.backlog import outbox_backlog
from casework.scheduling.scheduler import scheduler_status
from casework.storage.db import utcnow
from webui.context import casework

bp = Blueprint("health", __name__)
log = logging.getLogger("webui.health")
SCHEDULER_FIELDS = ("last_scan_at", "last_scan_seconds", "seconds_since_last_scan",
                    "interval_seconds", "lag_seconds", "max_lag_seconds", "late")


@bp.get("/healthz")
def healthz():
    cw = casework()
    scheduler = outbox = None
    try:
        with cw.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except SQLAlchemyError as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        database = False
    if database:
        now = utcnow()
        try:
            status = scheduler_status(cw, now=now)
            scheduler = {name: status[name] for name in SCHEDULER_FIELDS}
            outbox = outbox_backlog(cw, now)
        except SQLAlchemyError as exc:  # e.g. a schema older than the scheduler's table
            log.warning("health check: scheduler status unreadable (%s)", type(exc).__name__)
    late = bool(scheduler and scheduler["late"])
    body = {"status": "unavailable" if not database else "scheduler_late" if late else "ok"}
    if current_user.is_authenticated:
        body.update({"database": database,
                     "scheduler_last_scan": scheduler["last_scan_at"] if scheduler else None,
                     "scheduler": scheduler, "outbox": outbox})
    return body, 200 if database and not late else 503, {"Cache-Control": "no-store"}
