"""The cadres' own words about a case, sealed at rest like names and phones (DESIGN.md,
"Accounts, sessions and what no role can bend"): a case's summary, every event's note (resolve
and refer notes, escalations, the notes of ``note``) and the narrative fields of an event's
``data`` (reasons of return, wait, extend, reopen).  They hold the abuser's name, the address,
what happened: a copied database file or backup must show none of it.

Stored as text in the same columns, one token per value:

    sealed:<key id>:<base64url of crypto.DataKey.seal(purpose, text)>

- text, so the columns, their indexes and the JSON ``data`` keep their types, and a field
  another action adds to ``data`` is sealed by naming it in ``NARRATIVE_DATA`` (nothing else);
- the key id up front, so a row sealed under an older key opens during a rotation, and
  ``casework keys rotate`` finds what is left by its prefix;
- the purpose (``case.summary``, ``event.note``, ``event.data.reason``) is the seal's
  associated data: a note's token copied into a summary does not open;
- an empty text stays empty: that there is no note says nothing about anyone.

A value that is not a token where one is expected is refused as ``TamperedData``: after
migration 0016 nothing is stored in clear, so a clear value was written by something else.

Writers (casework/lifecycle/events.py, both the ORM and the driver path) seal an event's
values after its hash is taken (the chain hashes the plaintext: casework/lifecycle/chain.py);
the data key is found from the engine, registered once by casework.bootstrap, so every path
that appends an event seals it without being handed a key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping

from sqlalchemy import Engine

from casework.privacy.crypto import DataKey, DataKeyError, Keyring, TamperedData

PREFIX = "sealed:"
SUMMARY = "case.summary"
NOTE = "event.note"
# The fields of an event's ``data`` that are a person's words, not a choice from a list.  An
# action that stores free text in ``data`` names its field here: it is then sealed on the way
# in, opened for the case page, re-sealed by ``casework keys rotate`` and migrated.  A
# measure's place is where a survivor shelters; its court and authority say where she lives.
NARRATIVE_DATA = ("reason", "place", "court", "authority")
_KEYS_ATTRIBUTE = "_casework_data_keys"


def data_purpose(name: str) -> str:
    return f"event.data.{name}"


def seal_text(key: DataKey, purpose: str, text: str) -> str:
    """``text`` as stored: a token under ``key``, or "" for no text."""
    if not text:
        return ""
    sealed = base64.urlsafe_b64encode(key.seal(purpose, text)).rstrip(b"=").decode("ascii")
    return f"{PREFIX}{key.key_id}:{sealed}"


def key_id_of(stored: str) -> str | None:
    """The id of the key a stored value is sealed under (None for no text)."""
    if not stored:
        return None
    if not stored.startswith(PREFIX):
        raise TamperedData("a case's text is stored in clear where Casework stores it sealed")
    return stored[len(PREFIX):].split(":", 1)[0]


def open_text(keyring: Keyring, purpose: str, stored: str) -> str:
    """The text of a stored value; DataKeyError when its key is not configured, TamperedData
    when it does not authenticate (both one clear sentence, never a crash)."""
    key_id = key_id_of(stored)
    if key_id is None:
        return ""
    body = stored[len(PREFIX) + len(key_id) + 1:]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise TamperedData(f"a sealed {purpose} is not in a format Casework wrote") from None
    return keyring.key(key_id).open(purpose, raw)


def seal_data(key: DataKey, data: Mapping, names: tuple[str, ...] = NARRATIVE_DATA) -> dict:
    """An event's ``data`` with its narrative fields sealed (the others as they are).
    ``names``: a migration's own list, fixed when it was written."""
    return _narratives_changed(data, names,
                               lambda name, text: seal_text(key, data_purpose(name), text))


def open_data(keyring: Keyring, data: Mapping, names: tuple[str, ...] = NARRATIVE_DATA) -> dict:
    return _narratives_changed(data, names,
                               lambda name, text: open_text(keyring, data_purpose(name), text))


def _narratives_changed(data: Mapping, names: tuple[str, ...],
                        change: Callable[[str, str], str]) -> dict:
    if not any(name in data for name in names):
        return dict(data)
    return {name: change(name, value) if name in names and isinstance(value, str)
            else value for name, value in data.items()}


def seal_event(key: DataKey, event: dict) -> dict:
    """The column values of an event (``events.event_values``, hashed already) as stored."""
    note, data = event["note"], event["data"]
    if not note and not any(name in data for name in NARRATIVE_DATA):
        return event
    return {**event, "note": seal_text(key, NOTE, note), "data": seal_data(key, data)}


def open_note(keyring: Keyring, stored: str) -> str:
    return open_text(keyring, NOTE, stored)


def open_summary(keyring: Keyring, stored: str) -> str:
    return open_text(keyring, SUMMARY, stored)


def key_ids_of_event(note: str, data: Mapping) -> set[str]:
    """Every key an event's stored values are sealed under."""
    found = {key_id_of(note)} | {key_id_of(data[name]) for name in NARRATIVE_DATA
                                 if isinstance(data.get(name), str)}
    return {key_id for key_id in found if key_id}


# -- the key of an engine ------------------------------------------------------------------
# Kept on the engine's dialect, which the engine shares with its option variants (the write
# engine of casework.storage.db) and lives as long as the engine.
def register_keys(engine: Engine, keys: Callable[[], Keyring]) -> None:
    """Tell the writers of ``engine`` where its data keys are (casework.bootstrap); asked for
    only when a text must be sealed, so commands that write no text run without a key."""
    engine.dialect.__dict__[_KEYS_ATTRIBUTE] = keys


def keyring_of(engine) -> Keyring:
    """The data keys registered for ``engine`` (DataKeyError when there are none)."""
    keys = engine.dialect.__dict__.get(_KEYS_ATTRIBUTE)
    if keys is None:
        raise DataKeyError("no data key is configured for this database: set CASEWORK_DATA_KEY")
    return keys()


def sealing_key(engine) -> DataKey:
    """The key new texts written through ``engine`` (or a session's bind) are sealed with."""
    return keyring_of(engine).current


def stored_event(engine, event: dict) -> dict:
    """``event``'s column values as written through ``engine``: sealed where it holds text."""
    if not event["note"] and not any(name in event["data"] for name in NARRATIVE_DATA):
        return event
    return seal_event(sealing_key(engine), event)
