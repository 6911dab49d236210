"""What a photo loses before it is kept, and the thumbnail the case page shows.

A photo's EXIF can hold the GPS position where it was taken: a survivor photographing her
injuries in a shelter would give the shelter away to anyone who later gets the file (DESIGN.md,
"Evidence").  JPEG, PNG and WebP are copied without their metadata losslessly (``_jpeg``,
``_chunks``); HEIC cannot be, since pillow-heif rewrites the whole file when it saves, so a HEIC
photo is decoded and encoded again at quality 90 without EXIF or XMP (the price of keeping the
format the iPhone wrote; its pixels are what the phone shot, its bytes are not).  Were
pillow-heif missing (it ships wheels for the usual platforms, and installs here), HEIC photos
are refused with a sentence saying so rather than kept with their location.

Then every photo is decoded in full from the cleaned bytes, which refuses a damaged or cut-off
one, and a JPEG thumbnail of at most 320 px is made from it (JPEGs decode at reduced scale for
this, so a 12-megapixel photo costs a few megabytes, not 36).
"""

from __future__ import annotations

import shutil
import struct
import warnings
from io import BytesIO
from typing import BinaryIO

from PIL import Image, ImageOps

from casework.errors import Invalid
from casework.evidence import _chunks, _jpeg
from casework.evidence.kinds import Kind

try:  # pillow-heif registers HEIC/HEIF with Pillow
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover  (installed wherever pip finds its wheel)
    HEIF = False

MAX_PIXELS = 64_000_000  # a 50-megapixel phone camera; more is a decompression bomb
THUMBNAIL = 320
HEIC_QUALITY = 90
DAMAGED_PHOTO = "the photo is damaged or incomplete: take or send it again"
TOO_MANY_PIXELS = "the photo has more than 64 million pixels"
NO_HEIF = ("HEIC photos cannot be cleaned of their location on this server: send the photo as "
           "JPEG (on an iPhone: Settings, Camera, Formats, Most Compatible)")
FAILURES = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, KeyError,
            TypeError, Image.DecompressionBombError, _jpeg.Damaged)


def refuse(why: str) -> Invalid:
    return Invalid({"file": why})


def clean(kind: Kind, source: BinaryIO, out: BinaryIO) -> bytes | None:
    """Write the file to keep to ``out``: a photo without its metadata, anything else as it
    came.  The photo's thumbnail (JPEG bytes), or None for a document or a recording."""
    source.seek(0)
    try:
        if kind.content_type == "image/jpeg":
            _jpeg.scrub(source, out)
        elif kind.content_type == "image/png":
            _chunks.scrub_png(source, out)
        elif kind.content_type == "image/webp":
            _chunks.scrub_webp(source, out)
        elif kind.content_type in ("image/heic", "image/heif"):
            _reencode_heif(source, out)
        else:
            shutil.copyfileobj(source, out, 1024 * 1024)
    except Invalid:
        raise
    except FAILURES:
        raise refuse(DAMAGED_PHOTO) from None
    out.flush()
    if not kind.is_photo:
        return None
    out.seek(0)
    return thumbnail(out)


def _open(source: BinaryIO) -> Image.Image:
    image = Image.open(source)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise refuse(TOO_MANY_PIXELS)
    return image


def _reencode_heif(source: BinaryIO, out: BinaryIO) -> None:
    if not HEIF:
        raise refuse(NO_HEIF)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(source)
            image.load()
        except Image.DecompressionBombWarning:
            raise refuse(TOO_MANY_PIXELS) from None
    # pillow-heif has already turned the pixels upright (irot/imir); nothing else is written.
    image.save(out, format="HEIF", quality=HEIC_QUALITY, exif=None, xmp=None)


def thumbnail(cleaned: BinaryIO) -> bytes:
    """A JPEG of at most 320 px, upright, from the cleaned photo; refuses a damaged photo."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = _open(cleaned)
            image.draft("RGB", (THUMBNAIL * 2, THUMBNAIL * 2))  # JPEG: decode at 1/2 to 1/8
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMBNAIL, THUMBNAIL))
            flat = Image.new("RGB", image.size, "white")  # transparency on white, not black
            flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        except Image.DecompressionBombWarning:
            raise refuse(TOO_MANY_PIXELS) from None
        except FAILURES:
            raise refuse(DAMAGED_PHOTO) from None
    buffer = BytesIO()
    flat.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
