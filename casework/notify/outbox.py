"""The outbox sender: ``deliver_due`` sends the rows that are due, each at most once.

For each row: claim it in a short transaction (an UPDATE that only one sender can win), send it
outside any transaction (no mail or HTTP while holding SQLite's write lock, PITFALLS.md), then
record the result in another short transaction.  A failed row goes back to pending with a
backoff (1, 2, 4 ... minutes, at most an hour).  A server that cannot be reached is an outage:
its rows wait and are never given up.  A server that keeps refusing a row (a bad address, a
robot that says no) gets ``MAX_ATTEMPTS`` tries; then the row is ``failed`` and logged.

The one way a message can go out twice: the SMTP server (or the robot) accepted it and this
process died before it recorded "sent".  A claim older than ``CLAIM_TTL`` is taken as such a
crash and the row is sent again, because a lost notice about a violence case costs more than a
repeated one; the repeated mail has the same Message-ID (channels.py).  No protocol closes that
window: the server's acceptance and our commit are two systems' writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from casework.notify._channels import Mailer, Robot, SendFailed
from casework.notify._quiet import quiet_until
from casework.notify.queue import channels
from casework.storage.db import reading, writing
from casework.storage.models import Notification

log = logging.getLogger("casework.notify")
BATCH = 200  # rows per run; the job runs every 30 s, so a backlog drains at 400 a minute
MAX_ATTEMPTS = 20
MAX_BACKOFF = timedelta(hours=1)
# Far longer than a send can take (SMTP timeouts are 20 s per step): a claim this old means the
# sender died.
CLAIM_TTL = timedelta(minutes=10)


@dataclass
class Delivery:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``th failed try: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 10)), MAX_BACKOFF)


def _due(now: datetime, quiet: bool):
    condition = or_(
        and_(Notification.status == "pending", Notification.next_attempt_at <= now),
        and_(Notification.status == "sending", Notification.claimed_until <= now))
    # At night only emergencies go out; the rest wait for the morning.
    return and_(condition, Notification.urgent.is_(True)) if quiet else condition


def deliver_due(cw, now: datetime) -> Delivery:
    """Send the rows due at ``now`` (up to ``BATCH``); safe to run in several processes."""
    result = Delivery()
    configured = channels(cw)
    if not configured:
        return result
    quiet = quiet_until(cw.workflow.quiet_hours, now) is not None
    with reading(cw.engine) as session:
        due = session.execute(
            select(Notification.id, Notification.channel)
            .where(_due(now, quiet), Notification.channel.in_(configured))
            .order_by(Notification.next_attempt_at, Notification.id).limit(BATCH)).all()
    if not due:
        return result
    try:
        senders = {"email": Mailer(cw.settings.smtp_url) if cw.settings.smtp_url else None,
                   "webhook": Robot(cw.settings.webhook_url) if cw.settings.webhook_url else None}
    except ValueError as exc:
        log.error("notifications not sent: %s", exc)
        return result
    down: set[str] = set()
    try:
        for row_id, channel in due:
            if channel in down:
                continue  # down a moment ago: don't wait for its timeout once per row
            row = _claim(cw, row_id, now, quiet)
            if row is None:
                continue  # another sender has it, or it was sent meanwhile
            try:
                senders[channel].send(row)
            except SendFailed as exc:
                if exc.channel_down:
                    down.add(channel)
                gave_up = _record_failure(cw, row, now, exc)
                result.failed += gave_up
                result.retried += not gave_up
            except Exception as exc:  # a bug must not stop the other rows
                log.exception("notification %s: unexpected error", row_id)
                gave_up = _record_failure(cw, row, now, SendFailed(repr(exc), refused=True))
                result.failed += gave_up
                result.retried += not gave_up
            else:
                _record_sent(cw, row, now)
                result.sent += 1
    finally:
        mailer = senders["email"]
        if mailer is not None:
            mailer.close()
    if result.sent or result.retried or result.failed:
        log.info("notifications: %d sent, %d to retry, %d failed", result.sent, result.retried,
                 result.failed)
    return result


def _claim(cw, row_id: int, now: datetime, quiet: bool) -> Notification | None:
    with writing(cw.engine) as session:
        won = session.execute(
            update(Notification).where(Notification.id == row_id, _due(now, quiet))
            .values(status="sending", claimed_until=now + CLAIM_TTL)).rowcount
        if won != 1:
            return None
        return session.get(Notification, row_id)


def _record_sent(cw, row: Notification, now: datetime) -> None:
    with writing(cw.engine) as session:
        session.execute(
            update(Notification).where(Notification.id == row.id,
                                       Notification.status == "sending")
            .values(status="sent", sent_at=now, attempts=row.attempts + 1, claimed_until=None,
                    last_error=None))


def _record_failure(cw, row: Notification, now: datetime, exc: SendFailed) -> bool:
    """Put the row back for a later try, or give it up; True when given up."""
    attempts = row.attempts + 1
    give_up = exc.refused and attempts >= MAX_ATTEMPTS
    with writing(cw.engine) as session:
        session.execute(
            update(Notification).where(Notification.id == row.id,
                                       Notification.status == "sending")
            .values(status="failed" if give_up else "pending", attempts=attempts,
                    next_attempt_at=now + backoff(attempts), claimed_until=None,
                    last_error=str(exc)[:500]))
    level = logging.ERROR if give_up else logging.WARNING
    log.log(level, "notification %s (%s) %s after %d attempts: %s", row.id, row.channel,
            "failed" if give_up else "will be retried", attempts, exc)
    return give_up
