"""Attachments under ``casework keys rotate``, ``casework keys status`` and ``casework audit
verify``.

Rotation re-seals one attachment per transaction, chunk by chunk (memory stays at one chunk),
and is safe to stop and run again like the petitioners' rotation.

Verification trusts the ``attach`` events, whose content the case's hash chain vouches for
(``casework.lifecycle.audit`` checks the chain), and recomputes each attachment's sha256 from its
decrypted bytes.  Named by case number, event seq and attachment id, never by file name (it is
sealed, and may name the petitioner):
- *tampered*: a chunk does not authenticate, chunks were added, or the bytes do not give the
  sha256 the attach event records (or the row's own sha256 was changed);
- *missing*: the attach event records an attachment that is not stored, or a chunk is gone;
- *not in the chain*: an attachment no attach event records (slipped in behind Casework's back).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session

from casework.evidence.attachments import chunk_of, chunk_purpose, purpose
from casework.lifecycle.audit import Problem
from casework.privacy.crypto import Keyring, TamperedData
from casework.storage.db import change_one_at_a_time, count_by, reading
from casework.storage.models import Attachment, AttachmentChunk, Case, Event


def rotate_attachments(keyring: Keyring, engine: Engine) -> int:
    """Re-seal every attachment not under the current key; returns how many."""
    current = keyring.current

    def reseal(session: Session, row: Attachment) -> None:
        old = keyring.key(row.key_id)
        for seq in range(row.chunks):
            where = (AttachmentChunk.attachment_id == row.id, AttachmentChunk.seq == seq)
            sealed = session.execute(select(AttachmentChunk.sealed).where(*where)).scalar_one()
            place = chunk_purpose(row.id, seq, row.chunks)
            session.execute(update(AttachmentChunk).where(*where).values(
                sealed=current.seal_bytes(place, old.open_bytes(place, sealed))))
        for field in ("filename", "note"):
            column = f"{field}_sealed"
            text = old.open(purpose(field, row.id), getattr(row, column))
            setattr(row, column, current.seal(purpose(field, row.id), text))
        if row.thumbnail_sealed is not None:
            place = purpose("thumbnail", row.id)
            row.thumbnail_sealed = current.seal_bytes(
                place, old.open_bytes(place, row.thumbnail_sealed))
        row.key_id = current.key_id

    return change_one_at_a_time(
        engine, select(Attachment).where(Attachment.key_id != current.key_id)
        .order_by(Attachment.id), reseal)


def count_by_key(engine: Engine) -> dict[str, int]:
    return count_by(engine, Attachment.key_id)


@dataclass
class Checked:
    attachments: int = 0
    problems: int = 0


def verify_attachments(keys: Callable[[], Keyring], engine: Engine, *,
                       number: str | None = None,
                       report: Callable[[Problem], None] = print) -> Checked:
    """Check every attachment (of case ``number``) against its attach event; ``keys`` is
    called only if there is an attachment to open."""
    checked = Checked()
    recorded: dict[int, tuple[str, int, str | None]] = {}
    with reading(engine) as session:
        events = select(Case.number, Event.seq, Event.data).join(Case, Case.id == Event.case_id
                                                                ).where(Event.action == "attach")
        rows = select(Attachment, Case.number).join(Case, Case.id == Attachment.case_id)
        if number is not None:
            events = events.where(Case.number == number)
            rows = rows.where(Case.number == number)
        for case_number, seq, data in session.execute(events.order_by(Event.id)):
            if isinstance(data, dict) and isinstance(data.get("attachment"), int):
                recorded[data["attachment"]] = (case_number, seq, data.get("sha256"))
        stored = session.execute(rows.order_by(Attachment.id)).all()
        counts = dict(session.execute(
            select(AttachmentChunk.attachment_id, func.count())
            .group_by(AttachmentChunk.attachment_id)).all())

    def problem(case_number: str, seq: int | None, what: str) -> None:
        checked.problems += 1
        report(Problem(case_number, seq, what))

    keyring = keys() if stored else None
    for row, case_number in stored:
        checked.attachments += 1
        event = recorded.pop(row.id, None)
        name = f"attachment {row.id}"
        if event is None:
            problem(case_number, None, f"{name}: not in the chain (no attach event records it)")
            continue
        seq, sha256 = event[1], event[2]
        if counts.get(row.id, 0) > row.chunks:
            problem(case_number, seq, f"{name}: tampered (chunks were added to it)")
            continue
        digest = hashlib.sha256()
        try:
            for index in range(row.chunks):
                digest.update(chunk_of(engine, keyring, row, index))
        except TamperedData as exc:
            what = "missing" if "lost chunk" in exc.message else "tampered"
            problem(case_number, seq, f"{name}: {what} ({exc.message})")
            continue
        if digest.hexdigest() != sha256:
            problem(case_number, seq, f"{name}: tampered (its bytes do not give the sha256 "
                                      "its attach event records)")
        elif row.sha256 != sha256:
            problem(case_number, seq, f"{name}: tampered (its stored sha256 was changed)")
    for attachment_id, (case_number, seq, _sha) in sorted(recorded.items()):
        problem(case_number, seq, f"attachment {attachment_id}: missing (its attach event "
                                  "records it, and it is not stored)")
    return checked
