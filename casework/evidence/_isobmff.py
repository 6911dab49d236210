"""Files of the ISO base media format (``ftyp`` first): HEIC/HEIF photos, M4A voice memos, and
the ``mp42``/``isom``/``3gp`` files Android recorders write, which are audio only when every
track's handler is ``soun`` (a video has a ``vide`` track).

The boxes are walked by their declared sizes with seeks, never read whole: a 20 MB file costs a
few hundred small reads, and a box that claims more than the file holds is damage.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import BinaryIO

from casework.errors import Invalid

HEIC_BRANDS = {"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"}
HEIF_BRANDS = {"mif1", "msf1"}
AUDIO_BRANDS = {"M4A ", "M4B ", "F4A "}
CONTAINER_BRANDS = {"isom", "iso2", "mp41", "mp42", "3gp4", "3gp5", "3gp6", "3gp7", "3g2a",
                    "dash", "MSNV"}
# Boxes whose children lead to the track handlers: moov > trak > mdia > hdlr.
PATH = {"moov", "trak", "mdia"}
MAX_BOXES = 10_000


DAMAGED = "a damaged recording: send it again"


def _brands(source: BinaryIO) -> tuple[set[str], str]:
    size, kind = struct.unpack(">I4s", source.read(8))
    body = source.read(max(0, min(size, 4096) - 8))
    brands = {body[i:i + 4].decode("latin-1") for i in range(0, len(body) - 3, 4)
              if i != 4}  # bytes 4-7 are the minor version
    return brands, body[:4].decode("latin-1")


def kind_of(source: BinaryIO, size: int, *, refuse: Callable[[str], Invalid], video: str,
            not_taken: str) -> str:
    source.seek(0)
    brands, major = _brands(source)
    source.seek(0)
    if major in HEIC_BRANDS or (major in HEIF_BRANDS and brands & HEIC_BRANDS):
        return "image/heic"
    if major in HEIF_BRANDS:
        return "image/heif"
    if major in AUDIO_BRANDS:
        return "audio/mp4"
    if major in CONTAINER_BRANDS or brands & CONTAINER_BRANDS:
        try:
            handlers = _handlers(source, size, refuse)
        except (struct.error, UnicodeDecodeError):
            raise refuse(DAMAGED) from None
        if handlers and set(handlers) == {"soun"}:
            return "audio/mp4"
        raise refuse(video if "vide" in handlers else not_taken)
    raise refuse(not_taken)


def _handlers(source: BinaryIO, size: int, refuse) -> list[str]:
    """The handler type of every track (``soun``, ``vide``, ...)."""
    found: list[str] = []
    boxes = 0

    def walk(start: int, end: int, parent: str) -> None:
        nonlocal boxes
        at = start
        while at + 8 <= end:
            boxes += 1
            if boxes > MAX_BOXES:
                raise refuse(DAMAGED)
            source.seek(at)
            length, kind = struct.unpack(">I4s", source.read(8))
            header = 8
            if length == 1:
                length, header = struct.unpack(">Q", source.read(8))[0], 16
            elif length == 0:
                length = end - at
            if length < header or at + length > end:
                raise refuse(DAMAGED)
            name = kind.decode("latin-1")
            if name in PATH:
                walk(at + header, at + length, name)
            elif name == "hdlr" and parent == "mdia":
                source.seek(at + header + 8)  # version, flags, pre_defined
                found.append(source.read(4).decode("latin-1"))
            at += length

    walk(0, size, "")
    source.seek(0)
    return found
