"""A JPEG copied segment by segment without what can tell where it was taken.

Lossless: the compressed image data is copied byte for byte, so a photo of an injury is the
photo that was taken, not a re-encoding of it.  Dropped: EXIF (APP1, with GPS, the phone's
model and serial, the time), XMP (APP1 too), IPTC and every other APPn but the three a decoder
needs (JFIF, the ICC colour profile, Adobe's colour transform), comments, and everything after
the end-of-image marker (a second "multi-picture" image with its own EXIF, or a ZIP or script
appended to make a polyglot).  Kept: the orientation, in a new EXIF of that one tag, or a photo
taken upright would show on its side.

A stream that ends before its end-of-image marker is incomplete: Damaged.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from PIL import Image

BLOCK = 64 * 1024
SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
ORIENTATION = 0x0112
KEPT = ((0xE0, b"JFIF\x00"), (0xE2, b"ICC_PROFILE\x00"), (0xEE, b"Adobe"))
MAX_GARBAGE = 64  # stray bytes between segments some cameras leave; more is not a JPEG


class Damaged(Exception):
    """Not a whole JPEG."""


class _Reader:
    def __init__(self, source: BinaryIO) -> None:
        self.source, self.buf, self.pos = source, b"", 0

    def fill(self, n: int) -> bool:
        """At least ``n`` bytes buffered; False at the end of the file."""
        while len(self.buf) - self.pos < n:
            more = self.source.read(BLOCK)
            if not more:
                return False
            self.buf = self.buf[self.pos:] + more
            self.pos = 0
        return True

    def read(self, n: int) -> bytes:
        if not self.fill(n):
            raise Damaged("the file ends inside a segment")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out


def scrub(source: BinaryIO, out: BinaryIO) -> None:
    """Copy the JPEG ``source`` to ``out`` without its metadata (module docstring)."""
    source.seek(0)
    reader = _Reader(source)
    if reader.read(2) != b"\xff\xd8":
        raise Damaged("no start-of-image marker")
    out.write(b"\xff\xd8")
    header: list[bytes] | None = []  # kept APPn segments, written once the frame begins
    orientation = None
    while True:
        marker = _next_marker(reader)
        if marker == EOI:
            if header is not None:
                raise Damaged("no image in the file")
            out.write(b"\xff\xd9")
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.write(bytes((0xFF, marker)))
            continue
        length = struct.unpack(">H", reader.read(2))[0]
        if length < 2:
            raise Damaged("a segment shorter than its header")
        data = reader.read(length - 2)
        segment = bytes((0xFF, marker)) + struct.pack(">H", length) + data
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xE1 and data.startswith(b"Exif\x00\x00") and orientation is None:
                orientation = _orientation(data)
            if any(marker == kept and data.startswith(tag) for kept, tag in KEPT):
                if header is None:
                    out.write(segment)
                else:
                    header.append(segment)
            continue
        if header is not None:
            _write_header(out, header, orientation)
            header = None
        out.write(segment)
        if marker == SOS:
            _copy_scan(reader, out)


def _next_marker(reader: _Reader) -> int:
    for _ in range(MAX_GARBAGE + 1):
        if reader.read(1) == b"\xff":
            break
    else:
        raise Damaged("bytes between segments that are not a marker")
    byte = reader.read(1)[0]
    while byte == 0xFF:  # fill bytes before a marker
        byte = reader.read(1)[0]
    return byte


def _copy_scan(reader: _Reader, out: BinaryIO) -> None:
    """Copy entropy-coded data up to the next marker (0xFF not followed by 0x00 or RSTn)."""
    while True:
        if not reader.fill(2):
            raise Damaged("the image data is cut off")
        buf, start = reader.buf, reader.pos
        at = buf.find(b"\xff", start)
        while at >= 0 and at + 1 < len(buf) and (buf[at + 1] == 0 or 0xD0 <= buf[at + 1] <= 0xD7):
            at = buf.find(b"\xff", at + 2)
        if at < 0:
            out.write(buf[start:])
            reader.pos = len(buf)
        elif at + 1 >= len(buf):  # a 0xFF at the end of the buffer: decide with the next byte
            out.write(buf[start:at])
            reader.pos = at
            if not reader.fill(2):
                raise Damaged("the image data is cut off")
        else:
            out.write(buf[start:at])
            reader.pos = at
            return


def _orientation(data: bytes) -> int | None:
    exif = Image.Exif()
    try:
        exif.load(data)
        value = exif.get(ORIENTATION)
    except Exception:  # noqa: BLE001  (a malformed EXIF only loses the orientation)
        return None
    return value if isinstance(value, int) and 2 <= value <= 8 else None


def _write_header(out: BinaryIO, kept: list[bytes], orientation: int | None) -> None:
    jfif = [segment for segment in kept if segment[1] == 0xE0]
    for segment in jfif:
        out.write(segment)
    if orientation is not None:
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        out.write(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    for segment in kept:
        if segment[1] != 0xE0:
            out.write(segment)
