"""Queueing notifications in the transaction of the event they tell about.

``notify_event`` is called right after an event is appended.  It stages the event on the session
and writes the outbox rows when that session commits, in the same transaction: a refused or
rolled-back action queues nothing, and a committed event always has its messages.  Writing at
commit also lets the rows look at where the case ended: an event whose state a later event of
the same transaction already left tells nobody.  So a ledger import (intake, escalations and
the conclusion of a past case, in one transaction) mails no one, and an overdue mailbox letter
that the scan escalates by itself tells the congress once ("escalated"), not twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from casework.notify._quiet import exempt, quiet_until
from casework.notify.messages import case_message
from casework.people.access import unit_code
from casework.storage.models import Case, Event, Notification, User

# A case arrives at a unit (intake, escalate, assign) or its deadline nears or passes.
NOTIFYING = ("intake", "escalate", "assign", "warn", "overdue", "measure_overdue",
             "order_expiring")
ROBOT = "robot"  # the recipient of webhook rows: the URL (and its key) stays in the environment
_STAGED = "casework.notify.staged"
KEY_LENGTH = 320  # the column's size


def outbox_key(*parts: object) -> str:
    """The unique key of one message; a rare over-long one is shortened by a hash."""
    key = ":".join(map(str, parts))
    if len(key) <= KEY_LENGTH:
        return key
    return key[:KEY_LENGTH - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class _Staged:
    cw: object
    case: Case
    action: str
    seq: int
    to_level: str
    to_status: str
    now: datetime


def channels(cw) -> tuple[str, ...]:
    """The channels configured in the environment."""
    return tuple(name for name, url in (("email", cw.settings.smtp_url),
                                        ("webhook", cw.settings.webhook_url)) if url)


def notify_event(cw, session: Session, case: Case, appended: Event, *, now: datetime) -> None:
    """Queue the notifications of ``appended`` (an event of ``case``) in ``session``'s
    transaction; ``now`` is the real time, which quiet hours are about."""
    if appended.action not in NOTIFYING or not channels(cw):
        return
    if _STAGED not in session.info:
        session.info[_STAGED] = []
        event.listen(session, "before_commit", _write_staged)
        event.listen(session, "after_rollback", _forget_staged)
    session.info[_STAGED].append(_Staged(
        cw=cw, case=case, action=appended.action, seq=appended.seq,
        to_level=appended.to_level, to_status=appended.to_status, now=now))


def _forget_staged(session: Session) -> None:
    session.info.get(_STAGED, []).clear()


def _write_staged(session: Session) -> None:
    staged, session.info[_STAGED] = session.info.get(_STAGED, []), []
    for item in staged:
        case = item.case
        if (case.level, case.status) != (item.to_level, item.to_status):
            continue  # a later event of this transaction moved the case on
        if item.action == "intake" and case.status != "pending":
            continue  # resolved on the spot: nobody has to act
        insert_rows(session, _rows(item, session))


def _rows(item: _Staged, session: Session) -> list[dict]:
    cw, case = item.cw, item.case
    workflow = cw.workflow
    level = workflow.level(case.level)
    message = case_message(workflow, case, item.action)
    quiet = workflow.quiet_hours
    urgent = case.urgency in quiet.except_urgency if quiet else False
    start = None if exempt(quiet, case.urgency) else quiet_until(quiet, item.now)
    common = {"case_id": case.id, "subject": message.subject, "urgent": urgent,
              "status": "pending", "attempts": 0, "created_at": item.now,
              "next_attempt_at": start or item.now}
    rows = []
    if cw.settings.smtp_url:
        for address in recipients(session, level.roles,
                                  unit_code(case.village_code, level.unit)):
            rows.append({**common, "channel": "email", "recipient": address,
                         "event_key": outbox_key(case.id, item.seq, "email", address),
                         "body": message.text})
    if cw.settings.webhook_url:
        rows.append({**common, "channel": "webhook", "recipient": ROBOT,
                     "event_key": outbox_key(case.id, item.seq, "webhook", ROBOT),
                     "body": message.markdown})
    return rows


def recipients(session: Session, roles: Iterable[str], code: str) -> list[str]:
    """The e-mail addresses of the active users of unit ``code`` with one of ``roles``."""
    addresses = session.execute(
        select(User.email).where(User.active.is_(True), User.role.in_(list(roles)),
                                 User.area_code == code, User.email.is_not(None),
                                 User.email != "").order_by(User.id)).scalars()
    return unique_addresses(addresses)


def unique_addresses(addresses: Iterable[str]) -> list[str]:
    """Each address once (two accounts of one person share a mailbox), in their first order."""
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.strip().casefold(), address.strip())
    return list(seen.values())


def insert_rows(session: Session, rows: list[dict]) -> int:
    """Insert outbox rows; one whose event_key is there already is left out.  Returns how many
    were new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for row in rows:
        statement = insert(Notification).values(**row).on_conflict_do_nothing(
            index_elements=["event_key"]).returning(Notification.id)
        # rowcount is not reliable here (psycopg answers -1); a skipped row returns nothing.
        added += len(session.execute(statement).all())
    return added
