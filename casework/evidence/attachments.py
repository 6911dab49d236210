"""Attachments added to a case, listed, and read back (DESIGN.md, "Evidence (attachments)").

Adding one: who may is checked before a byte of the file is read; the file is told by its
content, a photo cleaned of its metadata and given a thumbnail, all into an unnamed temporary
file (``tempfile.TemporaryFile``: unlinked at once, gone with the process however it ends);
then one transaction writes the attachment row, its sealed chunks and the ``attach`` event with
the sha256, or, if anything fails or the process dies, none of them.  Memory holds one 1 MiB
chunk at a time, so a 20 MB file costs what a 1 MB one does (bench/RESULTS.md).

Reading one back: every chunk is opened once before anything is recorded or sent, so a file
altered in the database is refused whole rather than sent half; then the ``view_attachment``
event is written, and the chunks are opened again one by one as the answer is sent, each in its
own short read (a slow phone does not hold a transaction open).
"""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from casework.bootstrap import Casework
from casework.errors import Forbidden, Invalid, NotFound, TooLarge
from casework.evidence.filenames import clean_filename
from casework.evidence.kinds import MAX_BYTES, TOO_LARGE, identify, measure
from casework.evidence.scrub import clean
from casework.lifecycle.cases import iso, visible_case
from casework.lifecycle.events import append, current_deadline, new_event
from casework.people import access
from casework.people.access import Actor
from casework.privacy.crypto import DataKey, Keyring, TamperedData
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Attachment, AttachmentChunk

CHUNK = 1024 * 1024
MAX_NOTE = 1000
CHUNKS = AttachmentChunk.__table__


def chunk_purpose(attachment_id: int, seq: int, count: int) -> str:
    """The associated data of a chunk: a chunk moved to another attachment or place, or an
    attachment cut short (its count changed), no longer opens."""
    return f"attachment.chunk:{attachment_id}:{seq}/{count}"


def purpose(field: str, attachment_id: int) -> str:
    return f"attachment.{field}:{attachment_id}"


@dataclass(frozen=True)
class Upload:
    stream: BinaryIO  # seekable: the web layer's spooled file, or an open file
    filename: str
    note: str = ""


@dataclass(frozen=True)
class Opened:
    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: Iterator[bytes]


def attachment_json(row: Attachment, filename: str, note: str) -> dict:
    return {"id": row.id, "filename": filename, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256, "uploaded_at": iso(row.uploaded_at),
            "uploaded_by": row.uploaded_by, "note": note,
            "thumbnail": row.thumbnail_sealed is not None}


def _check_note(note: object) -> str:
    if not isinstance(note, str):
        raise Invalid({"note": "must be text"})
    note = note.strip()
    if len(note) > MAX_NOTE or any(ord(c) < 32 and c not in "\n\t" for c in note):
        raise Invalid({"note": "at most 1000 characters, no control characters"})
    return note


def _may_attach(cw: Casework, session: Session, actor: Actor, number: str):
    case = visible_case(cw, session, actor, number)
    access.check_may_attach(cw.workflow, actor, case)
    return case


def check_may_attach(cw: Casework, actor: Actor, number: str) -> None:
    """NotFound or Forbidden unless ``actor`` may add evidence to case ``number`` (asked
    before an upload's body is read)."""
    with reading(cw.engine) as session:
        _may_attach(cw, session, actor, number)


def may_attach(cw: Casework, actor: Actor, number: str) -> bool:
    """Whether the case page offers this actor the upload form."""
    try:
        check_may_attach(cw, actor, number)
    except (NotFound, Forbidden):
        return False
    return True


def add_attachment(cw: Casework, actor: Actor, number: str, upload: Upload, *,
                   now: datetime | None = None) -> dict:
    """Attach ``upload`` to case ``number``; the new attachment as the API shows it."""
    note = _check_note(upload.note)
    check_may_attach(cw, actor, number)
    kind = identify(upload.stream, measure(upload.stream))
    key = cw.keyring.current
    with tempfile.TemporaryFile() as kept:
        thumbnail = clean(kind, upload.stream, kept)
        size, sha256 = _digest(kept)
        if size > MAX_BYTES:  # a re-encoded HEIC could, in principle, grow
            raise TooLarge({"file": TOO_LARGE})
        name = clean_filename(upload.filename, kind)
        with writing(cw.engine) as session:
            case = _may_attach(cw, session, actor, number)
            at = now or utcnow()
            row = Attachment(case_id=case.id, key_id=key.key_id, filename_sealed=b"",
                             note_sealed=b"", content_type=kind.content_type, size=size,
                             sha256=sha256, chunks=math.ceil(size / CHUNK), uploaded_at=at,
                             uploaded_by_id=actor.id, uploaded_by=actor.username)
            session.add(row)
            session.flush()  # its id goes into every seal
            row.filename_sealed = key.seal(purpose("filename", row.id), name)
            row.note_sealed = key.seal(purpose("note", row.id), note)
            if thumbnail is not None:
                row.thumbnail_sealed = key.seal_bytes(purpose("thumbnail", row.id), thumbnail)
            _store(session, key, row, kept)
            session.flush()
            append(session, case, new_event(
                case, action="attach", actor=actor, at=at, to_level=case.level,
                to_status=case.status, deadline=current_deadline(case),
                data={"attachment": row.id, "sha256": sha256, "size": size,
                      "content_type": kind.content_type}))
    return attachment_json(row, name, note)


