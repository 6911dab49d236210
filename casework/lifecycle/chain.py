"""The hash chain of a case's events: each event carries the hash of the one before it and its
own, and the case row carries the last one (``cases.last_hash``), so appending reads nothing more.

Format ``casework-event/1`` (the only one so far; ``audit verify`` knows formats by this name,
so a later format can be added beside it and old events still checked):

    hash = SHA-256 (lower-case hex) of the UTF-8 bytes of
        "casework-event/1" + "\\n" + FIELD + "\\n" + FIELD + ... (17 fields, in this order)

    number, seq, action, from_level, from_status, to_level, to_status, actor_id, actor, at,
    note, data, due_at, warn_at, deadline_met, village_code, prev_hash

Each FIELD is ``~`` for a null, else ``LENGTH:TEXT`` where LENGTH is the text's length in
characters (so no text, whatever it holds, can be read as two fields).  The texts:

- number: the case number (e.g. ``450330-2026-000001``), not its row id, so a database restored
  or renumbered elsewhere is still checked against what was written;
- seq, actor_id: decimal;  deadline_met: ``1`` or ``0``;
- at, due_at, warn_at: UTC, ISO 8601 with a space, microseconds and no offset,
  ``2026-09-29 02:00:00.123456`` (as SQLite stores them);
- data: JSON with sorted keys, ``,`` and ``:`` separators, non-ASCII as itself;
- prev_hash: the hash of the case's event before (null for its first event).

Plaintext, not ciphertext: ``note`` and the narrative fields of ``data`` are stored sealed
under the data key (casework/privacy/narratives.py, issue 18), and the hash is taken over
their plaintext, before sealing (casework/lifecycle/events.py).  Because:
- the chains written before the texts were sealed stay valid as they are (migration 0013
  seals the stored texts and leaves every hash alone);
- a seal changes with every nonce and every key, so a hash over ciphertext would break at
  each ``casework keys rotate``, and the chain must outlive any key;
- the chain says what was recorded, which is the text, not one of its encryptions.
The price: ``audit verify`` needs the data key to open the texts, and whoever holds a copy of
the database can test a guess of a whole note against its event's hash (all other fields are
in the row).  A note is free text that names people and places, not a value from a short list;
the choices (outcome, agency, ...) are not secret anyway.

The encoding is built with plain string formatting (an empty ``data`` is ``{}`` without
json.dumps): it runs on the action path (casework/lifecycle/_driver.py), where it costs a few
microseconds.
Its times are the driver's own SQLite text (``utc_text`` is the driver's conversion, remembered
for recent moments), so an action formats its time once for both.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import sha256

FORMAT = "casework-event/1"
# The event's columns in the hash, after the case number (the columns prev_hash/hash aside).
FIELDS = ("seq", "action", "from_level", "from_status", "to_level", "to_status", "actor_id",
          "actor", "at", "note", "data", "due_at", "warn_at", "deadline_met", "village_code")


@functools.lru_cache(maxsize=4096)
def utc_text(value: datetime | None) -> str | None:
    """A moment as the chain writes it, and as SQLite stores it (casework/lifecycle/_driver.py uses
    this function for its SQLite values); remembered: an action's time is hashed and stored, and
    the deadlines of a day's cases are the same few instants."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must carry a zone")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"


def data_text(data: Mapping) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical(number: str, seq: int, action: str, from_level: str | None,
              from_status: str | None, to_level: str, to_status: str, actor_id: int | None,
              actor: str, at: datetime, note: str, data: Mapping, due_at: datetime | None,
              warn_at: datetime | None, deadline_met: bool | None, village_code: str,
              prev_hash: str | None) -> str:
    """The text of format 1 that an event's hash is taken over (module docstring)."""
    texts = (number, str(seq), action, from_level, from_status, to_level, to_status,
             None if actor_id is None else str(actor_id), actor, utc_text(at), note,
             data_text(data) if data else "{}", utc_text(due_at), utc_text(warn_at),
             None if deadline_met is None else ("1" if deadline_met else "0"),
             village_code, prev_hash)
    return FORMAT + "".join(["\n~" if text is None else f"\n{len(text)}:{text}"
                             for text in texts])


def digest(text: str) -> str:
    return sha256(text.encode()).hexdigest()


def event_hash(number: str, event: Mapping, prev_hash: str | None) -> str:
    """The hash of the event whose column values are ``event`` in case ``number``."""
    return digest(canonical(
        number, event["seq"], event["action"], event["from_level"], event["from_status"],
        event["to_level"], event["to_status"], event["actor_id"], event["actor"], event["at"],
        event["note"], event["data"], event["due_at"], event["warn_at"], event["deadline_met"],
        event["village_code"], prev_hash))


def link(number: str, last_hash: str | None, event: dict) -> str:
    """Chain ``event`` (its column values) after the case's last event: sets its ``prev_hash``
    and ``hash``, and gives the hash (the case's new ``last_hash``)."""
    event["prev_hash"] = last_hash
    event["hash"] = found = event_hash(number, event, last_hash)
    return found
