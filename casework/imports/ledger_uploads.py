"""A ledger kept between its preview and the clerk's confirmation on the page.

The file holds petitioners' names, phones and stories: it is sealed under the data key, kept
for ``MAX_AGE`` at most, opened only by the user who uploaded it, and dropped once imported.
The page holds a random token; the table keeps a hash of it, so a copy of the table gives no
one a way in to the page's upload, and its content opens only with the data key.  Nothing of
the file is kept in the browser.  A large file's check and import run beside the request and
keep their progress in its row (ledger_jobs.py).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session

from casework.bootstrap import Casework
from casework.errors import NotFound
from casework.people.access import Actor
from casework.privacy.crypto import Keyring
from casework.storage.db import change_one_at_a_time, count_by, utcnow, writing
from casework.storage.models import LedgerUpload

MAX_AGE = timedelta(minutes=30)


def upload_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def upload_purpose(row_id: str) -> str:
    return f"ledger.upload:{row_id}"


def expired(now: datetime):
    """Uploads left for ``MAX_AGE``: since they were sent, or since their check or import last
    moved (a province's import takes longer than MAX_AGE, and moves every few seconds)."""
    return func.coalesce(LedgerUpload.progress_at, LedgerUpload.created_at) < now - MAX_AGE


def keep_upload(cw: Casework, *, by: Actor, filename: str, data: bytes,
                now: datetime | None = None) -> str:
    """Keep ``data`` sealed for ``by``; returns the token that takes it back."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row_id = upload_id(token)
    key = cw.keyring.current
    with writing(cw.engine) as session:
        session.execute(delete(LedgerUpload).where(expired(now)))
        session.add(LedgerUpload(id=row_id, user_id=by.id, created_at=now,
                                 filename=filename[:200], key_id=key.key_id,
                                 content_sealed=key.seal_bytes(upload_purpose(row_id), data)))
    return token


def take_upload(cw: Casework, *, by: Actor, token: str, now: datetime | None = None
                ) -> tuple[str, bytes]:
    """(file name, bytes) of ``by``'s upload under ``token``, and drops it: a confirmation
    imports it once.  NotFound when it is someone else's, expired or already taken."""
    now = now or utcnow()
    with writing(cw.engine) as session:
        session.execute(delete(LedgerUpload).where(expired(now)))
        row = session.get(LedgerUpload, upload_id(token or ""))
        if row is None or row.user_id != by.id or row.state != "kept" or (
                row.created_at < now - MAX_AGE):
            raise NotFound("this upload has expired; choose the file again")
        data = cw.keyring.key(row.key_id).open_bytes(upload_purpose(row.id), row.content_sealed)
        filename = row.filename
        session.delete(row)
    return filename, data


def outcome_purpose(row_id: str) -> str:
    return upload_purpose(row_id) + ":outcome"


def rotate_uploads(keyring: Keyring, engine: Engine) -> int:
    """Re-seal every kept upload (its file and its check's outcome) not under the current key;
    returns how many.  An upload lives minutes, but one kept across ``keys rotate`` would not
    open once the old key is taken away: the clerk's preview would be lost mid-way.  Each row is
    locked while it is re-sealed, so a check finishing beside it seals under the key its row
    names."""
    current = keyring.current
    with writing(engine) as session:  # an expired one is gone, whatever key it was under
        session.execute(delete(LedgerUpload).where(expired(utcnow())))

    def reseal(session: Session, row: LedgerUpload) -> None:
        old = keyring.key(row.key_id)
        if row.content_sealed:  # empty once imported
            place = upload_purpose(row.id)
            row.content_sealed = current.seal_bytes(
                place, old.open_bytes(place, row.content_sealed))
        if row.outcome_sealed:
            place = outcome_purpose(row.id)
            row.outcome_sealed = current.seal_bytes(
                place, old.open_bytes(place, row.outcome_sealed))
        row.key_id = current.key_id

    return change_one_at_a_time(
        engine, select(LedgerUpload).where(LedgerUpload.key_id != current.key_id)
        .order_by(LedgerUpload.id).with_for_update(), reseal)


def uploads_by_key(engine: Engine) -> dict[str, int]:
    return count_by(engine, LedgerUpload.key_id)