def _digest(kept: BinaryIO) -> tuple[int, str]:
    kept.seek(0)
    digest, size = hashlib.sha256(), 0
    while block := kept.read(CHUNK):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


def _store(session: Session, key: DataKey, row: Attachment, kept: BinaryIO) -> None:
    kept.seek(0)
    connection = session.connection()
    for seq in range(row.chunks):
        data = kept.read(CHUNK)
        connection.execute(CHUNKS.insert(), {
            "attachment_id": row.id, "seq": seq,
            "sealed": key.seal_bytes(chunk_purpose(row.id, seq, row.chunks), data)})


def _row(session: Session, case_id: int, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None or row.case_id != case_id:
        raise NotFound("no such attachment")
    return row


def list_attachments(cw: Casework, actor: Actor, number: str) -> list[dict]:
    """The case's attachments, oldest first, names and notes opened (nothing recorded: the
    list shows what the case page shows)."""
    keyring = cw.keyring
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        rows = session.execute(select(Attachment).where(Attachment.case_id == case.id)
                               .order_by(Attachment.id)).scalars().all()
    out = []
    for row in rows:
        key = keyring.key(row.key_id)
        out.append(attachment_json(row, key.open(purpose("filename", row.id), row.filename_sealed),
                                   key.open(purpose("note", row.id), row.note_sealed)))
    return out


def describe_attachment(cw: Casework, actor: Actor, number: str, attachment_id: int) -> dict:
    """One attachment as the list shows it (a HEAD request: nothing opened but its name, so
    nothing recorded)."""
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        row = _row(session, case.id, attachment_id)
    key = cw.keyring.key(row.key_id)
    return attachment_json(row, key.open(purpose("filename", row.id), row.filename_sealed),
                           key.open(purpose("note", row.id), row.note_sealed))


def chunk_of(engine: Engine, keyring: Keyring, row: Attachment, seq: int) -> bytes:
    """Chunk ``seq`` of ``row``, opened under the key it is sealed with now (``keys rotate``
    may re-seal the attachment while it is being sent); TamperedData if it is gone or altered."""
    with reading(engine) as session:
        found = session.execute(
            select(AttachmentChunk.sealed, Attachment.key_id)
            .join(Attachment, Attachment.id == AttachmentChunk.attachment_id)
            .where(AttachmentChunk.attachment_id == row.id, AttachmentChunk.seq == seq)).first()
    if found is None:
        raise TamperedData(f"attachment {row.id} has lost chunk {seq} of {row.chunks}")
    return keyring.key(found.key_id).open_bytes(chunk_purpose(row.id, seq, row.chunks),
                                                found.sealed)


def read_attachment(cw: Casework, actor: Actor, number: str, attachment_id: int, *,
                    now: datetime | None = None) -> Opened:
    """The attachment's bytes, as chunks to send; the look is recorded as an event."""
    keyring = cw.keyring
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        row = _row(session, case.id, attachment_id)
    name = keyring.key(row.key_id).open(purpose("filename", row.id), row.filename_sealed)
    for seq in range(row.chunks):  # all of it opens, or nothing is recorded or sent
        chunk_of(cw.engine, keyring, row, seq)
    with writing(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        append(session, case, new_event(
            case, action="view_attachment", actor=actor, at=now or utcnow(),
            to_level=case.level, to_status=case.status, deadline=current_deadline(case),
            data={"attachment": row.id}))
    return Opened(name, row.content_type, row.size, row.sha256,
                  _stream(lambda seq: chunk_of(cw.engine, keyring, row, seq), row.chunks))


def _stream(chunk: Callable[[int], bytes], count: int) -> Iterator[bytes]:
    for seq in range(count):
        yield chunk(seq)


def read_thumbnail(cw: Casework, actor: Actor, number: str, attachment_id: int) -> bytes:
    """The JPEG thumbnail of a photo (the case page shows it; not recorded, as the page
    itself is not)."""
    with reading(cw.engine) as session:
        case = visible_case(cw, session, actor, number)
        row = _row(session, case.id, attachment_id)
    if row.thumbnail_sealed is None:
        raise NotFound("no such thumbnail")
    return cw.keyring.key(row.key_id).open_bytes(purpose("thumbnail", row.id),
                                                 row.thumbnail_sealed)
