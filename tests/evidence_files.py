"""Small real files of every kind an attachment may be, and hostile ones, made here with
Pillow, pillow-heif, openpyxl, zipfile and wave (no fixture file is checked in).

Photos carry EXIF with a GPS position (``LATITUDE`` as it is written), an XMP packet and a
comment, so the tests can show what is removed."""

from __future__ import annotations

import functools
import io
import struct
import wave
import zipfile

from PIL import ExifTags, Image

LATITUDE = (22.0, 30.0, 15.5)
GPS_MARK = b"GPSMARK-shelter"  # written into the photos' XMP and text chunks
PDF_MARK = b"MEDICAL-RECORD-7731"  # a phrase only the PDF holds
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def exif(orientation: int = 6) -> bytes:
    tags = Image.Exif()
    tags[0x0112] = orientation
    tags[0x010F] = "PhoneMaker"
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: LATITUDE, 3: "E", 4: (110.0, 38.0, 2.0)})
    return tags.tobytes()


def _picture(size=(64, 48)) -> Image.Image:
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1] // 4))  # a mark: "up" is the top
    return image


def jpeg(size=(64, 48), orientation: int = 6, noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 64).convert("RGB") if noise else _picture(size)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif(orientation), comment=b"<script>alert(1)</script>",
               xmp=b"<x:xmpmeta>" + GPS_MARK + b"</x:xmpmeta>", quality=90)
    return out.getvalue()


def png() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", GPS_MARK.decode())
    out = io.BytesIO()
    _picture().save(out, "PNG", pnginfo=info, exif=exif())
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    _picture().save(out, "WEBP", exif=exif(), xmp=b"<x:xmpmeta>" + GPS_MARK + b"</x:xmpmeta>")
    return out.getvalue()


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    _picture().save(out, "HEIF", exif=exif(), quality=60)
    return out.getvalue()


def pdf(pad: int = 0) -> bytes:
    body = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + PDF_MARK + b"\n")
    return body + b"%" + b"x" * pad + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _ooxml(main_part: str, main_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="xml" ContentType="application'
            f'/xml"/><Override PartName="/{main_part}" ContentType="{main_type}"/></Types>'))
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document>" + "调解记录 " * 50 + "</document>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return _ooxml("word/document.xml", DOCX + ".main+xml")


def docm() -> bytes:
    return _ooxml("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml",
                  {"word/vbaProject.bin": b"\x00" * 64})


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["日期", "事项"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo1.jpg", jpeg())
    return out.getvalue()


@functools.cache
def zip_bomb() -> bytes:
    """A .docx in every way but size: its document.xml inflates 1000:1 to 300 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _content_types_docx())
        with archive.open("word/document.xml", "w") as entry:
            block = b"\x00" * (1024 * 1024)
            for _ in range(300):
                entry.write(block)
    return out.getvalue()


def _content_types_docx() -> str:
    return ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/word/document.xml" ContentType="{DOCX}'
            '.main+xml"/></Types>')


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 800)
    return out.getvalue()


def mp3() -> bytes:
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * 3


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _mp4(major: bytes, handlers: list[bytes]) -> bytes:
    ftyp = _box(b"ftyp", major + b"\x00\x00\x00\x00" + major + b"isom")
    tracks = b"".join(_box(b"trak", _box(b"mdia", _box(b"hdlr", b"\x00" * 8 + handler
                                                           + b"\x00" * 13)))
                      for handler in handlers)
    return ftyp + _box(b"moov", tracks) + _box(b"mdat", b"\x21" * 200)


def m4a() -> bytes:
    return _mp4(b"M4A ", [b"soun"])


def android_m4a() -> bytes:
    return _mp4(b"mp42", [b"soun"])


def mp4_video() -> bytes:
    return _mp4(b"mp42", [b"vide", b"soun"])


def amr() -> bytes:
    return b"#!AMR\n" + b"\x3c" + b"\x00" * 31


def ogg() -> bytes:
    return b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1e\x01vorbis" + b"\x00" * 30


def exe() -> bytes:
    return b"MZ\x90\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"\x00" * 200


ACCEPTED = {  # name as uploaded -> (bytes, content type told by content)
    "photo.jpg": (jpeg, "image/jpeg"),
    "screenshot.png": (png, "image/png"),
    "photo.webp": (webp, "image/webp"),
    "IMG_0001.HEIC": (heic, "image/heic"),
    "hospital record.pdf": (pdf, "application/pdf"),
    "statement.docx": (docx, DOCX),
    "expenses.xlsx": (xlsx, XLSX),
    "memo.mp3": (mp3, "audio/mpeg"),
    "memo.m4a": (m4a, "audio/mp4"),
    "recording.m4a": (android_m4a, "audio/mp4"),
    "voice.amr": (amr, "audio/amr"),
    "memo.wav": (wav, "audio/wav"),
    "voice.ogg": (ogg, "audio/ogg"),
}
