"""PNG and WebP copied chunk by chunk without their metadata.

Lossless, like the JPEG path (``_jpeg``): the image's own chunks are copied byte for byte.
PNG drops ``eXIf``, the text chunks (``tEXt``, ``zTXt``, ``iTXt``: where editors and some
phones write places and comments), ``tIME`` and every chunk it does not know, and everything
after ``IEND``.  WebP drops ``EXIF``, ``XMP `` and unknown chunks, clears the two flags of
``VP8X`` that announce them, and ends the file where its RIFF header says it ends.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

from casework.evidence._jpeg import Damaged

BLOCK = 64 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT",
            b"sRGB", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT", b"cICP"}
WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
VP8X_EXIF, VP8X_XMP = 0x08, 0x04


def _exactly(source: BinaryIO, n: int) -> bytes:
    data = source.read(n)
    if len(data) != n:
        raise Damaged("the file is cut off")
    return data


def _copy(source: BinaryIO, out: BinaryIO | None, n: int) -> None:
    while n > 0:
        data = _exactly(source, min(BLOCK, n))
        if out is not None:
            out.write(data)
        n -= len(data)


def scrub_png(source: BinaryIO, out: BinaryIO) -> None:
    source.seek(0)
    if _exactly(source, 8) != PNG_SIGNATURE:
        raise Damaged("no PNG signature")
    out.write(PNG_SIGNATURE)
    while True:
        head = _exactly(source, 8)
        length, kind = struct.unpack(">I4s", head)
        if length > 0x7FFFFFFF:
            raise Damaged("a chunk longer than PNG allows")
        keep = kind in PNG_KEPT
        if keep:
            out.write(head)
        _copy(source, out if keep else None, length + 4)  # the data and its CRC
        if kind == b"IEND":
            return


def scrub_webp(source: BinaryIO, out: BinaryIO) -> None:
    source.seek(0)
    riff, declared, webp = struct.unpack("<4sI4s", _exactly(source, 12))
    if riff != b"RIFF" or webp != b"WEBP":
        raise Damaged("no WebP header")
    start = out.tell()
    out.write(b"RIFF\x00\x00\x00\x00WEBP")
    left, written = declared - 4, 4
    while left >= 8:
        kind, length = struct.unpack("<4sI", _exactly(source, 8))
        padded = length + (length & 1)
        if padded + 8 > left:
            raise Damaged("a chunk runs past the end of the file")
        left -= padded + 8
        if kind not in WEBP_KEPT:
            _copy(source, None, padded)
            continue
        out.write(struct.pack("<4sI", kind, length))
        if kind == b"VP8X":
            data = bytearray(_exactly(source, padded))
            data[0] &= ~(VP8X_EXIF | VP8X_XMP) & 0xFF
            out.write(bytes(data))
        else:
            _copy(source, out, padded)
        written += padded + 8
    if left:
        raise Damaged("the file ends inside a chunk header")
    end = out.tell()
    out.seek(start + 4)
    out.write(struct.pack("<I", written))
    out.seek(end)
