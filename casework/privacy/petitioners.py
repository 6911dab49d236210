"""Petitioners' data in and out of its sealed columns, the caller lookup, and key rotation.

The only module that seals or opens a petitioner's name, phone and ID number; everything else
reads ``PetitionerData``.  Nothing here logs a value (DESIGN.md: no petitioner data in logs).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, select, update
from sqlalchemy.orm import Session

from casework.privacy.crypto import DataKey, Keyring
from casework.storage.db import count_by, reading, writing
from casework.storage.models import Petitioner

SEALED = ("name", "phone", "id_number")


@dataclass(frozen=True)
class PetitionerData:
    """A petitioner as people read her: opened, never stored like this."""

    name: str = ""
    phone: str = ""  # normalized digits
    id_number: str = ""
    gender: str = ""
    age_group: str = ""


def _purpose(name: str) -> str:
    return f"petitioner.{name}"


def sealed_columns(key: DataKey, data: PetitionerData) -> dict:
    """The stored columns of ``data`` under ``key``."""
    values = {f"{name}_sealed": key.seal(_purpose(name), getattr(data, name)) for name in SEALED}
    return {**values, "key_id": key.key_id,
            "phone_hash": key.phone_hash(data.phone) if data.phone else None}


def new_petitioner(keyring: Keyring, data: PetitionerData) -> Petitioner:
    """A row for ``data``, sealed under the current key."""
    return Petitioner(gender=data.gender, age_group=data.age_group,
                      **sealed_columns(keyring.current, data))


def open_petitioner(keyring: Keyring, row: Petitioner) -> PetitionerData:
    """The row's data; DataKeyError when its key is not configured, TamperedData when a seal
    does not authenticate (both one clear sentence, never a crash)."""
    key = keyring.key(row.key_id)
    opened = {name: key.open(_purpose(name), getattr(row, f"{name}_sealed")) for name in SEALED}
    return PetitionerData(gender=row.gender, age_group=row.age_group, **opened)


def with_phone(keyring: Keyring, digits: str) -> ColumnElement[bool]:
    """The SQL condition for petitioners with this (normalized) phone: an index lookup of its
    keyed hash, under every configured key, with nothing opened."""
    return Petitioner.phone_hash.in_(keyring.phone_hashes(digits))


def check_keys(keyring: Keyring, engine: Engine) -> None:
    """DataKeyError unless every petitioner's key is configured.

    Run before serving: with a wrong key the caller lookup would quietly find nobody, and an
    operator would take a returning survivor for a first-time caller."""
    with reading(engine) as session:
        stored = session.execute(select(Petitioner.key_id).distinct()).scalars().all()
    for key_id in stored:
        keyring.key(key_id)
    if stored:  # one real row opened: the key id says which key, the seal proves it is that key
        with reading(engine) as session:
            row = session.execute(select(Petitioner).limit(1)).scalar_one()
        open_petitioner(keyring, row)


def rotate(keyring: Keyring, engine: Engine, *, batch: int = 500) -> int:
    """Re-seal every row not under the current key; returns how many.  Safe to stop and run
    again: each batch commits on its own, and rows already rotated are not touched."""
    done = 0
    current = keyring.current
    while True:
        with writing(engine) as session:
            rows = session.execute(
                select(Petitioner).where(Petitioner.key_id != current.key_id)
                .order_by(Petitioner.id).limit(batch)).scalars().all()
            for row in rows:
                _reseal(session, current, row, open_petitioner(keyring, row))
        done += len(rows)
        if len(rows) < batch:
            return done


def _reseal(session: Session, key: DataKey, row: Petitioner, data: PetitionerData) -> None:
    session.execute(update(Petitioner).where(Petitioner.id == row.id)
                    .values(**sealed_columns(key, data)))


def count_by_key(engine: Engine) -> dict[str, int]:
    """How many petitioners each key has sealed (``casework keys status``)."""
    return count_by(engine, Petitioner.key_id)
