"""The sealed texts of cases and events under ``casework keys rotate`` and ``keys status``:
summaries, notes and the narrative fields of events' data (casework/privacy/narratives.py).

Rotation re-seals what is not under the current key, in batches that each commit on their
own, so it is safe to stop and run again.  An event's hash is taken over its plaintext
(casework/lifecycle/chain.py), so re-sealing leaves every chain as it was: ``casework audit
verify`` holds before, during and after a rotation.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, bindparam, select, update

from casework.privacy.crypto import Keyring
from casework.privacy.narratives import NOTE as NOTE_PURPOSE
from casework.privacy.narratives import (
    SUMMARY,
    key_id_of,
    key_ids_of_event,
    open_data,
    open_note,
    open_text,
    seal_data,
    seal_text,
)
from casework.storage.db import reading, writing
from casework.storage.models import Case, Event

CASES = Case.__table__
EVENTS = Event.__table__


def rotate_narratives(keyring: Keyring, engine: Engine, *, batch: int = 1000) -> int:
    """Re-seal every summary, note and reason not under the current key; how many rows."""
    done = 0
    for table, columns in ((CASES, ("summary",)), (EVENTS, ("note", "data"))):
        statement = (update(table).where(table.c.id == bindparam("row_id"))
                     .values({name: bindparam(f"new_{name}") for name in columns}))
        last = 0
        while True:
            with writing(engine) as session:
                rows = session.execute(
                    select(table.c.id, *(table.c[name] for name in columns))
                    .where(table.c.id > last).order_by(table.c.id).limit(batch)).all()
                changes = [change for row in rows
                           if (change := _resealed(keyring, table is CASES, row)) is not None]
                if changes:
                    session.execute(statement, changes)
            done += len(changes)
            if len(rows) < batch:
                break
            last = rows[-1].id
    return done


def _resealed(keyring: Keyring, is_case: bool, row) -> dict | None:
    current = keyring.current
    if is_case:
        if key_id_of(row.summary) in (None, current.key_id):
            return None
        text = open_text(keyring, SUMMARY, row.summary)
        return {"row_id": row.id, "new_summary": seal_text(current, SUMMARY, text)}
    if key_ids_of_event(row.note, row.data) <= {current.key_id}:
        return None
    return {"row_id": row.id,
            "new_note": seal_text(current, NOTE_PURPOSE, open_note(keyring, row.note)),
            "new_data": seal_data(current, open_data(keyring, row.data))}


def narratives_by_key(engine: Engine) -> dict[str, int]:
    """How many summaries and events each key has sealed (``casework keys status``)."""
    found: Counter[str] = Counter()
    with reading(engine) as session:
        for (summary,) in session.execute(select(Case.summary)):
            key_id = key_id_of(summary)
            if key_id:
                found[key_id] += 1
        for note, data in session.execute(select(Event.note, Event.data)):
            for key_id in key_ids_of_event(note, data):
                found[key_id] += 1
    return dict(found)
