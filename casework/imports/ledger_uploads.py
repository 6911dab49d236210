"""A ledger kept between its preview and the clerk's confirmation on the page.

The file holds petitioners' names, phones and stories: it is sealed under the data key, kept
for ``MAX_AGE`` at most, opened only by the user who uploaded it, and dropped once imported.
The page holds a random token; the table keeps a hash of it, so rows read from a backup open
nothing without the token and the data key.  Nothing of the file is kept in the browser.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from casework.bootstrap import Casework
from casework.errors import NotFound
from casework.people.access import Actor
from casework.storage.db import utcnow, writing
from casework.storage.models import LedgerUpload

MAX_AGE = timedelta(minutes=30)


def _id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _purpose(row_id: str) -> str:
    return f"ledger.upload:{row_id}"


def keep_upload(cw: Casework, *, by: Actor, filename: str, data: bytes,
                now: datetime | None = None) -> str:
    """Keep ``data`` sealed for ``by``; returns the token that takes it back."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    row_id = _id(token)
    key = cw.keyring.current
    with writing(cw.engine) as session:
        session.execute(delete(LedgerUpload).where(LedgerUpload.created_at < now - MAX_AGE))
        session.add(LedgerUpload(id=row_id, user_id=by.id, created_at=now,
                                 filename=filename[:200], key_id=key.key_id,
                                 content_sealed=key.seal_bytes(_purpose(row_id), data)))
    return token


def take_upload(cw: Casework, *, by: Actor, token: str, now: datetime | None = None
                ) -> tuple[str, bytes]:
    """(file name, bytes) of ``by``'s upload under ``token``, and drops it: a confirmation
    imports it once.  NotFound when it is someone else's, expired or already taken."""
    now = now or utcnow()
    with writing(cw.engine) as session:
        session.execute(delete(LedgerUpload).where(LedgerUpload.created_at < now - MAX_AGE))
        row = session.get(LedgerUpload, _id(token or ""))
        if row is None or row.user_id != by.id or row.created_at < now - MAX_AGE:
            raise NotFound("this upload has expired; choose the file again")
        data = cw.keyring.key(row.key_id).open_bytes(_purpose(row.id), row.content_sealed)
        filename = row.filename
        session.delete(row)
    return filename, data
