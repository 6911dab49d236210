"""The one way a case changes: append an event and project it onto the row, in one transaction,
under the case's version (two cadres escalating at once give one escalation).

Two ways to write it, the same rows: ``append`` on an ORM session (intake, the scan, views, the
ledger import) and ``append_row`` on the driver path of ``actions.perform``
(casework/lifecycle/_driver.py);
tests/integration/test_action_driver.py checks that they store the same bytes.

Both seal the event's texts (its note, the narrative fields of its data) under the data key
after its hash is taken over the plaintext (casework/privacy/narratives.py), so every path that
appends an event, today's and tomorrow's, stores none of them in clear.

Both chain the event to the case's last one (casework/lifecycle/chain.py) from the case row's
``last_hash``, which the same versioned UPDATE moves on: no further read, and a concurrent
writer that chained to the same head is refused as stale with it."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from casework.errors import Invalid, StaleVersion
from casework.lifecycle._driver import CaseRow, DriverTransaction
from casework.lifecycle.chain import link
from casework.lifecycle.projection import assignments, project, projected_columns
from casework.people.access import Actor
from casework.privacy.narratives import stored_event
from casework.scheduling.deadlines import Deadline
from casework.storage.models import Case, Event


def event_values(
    case: Case | None, *, action: str, actor: Actor, at: datetime, to_level: str,
    to_status: str, due_at: datetime | None, warn_at: datetime | None, note: str = "",
    data: dict | None = None, deadline_met: bool | None = None, village_code: str | None = None,
) -> dict:
    """The column values of the next event of ``case`` (or of the first event of a new case
    when ``case`` is None), as a plain dict: what the driver path inserts."""
    return {
        "case_id": case.id if case else 0,
        "seq": (case.last_event_seq + 1) if case else 1,
        "action": action,
        "from_level": case.level if case else None,
        "from_status": case.status if case else None,
        "to_level": to_level,
        "to_status": to_status,
        "actor_id": actor.id,
        "actor": actor.username,
        "at": at,
        "note": note,
        "data": data or {},
        "due_at": due_at,
        "warn_at": warn_at,
        "deadline_met": deadline_met,
        "village_code": case.village_code if case else village_code,
        "prev_hash": None,  # set by the append that writes it (chain.link)
        "hash": None,
    }


def new_event(case: Case | None, *, deadline: Deadline | None, **kwargs) -> Event:
    """The next event of ``case`` as an ``Event`` (for the ORM paths: intake, scan, views)."""
    return Event(**event_values(case, due_at=deadline.due_at if deadline else None,
                                warn_at=deadline.warn_at if deadline else None, **kwargs))


def current_deadline(case: Case) -> Deadline | None:
    """The deadline in force, for events that keep it (notes, warnings, views)."""
    if case.due_at is None:
        return None
    return Deadline(due_at=case.due_at, warn_at=case.warn_at or case.due_at)


def changes(case, event: dict) -> dict:
    """The columns of ``case`` that ``event`` (its column values) changes: its projection and
    the chain head.  Chains the event (sets its ``prev_hash`` and ``hash``)."""
    if event["at"] < case.last_event_at:
        # Reports replay a case's events up to a moment; that needs them in time order.
        raise Invalid({"at": "a case's events cannot be dated before its last event"})
    changed = {name: value for name, value in assignments(event).items()
               if getattr(case, name) != value}
    changed["last_hash"] = link(case.number, case.last_hash, event)
    return changed


def append(session: Session, case: Case, event: Event) -> Event:
    """Write ``event`` and its projection onto ``case``; StaleVersion if the row moved on."""
    row = _row(event)
    changed = changes(case, row)
    # Core statements on the session's connection: the ORM-enabled UPDATE and bulk INSERT
    # paths cost several times the SQL itself.
    connection = session.connection()
    result = connection.execute(_update_for(tuple(changed)),
                                {**changed, "_id": case.id, "_version": case.version})
    if result.rowcount != 1:
        raise _stale(case)
    connection.execute(EVENTS.insert(), [stored_event(connection.engine, row)])
    for name, value in changed.items():
        set_committed_value(case, name, value)
    event.prev_hash, event.hash = row["prev_hash"], row["hash"]
    return event


def append_row(tx: DriverTransaction, case: CaseRow, event: dict) -> None:
    """``append`` on the driver path: ``event`` is the dict of ``event_values``; the new
    projection is set on ``case``."""
    changed = changes(case, event)
    if tx.update_case(case.id, case.version, changed) != 1:
        raise _stale(case)
    tx.insert_event(stored_event(tx.engine, event))
    for name, value in changed.items():
        setattr(case, name, value)


def _stale(case) -> StaleVersion:
    return StaleVersion("the case was changed by someone else; reload it",
                        version=case.version, allowed_actions=[])


CASES = Case.__table__
EVENTS = Event.__table__
EVENT_COLUMNS = [column.name for column in EVENTS.columns if column.name != "id"]


@functools.cache
def _update_for(columns: tuple[str, ...]):
    """The versioned UPDATE of these columns, built once per set of columns."""
    return (CASES.update()
            .where(CASES.c.id == bindparam("_id"), CASES.c.version == bindparam("_version"))
            .values({name: bindparam(name) for name in columns}))


def _row(event: Event) -> dict:
    return {name: getattr(event, name) for name in EVENT_COLUMNS}


def insert_first(session: Session, case: Case, event: Event) -> Event:
    """Store a new case with its first event; the case row is that event's projection."""
    for name, value in project(projected_columns(case), event).items():
        setattr(case, name, value)
    row = _row(event)
    case.last_hash = link(case.number, None, row)
    session.add(case)
    session.flush()
    row["case_id"] = event.case_id = case.id
    event.prev_hash, event.hash = row["prev_hash"], row["hash"]
    connection = session.connection()
    connection.execute(EVENTS.insert(), [stored_event(connection.engine, row)])
    return event
