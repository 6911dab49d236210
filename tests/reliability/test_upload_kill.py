"""Kill the server (SIGKILL to gunicorn's process group) in the middle of uploads and find no
half attachment: an attachment row without all its chunks or without its ``attach`` event, a
chunk without its row, or an event without its attachment.  Every upload the server answered
201 is there whole (its bytes give its sha256); the others are wholly absent.

Two ways to die: mid-body (the server is still receiving the file: nothing may be written),
and during a burst of clients uploading 3 MB files (the kill lands anywhere, writing chunks
included).  CASEWORK_LONG_TESTS=1 runs more rounds.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from urllib.parse import urlsplit

import requests
from conftest import DATA_KEY, petition
from consistency import examine
from evidence_files import pdf
from processes import LONG, record, serve
from sqlalchemy import func, select

from casework.evidence.upkeep import verify_attachments
from casework.privacy.crypto import Keyring
from casework.storage.db import reading
from casework.storage.models import Attachment, AttachmentChunk, Event

ROUNDS = 10 if LONG else 2
CLIENTS = 4
SIZE = 3 * 1024 * 1024 + 123  # four chunks: the transaction writes for a while


def whole(cw) -> list[str]:
    """Every way an attachment can be half there; empty when none is."""
    found: list[str] = []
    with reading(cw.engine) as session:
        rows = session.execute(select(Attachment.id, Attachment.chunks)).all()
        chunks = dict(session.execute(select(AttachmentChunk.attachment_id, func.count())
                                      .group_by(AttachmentChunk.attachment_id)).all())
        events = session.execute(select(func.count()).select_from(Event)
                                 .where(Event.action == "attach")).scalar_one()
    for attachment_id, count in rows:
        if chunks.get(attachment_id) != count:
            found.append(f"attachment {attachment_id}: {chunks.get(attachment_id)} of {count}")
    if events != len(rows):
        found.append(f"{events} attach events for {len(rows)} attachments")
    verify_attachments(lambda: Keyring.from_texts(DATA_KEY), cw.engine,
                       report=lambda problem: found.append(str(problem)))
    found += examine(cw.engine).problems
    return found


def attachments(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(Attachment)).scalar_one()


def test_a_kill_while_the_file_is_still_arriving_writes_nothing(cw, people, tmp_path):
    from casework.lifecycle.intake import receive
    from casework.people.users import create_token

    number = receive(cw, people["operator"], petition()).number
    token = create_token(cw, people["operator"].username)
    server, base = serve(cw.engine.url.render_as_string(hide_password=False),
                         tmp_path / "server.log")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + pdf(pad=SIZE) + b"\r\n--b--\r\n")
    address = urlsplit(base)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
            sock.sendall((f"POST /api/v1/cases/{number}/attachments HTTP/1.1\r\n"
                          f"Host: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
                          "Content-Type: multipart/form-data; boundary=b\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:len(body) // 2])
            time.sleep(0.5)  # the worker is reading the body
            server.kill()
    finally:
        server.kill()
    assert attachments(cw) == 0
    assert whole(cw) == []


class Uploads:
    """Clients uploading files to their case until the server goes away."""

    def __init__(self, base: str, token: str, number: str) -> None:
        self.base, self.number = base, number
        self.headers = {"Authorization": f"Bearer {token}"}
        self.lock = threading.Lock()
        self.acknowledged: dict[int, str] = {}  # attachment id -> sha256
        self.server_errors: list[str] = []
        self.stopped = False

    def client(self, index: int) -> None:
        session = requests.Session()
        serial = 0
        while not self.stopped:
            serial += 1
            data = pdf(pad=SIZE + index * 1000 + serial)
            try:
                answer = session.post(f"{self.base}/api/v1/cases/{self.number}/attachments",
                                      headers=self.headers, timeout=60,
                                      files={"file": (f"{index}-{serial}.pdf", data)})
            except requests.RequestException:
                return
            with self.lock:
                if answer.status_code >= 500:
                    self.server_errors.append(f"{answer.status_code} {answer.text[:200]}")
                elif answer.status_code == 201:
                    assert answer.json()["sha256"] == hashlib.sha256(data).hexdigest()
                    self.acknowledged[answer.json()["id"]] = answer.json()["sha256"]


def test_a_kill_during_a_burst_of_uploads_leaves_no_half_attachment(cw, people, tmp_path):
    from casework.lifecycle.intake import receive
    from casework.people.users import create_token

    number = receive(cw, people["operator"], petition()).number
    token = create_token(cw, people["operator"].username)
    url = cw.engine.url.render_as_string(hide_password=False)
    totals = {"database": cw.engine.dialect.name, "rounds": ROUNDS, "acknowledged": 0,
              "found": 0, "stored": 0}
    for round_ in range(ROUNDS):
        server, base = serve(url, tmp_path / "server.log")
        burst = Uploads(base, token, number)
        clients = [threading.Thread(target=burst.client, args=(i,), daemon=True)
                   for i in range(CLIENTS)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 60
        target = 2 + round_ % 3
        while len(burst.acknowledged) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 * (round_ % 4))  # land the kill at a different point each round
        burst.stopped = True
        server.kill()
        for thread in clients:
            thread.join(60)
        assert len(burst.acknowledged) >= target, "the uploads never got going"
        assert not burst.server_errors, burst.server_errors[:3]
        assert whole(cw) == []
        with reading(cw.engine) as session:
            kept = dict(session.execute(select(Attachment.id, Attachment.sha256)).all())
        assert {i: kept.get(i) for i in burst.acknowledged} == burst.acknowledged
        totals["acknowledged"] += len(burst.acknowledged)
        totals["found"] += sum(1 for i in burst.acknowledged if i in kept)
        totals["stored"] = len(kept)
    record(tmp_path, f"upload-kill-{totals['database']}", totals)
