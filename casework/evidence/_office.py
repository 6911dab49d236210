"""Word (.docx) or Excel (.xlsx)?  Both are ZIP archives; what tells them apart is the main
part that ``[Content_Types].xml`` declares, and that part being in the archive.

Everything is decided from the ZIP's central directory and that one small entry; no other
entry is ever inflated.  A ZIP bomb is refused from the sizes its directory declares: too many
entries, more unpacked bytes than a real document, an entry that would grow too much, or
entries that overlap (the "non-recursive" bomb, whose entries share one compressed stream).
A lying directory gains nothing either: ``[Content_Types].xml`` is read at most 256 KB deep.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from typing import BinaryIO
from xml.etree import ElementTree

from casework.errors import Invalid

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN_PARTS = {DOCX + ".main+xml": DOCX, XLSX + ".main+xml": XLSX}
# Macros run when the file is opened; the field's computers are shared family ones.
MACRO_TYPES = ("macroEnabled", "vnd.ms-office.vbaProject", "vnd.ms-excel.sheet.binary")
CONTENT_TYPES = "[Content_Types].xml"
NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"

MAX_ENTRIES = 5000  # a long Word file with its images has a few hundred
MAX_UNPACKED = 200 * 1024 * 1024  # ten times the upload limit; XML packs about 10:1
MAX_RATIO = 200  # an entry over 1 MB that would grow more than this is not a document
RATIO_FLOOR = 1024 * 1024
MAX_CONTENT_TYPES = 256 * 1024
END_RECORD = b"PK\x05\x06"

ZIP_BOMB = "a compressed file that would unpack to far more than a real document (a zip bomb)"
DAMAGED = "a damaged or unusual Word or Excel file: open it and save it again"
NOT_OFFICE = ("a ZIP archive, not a Word or Excel document (DOCX, XLSX): send the files in "
              "it one by one")
MACROS = "a Word or Excel file with macros: save it as .docx or .xlsx without macros"


def kind_of(source: BinaryIO, size: int, *, refuse: Callable[[str], Invalid]) -> str:
    """DOCX or XLSX for a ZIP-signed ``source``; Invalid naming why it is neither."""
    _check_end_record(source, size, refuse)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise refuse(DAMAGED) from None
    with archive:
        entries = archive.infolist()
        _check_sizes(entries, refuse)
        names = {entry.filename for entry in entries}
        if CONTENT_TYPES not in names:
            raise refuse(NOT_OFFICE)
        types = _content_types(archive, refuse)
    if any(marker in value for value in types.values() for marker in MACRO_TYPES) or any(
            name.lower().endswith("vbaproject.bin") for name in names):
        raise refuse(MACROS)
    found = {MAIN_PARTS[value] for part, value in types.items()
             if value in MAIN_PARTS and part.lstrip("/") in names}
    if len(found) != 1:
        raise refuse(NOT_OFFICE)
    return found.pop()


def _check_end_record(source: BinaryIO, size: int, refuse) -> None:
    """The entry count from the end record, before zipfile builds one object per entry."""
    tail_size = min(size, 22 + 65535)
    source.seek(size - tail_size)
    tail = source.read(tail_size)
    source.seek(0)
    at = tail.rfind(END_RECORD)
    if at < 0 or len(tail) < at + 22:
        raise refuse(DAMAGED)
    entries, directory_size = struct.unpack("<xxxxxxxxxxHI", tail[at:at + 16])
    # 0xFFFF means a ZIP64 record follows: no document under 20 MB needs one.
    if entries == 0xFFFF or entries > MAX_ENTRIES or directory_size > size:
        raise refuse(ZIP_BOMB if entries > MAX_ENTRIES else DAMAGED)


def _check_sizes(entries: list[zipfile.ZipInfo], refuse) -> None:
    if len(entries) > MAX_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNPACKED:
        raise refuse(ZIP_BOMB)
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and (
                entry.file_size > MAX_RATIO * max(entry.compress_size, 1)):
            raise refuse(ZIP_BOMB)
        if entry.flag_bits & 0x1:  # encrypted
            raise refuse(DAMAGED)
    stored = sorted(entries, key=lambda entry: entry.header_offset)
    for first, second in zip(stored, stored[1:], strict=False):
        if first.header_offset + 30 + first.compress_size > second.header_offset:
            raise refuse(ZIP_BOMB)


def _content_types(archive: zipfile.ZipFile, refuse) -> dict[str, str]:
    """``[Content_Types].xml``'s overrides: part name -> content type."""
    entry = archive.getinfo(CONTENT_TYPES)
    if entry.file_size > MAX_CONTENT_TYPES:
        raise refuse(DAMAGED)
    try:
        with archive.open(entry) as handle:
            data = handle.read(MAX_CONTENT_TYPES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise refuse(DAMAGED) from None
    # No DTD in a real one; refusing it keeps entity expansion out of the parser altogether.
    if len(data) > MAX_CONTENT_TYPES or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise refuse(DAMAGED)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        raise refuse(DAMAGED) from None
    return {element.get("PartName", ""): element.get("ContentType", "")
            for element in root.iter(f"{NS}Override")}
