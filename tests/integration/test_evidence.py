"""Attachments through the services and the database, on SQLite and PostgreSQL: hostile files
write nothing; the bytes are sealed in chunks no copy of the database shows; ``keys rotate``,
``audit verify``, ``backup`` and ``restore`` cover them."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA_KEY, WORKFLOW, petition
from evidence_files import (
    PDF_MARK,
    docm,
    exe,
    jpeg,
    mp4_video,
    pdf,
    plain_zip,
    xlsx,
    zip_bomb,
)
from sqlalchemy import func, select, text

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.entrypoints.cli import main
from casework.errors import Invalid, NotFound, TooLarge
from casework.evidence.attachments import (
    CHUNK,
    Upload,
    add_attachment,
    list_attachments,
    read_attachment,
    read_thumbnail,
)
from casework.evidence.kinds import MAX_BYTES
from casework.evidence.upkeep import rotate_attachments, verify_attachments
from casework.lifecycle.audit import verify
from casework.lifecycle.intake import receive
from casework.privacy.crypto import DataKeyError, TamperedData, generate_key
from casework.storage.db import reading
from casework.storage.models import Attachment, AttachmentChunk, Event

SECRET_NAME = "李秀英验伤报告.pdf"


def big_pdf(size: int) -> bytes:
    return pdf(pad=size - len(pdf()))


def stored(cw) -> tuple[int, int, int]:
    with reading(cw.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Attachment, AttachmentChunk, Event))


def attach(cw, who, number, data: bytes, name: str = "a.pdf", note: str = "") -> dict:
    return add_attachment(cw, who, number, Upload(io.BytesIO(data), name, note))


def downloaded(cw, who, number, attachment_id) -> bytes:
    return b"".join(read_attachment(cw, who, number, attachment_id).chunks)


def problems(cw, number=None) -> list[str]:
    found: list[str] = []
    verify(cw.engine, number=number, report=lambda p: found.append(str(p)))
    verify_attachments(lambda: cw.keyring, cw.engine, number=number,
                       report=lambda p: found.append(str(p)))
    return found


@pytest.fixture
def case(cw, people) -> str:
    return receive(cw, people["operator"], petition()).number


@pytest.mark.parametrize(("make", "why"), [
    (exe, "a program"), (zip_bomb, "zip bomb"), (docm, "macros"), (plain_zip, "ZIP archive"),
    (mp4_video, "a video"), (lambda: jpeg((300, 200), noise=True)[:-400], "damaged"),
    (lambda: b"<html><script>alert(1)</script></html>", "not a kind of file"),
    (lambda: pdf()[:-8], "PDF is incomplete"),
])
def test_a_hostile_file_writes_nothing(cw, people, case, make, why):
    before = stored(cw)
    with pytest.raises(Invalid) as refused:
        attach(cw, people["village_a1"], case, make(), "evidence.docx")
    assert why in refused.value.fields["file"]
    assert stored(cw) == before


def test_a_file_one_byte_over_20_mb_is_too_large_and_writes_nothing(cw, people, case):
    before = stored(cw)
    with pytest.raises(TooLarge):
        attach(cw, people["operator"], case, big_pdf(MAX_BYTES + 1))
    assert stored(cw) == before
    exactly = attach(cw, people["operator"], case, big_pdf(MAX_BYTES))
    assert exactly["size"] == MAX_BYTES


def test_the_zip_bomb_is_refused_from_its_directory_without_inflating(cw, people, case,
                                                                       monkeypatch):
    opened: list[str] = []
    original = zipfile.ZipFile.open
    bomb, real = zip_bomb(), xlsx()

    def recording(self, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", recording)
    with pytest.raises(Invalid, match="zip bomb"):
        attach(cw, people["operator"], case, bomb, "statement.docx")
    assert opened == []
    attach(cw, people["operator"], case, real, "expenses.xlsx")  # a real one: one entry read
    assert opened == ["[Content_Types].xml"]


def test_a_jpeg_polyglot_is_kept_as_the_photo_alone(cw, people, case):
    payload = plain_zip() + exe()
    polyglot = jpeg() + payload
    body = attach(cw, people["operator"], case, polyglot, "photo.jpg")
    data = downloaded(cw, people["operator"], case, body["id"])
    assert body["content_type"] == "image/jpeg"
    assert data.endswith(b"\xff\xd9") and b"PK\x03\x04" not in data and b"MZ" not in data
    assert b"<script>" not in data  # the comment went with the rest of the metadata


def test_a_file_is_sealed_in_1_mib_chunks_that_no_copy_of_the_database_shows(cw, people, case):
    data = big_pdf(2 * CHUNK + 5000)
    body = attach(cw, people["operator"], case, data, SECRET_NAME, note="医院 诊断证明")
    with reading(cw.engine) as session:
        row = session.get(Attachment, body["id"])
        chunks = session.execute(select(AttachmentChunk).where(
            AttachmentChunk.attachment_id == row.id).order_by(AttachmentChunk.seq)).scalars().all()
    assert (row.chunks, [c.seq for c in chunks]) == (3, [0, 1, 2])
    assert downloaded(cw, people["operator"], case, body["id"]) == data
    assert list_attachments(cw, people["county_officer"], case)[0]["filename"] == SECRET_NAME
    if cw.engine.dialect.name == "sqlite":
        cw.engine.dispose()
        base = Path(cw.engine.url.database)
        raw = b"".join(path.read_bytes() for path in base.parent.glob(base.name + "*"))
    else:
        with cw.engine.connect() as connection:
            raw = b"".join(
                bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode()
                for table in ("attachments", "attachment_chunks", "events")
                for row in connection.execute(text(f"SELECT * FROM {table}")) for value in row)
    for secret in (PDF_MARK, SECRET_NAME.encode(), "诊断证明".encode(), b"%PDF-1.4"):
        assert secret not in raw, secret


def test_chunks_cannot_be_swapped_or_moved_between_attachments(cw, people, case):
    first = attach(cw, people["operator"], case, big_pdf(2 * CHUNK + 10))
    second = attach(cw, people["operator"], case, big_pdf(2 * CHUNK + 10))
    with cw.engine.begin() as connection:
        sealed = connection.execute(text(
            "SELECT sealed FROM attachment_chunks WHERE attachment_id = :a AND seq = 0"),
            {"a": second["id"]}).scalar_one()
        connection.execute(text(
            "UPDATE attachment_chunks SET sealed = :s WHERE attachment_id = :a AND seq = 0"),
            {"s": sealed, "a": first["id"]})
    before = stored(cw)
    with pytest.raises(TamperedData):
        read_attachment(cw, people["operator"], case, first["id"])
    assert stored(cw) == before  # no view recorded of a file that was not sent
    assert problems(cw) == [f"case {case} seq 2: attachment {first['id']}: tampered (a sealed "
                            f"attachment.chunk:{first['id']}:0/3 does not authenticate under key "
                            f"{cw.keyring.current.key_id}: it was altered or moved in the "
                            "database)"]


def test_audit_verify_names_a_tampered_a_missing_and_a_smuggled_attachment(cw, people, case):
    kept = attach(cw, people["operator"], case, pdf())
    lost = attach(cw, people["operator"], case, big_pdf(CHUNK + 1))
    gone = attach(cw, people["operator"], case, pdf())
    assert problems(cw) == []
    key = cw.keyring.current
    with cw.engine.begin() as connection:
        # Re-sealed with the key itself: it authenticates, but is not what was attached.
        other = key.seal_bytes(f"attachment.chunk:{kept['id']}:0/1", pdf(pad=3))
        connection.execute(text("UPDATE attachment_chunks SET sealed = :s WHERE attachment_id = "
                                ":a"), {"s": other, "a": kept["id"]})
        connection.execute(text("DELETE FROM attachment_chunks WHERE attachment_id = :a AND "
                                "seq = 1"), {"a": lost["id"]})
        connection.execute(text("DELETE FROM attachment_chunks WHERE attachment_id = :a"),
                           {"a": gone["id"]})
        connection.execute(text("DELETE FROM attachments WHERE id = :a"), {"a": gone["id"]})
    found = problems(cw)
    assert found == [
        f"case {case} seq 2: attachment {kept['id']}: tampered (its bytes do not give the "
        "sha256 its attach event records)",
        f"case {case} seq 3: attachment {lost['id']}: missing (attachment {lost['id']} has "
        "lost chunk 1 of 2)",
        f"case {case} seq 4: attachment {gone['id']}: missing (its attach event records it, "
        "and it is not stored)"]
    result = CliRunner().invoke(main, ["audit", "verify"], env={
        "CASEWORK_DATABASE_URL": cw.settings.database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
        "CASEWORK_DATA_KEY": DATA_KEY})
    assert result.exit_code == 1 and result.stdout.splitlines() == found
    assert "3 problems (1 case, 4 events, 2 attachments checked)" in result.stderr


def test_the_attach_event_is_in_the_hash_chain(cw, people, case):
    attach(cw, people["operator"], case, pdf())
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE events SET data = :d WHERE action = 'attach'"),
                           {"d": '{"attachment": 1, "sha256": "0000"}'})
    assert any("altered" in problem for problem in problems(cw))


def test_keys_rotate_reseals_attachments_and_the_old_key_is_no_longer_needed(cw, people, case):
    data = big_pdf(CHUNK + 77)
    body = attach(cw, people["operator"], case, data, SECRET_NAME, note="说明")
    photo = attach(cw, people["operator"], case, jpeg())
    new = generate_key()
    both = bootstrap(Settings(database_url=cw.settings.database_url, workflow_path=WORKFLOW,
                              data_key=new, old_data_keys=DATA_KEY))
    assert rotate_attachments(both.keyring, both.engine) == 2
    assert rotate_attachments(both.keyring, both.engine) == 0  # safe to run again
    only_new = bootstrap(Settings(database_url=cw.settings.database_url, workflow_path=WORKFLOW,
                                  data_key=new))
    try:
        assert downloaded(only_new, people["operator"], case, body["id"]) == data
        listed = list_attachments(only_new, people["operator"], case)
        assert [(a["filename"], a["note"]) for a in listed][0] == (SECRET_NAME, "说明")
        assert read_thumbnail(only_new, people["operator"], case, photo["id"])[:2] == b"\xff\xd8"
        assert problems(only_new) == []
        with pytest.raises(DataKeyError):  # the old key alone opens nothing now
            downloaded(cw, people["operator"], case, body["id"])
    finally:
        both.engine.dispose()
        only_new.engine.dispose()


def test_a_document_has_no_thumbnail(cw, people, case):
    body = attach(cw, people["operator"], case, pdf())
    assert body["thumbnail"] is False
    with pytest.raises(NotFound):
        read_thumbnail(cw, people["operator"], case, body["id"])


def test_the_sha256_is_of_the_bytes_kept(cw, people, case):
    body = attach(cw, people["operator"], case, jpeg())
    data = downloaded(cw, people["operator"], case, body["id"])
    assert hashlib.sha256(data).hexdigest() == body["sha256"]
