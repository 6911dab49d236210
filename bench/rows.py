"""Rows as the engine writes them, built without it, for bulk loading into either database.

Rows are built in a neutral form (aware datetimes, booleans) and turned into each database's
own values on the way in: SQLite's text timestamps as SQLAlchemy stores them
(``casework.storage.db.UTCDateTime``), PostgreSQL's naive UTC ``timestamp`` for COPY.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from casework.lifecycle.chain import canonical, digest, utc_text

CASE_COLUMNS = ("id", "number", "county_code", "year", "seq", "channel", "category", "urgency",
                "summary", "petitioner_id", "village_code", "level", "status", "received_at",
                "entered_level_at", "due_at", "warn_at", "warning", "overdue", "extended",
                "waiting_since", "concluded_at", "last_event_seq", "last_event_at", "version",
                "last_hash")
EVENT_COLUMNS = ("case_id", "seq", "action", "from_level", "from_status", "to_level",
                 "to_status", "actor_id", "actor", "at", "note", "data", "due_at", "warn_at",
                 "deadline_met", "village_code", "prev_hash", "hash")
PETITIONER_COLUMNS = ("id", "key_id", "name_sealed", "phone_sealed", "id_number_sealed",
                      "phone_hash", "gender", "age_group")


class Ev:
    """One event as the engine builds it (the attributes ``project`` reads, and the rest)."""

    __slots__ = ("seq", "action", "from_level", "from_status", "to_level", "to_status",
                 "actor_id", "actor", "at", "note", "data", "due_at", "warn_at", "deadline_met",
                 "prev_hash", "hash")

    def __init__(self, seq, action, from_level, from_status, to_level, to_status, actor_id,
                 actor, at, note, data, due_at, warn_at, deadline_met):
        self.seq, self.action, self.from_level, self.from_status = (seq, action, from_level,
                                                                    from_status)
        self.to_level, self.to_status, self.actor_id, self.actor = (to_level, to_status,
                                                                    actor_id, actor)
        self.at, self.note, self.data = at, note, data
        self.due_at, self.warn_at, self.deadline_met = due_at, warn_at, deadline_met
        self.prev_hash = self.hash = None

    def row(self, case_id: int, village: str) -> tuple:
        return (case_id, self.seq, self.action, self.from_level, self.from_status, self.to_level,
                self.to_status, self.actor_id, self.actor, self.at, self.note, self.data,
                self.due_at, self.warn_at, self.deadline_met, village, self.prev_hash, self.hash)

    def text_row(self, case_id: int, village: str) -> tuple:
        """``row`` with its values as SQLite stores them, which PostgreSQL's COPY reads too;
        converted field by field, since a generated province has tens of millions of them."""
        met = self.deadline_met
        return (case_id, self.seq, self.action, self.from_level, self.from_status, self.to_level,
                self.to_status, self.actor_id, self.actor, utc_text(self.at), self.note,
                self.data, utc_text(self.due_at), utc_text(self.warn_at),
                None if met is None else int(met), village, self.prev_hash, self.hash)


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> dict:
    return json.loads(text)  # read only: the few distinct texts are shared


def chain(number: str, village: str, events: list[Ev]) -> str | None:
    """Hash-chain a case's events (in seq order) as the engine does (casework/lifecycle/chain.py);
    the last hash, the case row's ``last_hash``.  ``data`` may be given as its stored JSON text."""
    last = None
    for ev in events:
        data = _parsed(ev.data) if isinstance(ev.data, str) else ev.data
        ev.prev_hash = last
        ev.hash = last = digest(canonical(
            number, ev.seq, ev.action, ev.from_level, ev.from_status, ev.to_level, ev.to_status,
            ev.actor_id, ev.actor, ev.at, ev.note, data, ev.due_at, ev.warn_at,
            ev.deadline_met, village, last))
    return last


def case_row(case_id: int, number: str, county: str, year: int, seq: int, channel: str,
             category: str, urgency: str, summary: str, petitioner_id: int, village: str,
             received: datetime, state: dict[str, Any], last_hash: str | None) -> tuple:
    """The case row: its own fields, the projected ones from the fold of its events, and the
    hash of its last event."""
    return (case_id, number, county, year, seq, channel, category, urgency, summary,
            petitioner_id, village, state["level"], state["status"], received,
            state["entered_level_at"], state["due_at"], state["warn_at"], state["warning"],
            state["overdue"], state["extended"], state["waiting_since"], state["concluded_at"],
            state["last_event_seq"], state["last_event_at"], state["version"], last_hash)


_STAMPS: dict[datetime, str] = {}


def sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        found = _STAMPS.get(value)
        if found is None:
            found = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            if len(_STAMPS) < 200_000:
                _STAMPS[value] = found
        return found
    if isinstance(value, bool):
        return int(value)
    return value


def pg_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
