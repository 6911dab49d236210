"""Files in and out of the web layer: the multipart upload of an attachment, and its download.

Uploads: the app's 1 MB request limit is raised for these routes only, to 20 MB a file plus
the note and the multipart framing; werkzeug spools a file over 500 KB into an unnamed
temporary file (unlinked at once), so a 20 MB upload is never held in memory.  Downloads are
streamed chunk by chunk as the core opens them, with ``Content-Disposition: attachment`` (never
shown inline, so no upload can run as a page of this site) and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from casework.errors import Invalid, NotFound, TooLarge
from casework.evidence.attachments import Opened, Upload
from casework.evidence.kinds import MAX_BYTES, TOO_LARGE

FRAMING = 256 * 1024  # the note, the field names, the boundaries
MAX_FILES = 10  # what the case page sends at once without its script


def received_files(most: int = 1) -> tuple[list[FileStorage], str]:
    """The request's ``file`` parts (at most ``most``) and its ``note``."""
    request.max_content_length = most * MAX_BYTES + FRAMING
    request.max_form_parts = most + 10
    try:
        files = [part for part in request.files.getlist("file") if part.filename]
        note = request.form.get("note", "")
    except RequestEntityTooLarge:
        raise TooLarge({"file": TOO_LARGE}) from None
    if not files:
        raise Invalid({"file": "required"})
    if len(files) > most:
        raise Invalid({"file": "one file per request" if most == 1 else "at most 10 files"})
    return files, note


MAX_ID = 2**31 - 1


def attachment_number(text: str) -> int:
    """An attachment id from the address; anything else is as absent as a missing one."""
    # Ids are PostgreSQL integers: a larger number is no attachment, not a query PostgreSQL
    # refuses with an error (a 500 that schemathesis found).
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > MAX_ID:
        raise NotFound("no such attachment")
    return int(text)


def upload_of(part: FileStorage, note: str) -> Upload:
    return Upload(stream=part.stream, filename=part.filename or "", note=note)


def disposition(filename: str) -> str:
    """``attachment`` with the name twice: plain ASCII for old clients, and UTF-8 (RFC 6266,
    RFC 5987) for the Chinese names most files have."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\%' else "_"
                       for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send(opened: Opened) -> Response:
    response = Response(opened.chunks, content_type=opened.content_type,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(opened.size)
    response.headers["Content-Disposition"] = disposition(opened.filename)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Repr-Digest"] = f"sha-256=:{_base64(opened.sha256)}:"
    return response


def head(item: dict) -> Response:
    """What a GET would answer, without the bytes: a HEAD opens nothing, so records nothing."""
    response = Response(b"", content_type=item["content_type"])
    response.headers["Content-Length"] = str(item["size"])
    response.headers["Content-Disposition"] = disposition(item["filename"])
    response.headers["Cache-Control"] = "no-store"
    response.headers["Repr-Digest"] = f"sha-256=:{_base64(item['sha256'])}:"
    return response


def _base64(hex_digest: str) -> str:
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def thumbnail(data: bytes) -> Response:
    return Response(data, content_type="image/jpeg", headers={"Cache-Control": "no-store"})
