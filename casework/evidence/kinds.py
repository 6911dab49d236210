"""What a file is, told by its content (DESIGN.md, "Evidence": "told by content, not by name").

The maintained ``filetype`` library reads the first bytes; three families need a closer look
that a signature cannot give:
- ZIP files: a Word (.docx) and an Excel (.xlsx) file are both ZIP archives, told apart only by
  the ``[Content_Types].xml`` inside (``_office``), and a ZIP bomb named .docx must be refused
  from its directory, without inflating it;
- ISO-BMFF files (``ftyp``): an iPhone's HEIC photo, an iPhone's M4A memo and an Android
  recorder's ``mp42`` file are told apart by their brands and, for the last, by whether every
  track is sound (``_isobmff``); a video is not a voice recording;
- old Office files (.doc, .xls, and every password-protected Office file) are OLE containers
  that can carry macros: refused with a way out (save as .docx/.xlsx).

Each refusal is one of the fixed sentences below (so the pages can translate it), for the field
``file``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import filetype

from casework.errors import Invalid, TooLarge
from casework.evidence import _isobmff, _office

MAX_BYTES = 20 * 1024 * 1024  # 20 MB: a phone's photo is 2-8 MB, a scanned record 1-10 MB
HEAD = 8192  # what filetype reads

EMPTY = "the file is empty"
TOO_LARGE = "larger than 20 MB (20 × 1024 × 1024 bytes)"
NOT_TAKEN = ("not a kind of file Casework takes: photos (JPEG, PNG, HEIC, WebP), PDF, Word or "
             "Excel (DOCX, XLSX) and voice recordings (MP3, M4A, AMR, WAV, OGG)")
PROGRAM = "a program, not a photo, document or voice recording"
ARCHIVE = "an archive, not a Word or Excel document: send the files in it one by one"
OLD_OFFICE = ("an old or password-protected Office file (.doc, .xls): save it as .docx or "
              ".xlsx without a password")
VIDEO = "a video: Casework takes photos, documents and voice recordings, not videos"
DAMAGED_PDF = "the PDF is incomplete or damaged: send it again"


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]  # the first is added to a name that has none of them
    family: str  # photo, document, voice

    @property
    def is_photo(self) -> bool:
        return self.family == "photo"


KINDS = {kind.content_type: kind for kind in (
    Kind("image/jpeg", ("jpg", "jpeg", "jpe", "jfif"), "photo"),
    Kind("image/png", ("png",), "photo"),
    Kind("image/webp", ("webp",), "photo"),
    Kind("image/heic", ("heic", "heif"), "photo"),
    Kind("image/heif", ("heif", "heic"), "photo"),
    Kind("application/pdf", ("pdf",), "document"),
    Kind(_office.DOCX, ("docx",), "document"),
    Kind(_office.XLSX, ("xlsx",), "document"),
    Kind("audio/mpeg", ("mp3",), "voice"),
    Kind("audio/mp4", ("m4a", "mp4", "aac"), "voice"),
    Kind("audio/amr", ("amr",), "voice"),
    Kind("audio/wav", ("wav",), "voice"),
    Kind("audio/ogg", ("ogg", "oga", "opus"), "voice"),
)}
# filetype's names for kinds we take under a standard name.
ALIASES = {"audio/x-wav": "audio/wav"}
PROGRAMS = {"application/x-msdownload", "application/x-executable", "application/x-mach-binary",
            "application/x-shockwave-flash", "application/wasm", "application/x-deb",
            "application/x-rpm", "application/x-google-chrome-extension",
            "application/vnd.ms-cab-compressed", "application/x-sh"}
ARCHIVES = {"application/x-tar", "application/x-rar-compressed", "application/gzip",
            "application/x-bzip2", "application/x-7z-compressed", "application/x-xz",
            "application/x-compress", "application/x-lzop", "application/x-lzip",
            "application/x-lz4", "application/zstd", "application/x-brotli",
            "application/x-unix-archive"}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Old Windows programs begin MZ; filetype knows them only with a PE header inside its 8 KB.
PROGRAM_STARTS = (b"MZ", b"\x7fELF", b"#!/")


def refuse(why: str) -> Invalid:
    return Invalid({"file": why})


def measure(source: BinaryIO) -> int:
    """The file's size; TooLarge over 20 MB, Invalid when empty."""
    size = source.seek(0, 2)
    source.seek(0)
    if size > MAX_BYTES:
        raise TooLarge({"file": TOO_LARGE})
    if size == 0:
        raise refuse(EMPTY)
    return size


def identify(source: BinaryIO, size: int) -> Kind:
    """The kind of the (seekable) file ``source``; Invalid naming why it is not taken."""
    source.seek(0)
    head = source.read(HEAD)
    source.seek(0)
    if head[4:8] == b"ftyp":
        return KINDS[_isobmff.kind_of(source, size, refuse=refuse, video=VIDEO,
                                      not_taken=NOT_TAKEN)]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return KINDS[_office.kind_of(source, size, refuse=refuse)]
    if head.startswith(OLE):
        raise refuse(OLD_OFFICE)
    guess = filetype.guess(head)
    mime = ALIASES.get(guess.mime, guess.mime) if guess else None
    if mime in KINDS:
        if mime == "application/pdf":
            _check_pdf(source, size)
        return KINDS[mime]
    if mime in PROGRAMS or head.startswith(PROGRAM_STARTS):
        raise refuse(PROGRAM)
    if mime in ARCHIVES:
        raise refuse(ARCHIVE)
    if mime is not None and mime.startswith("video/"):
        raise refuse(VIDEO)
    raise refuse(NOT_TAKEN)


def _check_pdf(source: BinaryIO, size: int) -> None:
    """A PDF ends with %%EOF (and perhaps a line end): one cut off in transfer does not."""
    source.seek(max(0, size - 1024))
    tail = source.read()
    source.seek(0)
    if b"%%EOF" not in tail:
        raise refuse(DAMAGED_PDF)
