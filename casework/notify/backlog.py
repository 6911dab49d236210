"""What the outbox holds now (for /healthz and the admin page), and its pruning.

A backlog is normal for a moment (a batch leaves every 30 s) and during quiet hours; an old
pending row or a growing failed count means a mail server or robot has been refusing for long.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from casework.storage.db import delete_in_batches, reading
from casework.storage.models import Case, Notification, User

log = logging.getLogger("casework.notify")
WAITING = ("pending", "sending")
PRUNE_BATCH = 1000  # rows per delete: keeps SQLite's write lock short (PITFALLS.md)
FAILURES_SHOWN = 20


def outbox_backlog(cw, now: datetime) -> dict:
    """Pending rows (waiting or being sent), the age of the oldest, the rows given up."""
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Notification.status, func.count(), func.min(Notification.created_at))
            .where(Notification.status.in_([*WAITING, "failed"]))
            .group_by(Notification.status)).all()
        retrying = session.execute(
            select(func.count()).select_from(Notification)
            .where(Notification.status == "pending", Notification.attempts > 0)).scalar_one()
    pending = sum(count for status, count, _ in rows if status in WAITING)
    oldest = min((first for status, _, first in rows if status in WAITING and first), default=None)
    return {
        "pending": pending,
        "retrying": retrying,
        "oldest_pending_at": oldest.isoformat() if oldest else None,
        "oldest_pending_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else None,
        "failed": sum(count for status, count, _ in rows if status == "failed"),
    }


def latest_failures(cw, area: str, limit: int = FAILURES_SHOWN) -> list[Notification]:
    """Rows given up, and rows waiting after a failed try, newest first, that concern ``area``:
    a case inside it, a digest to one of its users, or the robot (one for the whole system)."""
    inside = Case.village_code.startswith(area, autoescape=True)
    user_inside = select(User.email).where(User.area_code.startswith(area, autoescape=True),
                                           User.email.is_not(None))
    with reading(cw.engine) as session:
        return list(session.execute(
            select(Notification).outerjoin(Case, Case.id == Notification.case_id)
            .where(or_(Notification.status == "failed",
                       and_(Notification.status.in_(WAITING),
                            Notification.last_error.is_not(None))),
                   or_(inside, and_(Notification.case_id.is_(None),
                                    or_(Notification.channel == "webhook",
                                        Notification.recipient.in_(user_inside)))))
            .order_by(Notification.next_attempt_at.desc(), Notification.id.desc())
            .limit(limit)).scalars().all())


def prune_sent(cw, now: datetime, keep_days: int | None = None) -> int:
    """Delete the notifications sent more than ``keep_days`` (CASEWORK_OUTBOX_KEEP_DAYS) ago.

    Their events stay: the event is the record, the row only the means of sending it.  Rows
    that failed are kept for the administrator to see."""
    keep_days = keep_days or cw.settings.outbox_keep_days
    before = now - timedelta(days=keep_days)
    deleted = delete_in_batches(cw.engine, Notification, and_(
        Notification.status == "sent", Notification.sent_at < before), PRUNE_BATCH)
    if deleted:
        log.info("outbox: %d notifications sent before %s deleted", deleted, before.isoformat())
    return deleted
