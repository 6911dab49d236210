"""What a file is and what a photo loses, without a database or Flask: the kinds told by
content, the lossless cleaning of JPEG, PNG and WebP, file names, and the byte seals."""

from __future__ import annotations

import io
import struct
import zipfile

import evidence_files as files
import pytest
from PIL import ExifTags, Image, ImageChops

from casework.errors import Invalid
from casework.evidence import _jpeg
from casework.evidence.filenames import clean_filename
from casework.evidence.kinds import KINDS, identify
from casework.evidence.scrub import clean
from casework.privacy.crypto import DataKey, TamperedData, generate_key


def kind_of(data: bytes) -> str:
    return identify(io.BytesIO(data), len(data)).content_type


def cleaned(data: bytes) -> tuple[bytes, bytes | None]:
    source, out = io.BytesIO(data), io.BytesIO()
    thumbnail = clean(KINDS[kind_of(data)], source, out)
    return out.getvalue(), thumbnail


def refusal(data: bytes) -> str:
    with pytest.raises(Invalid) as refused:
        kind_of(data)
    return refused.value.fields["file"]


def zipped(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


# -- kinds ------------------------------------------------------------------------------------
def test_word_and_excel_are_told_apart_by_their_content_types_not_their_names():
    assert kind_of(files.docx()) == files.DOCX
    assert kind_of(files.xlsx()) == files.XLSX
    assert "ZIP archive" in refusal(files.plain_zip())
    # A PowerPoint file is an Office file too, but not one Casework takes.
    pptx = zipped({"[Content_Types].xml": files._content_types_docx().replace(
        "wordprocessingml.document", "presentationml.presentation").encode(),
        "word/document.xml": b"<x/>"})
    assert "ZIP archive" in refusal(pptx)
    # Declaring a main part the archive does not hold is not a document either.
    hollow = zipped({"[Content_Types].xml": files._content_types_docx().encode()})
    assert "ZIP archive" in refusal(hollow)


def test_a_content_types_file_with_a_dtd_is_refused_before_parsing():
    billion = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">]><Types>&a;</Types>')
    assert "damaged or unusual" in refusal(zipped({"[Content_Types].xml": billion}))


def test_zip_bombs_are_refused_from_the_directory():
    assert "zip bomb" in refusal(files.zip_bomb())
    # Thousands of empty entries: refused from the end record, before zipfile lists them.
    many = zipped({f"word/{i}.xml": b"" for i in range(5001)})
    assert "zip bomb" in refusal(many)


def test_overlapping_entries_the_non_recursive_bomb_are_refused():
    data = bytearray(zipped({"[Content_Types].xml": files._content_types_docx().encode(),
                             "word/document.xml": b"<w/>" * 200}))
    # Point the second entry's directory record at the first entry's local header.
    directory = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, directory + 42, 0)
    assert "zip bomb" in refusal(bytes(data))


def test_iso_media_files_are_told_by_brand_and_track():
    assert kind_of(files.heic()) == "image/heic"
    assert kind_of(files.m4a()) == "audio/mp4"
    assert kind_of(files.android_m4a()) == "audio/mp4"  # mp42 with one sound track
    assert "video" in refusal(files.mp4_video())
    heif = files._box(b"ftyp", b"mif1\x00\x00\x00\x00mif1") + b"\x00" * 16
    assert kind_of(heif) == "image/heif"


@pytest.mark.parametrize(("data", "why"), [
    (files.exe(), "a program"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "a program"),
    (b"#!/bin/sh\nrm -rf /\n", "a program"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old or password-protected"),
    (b"Rar!\x1a\x07\x00" + b"\x00" * 20, "an archive"),
    (b"GIF89a" + b"\x00" * 20, "not a kind of file"),
    (b"<html><body>hi</body></html>", "not a kind of file"),
])
def test_what_is_not_taken_is_named(data, why):
    assert why in refusal(data)


def test_every_accepted_fixture_is_told_by_content_whatever_its_name():
    for make, content_type in files.ACCEPTED.values():
        assert kind_of(make()) == content_type


# -- photos -----------------------------------------------------------------------------------
def test_a_jpeg_loses_gps_xmp_and_comment_but_keeps_pixels_and_orientation():
    original = files.jpeg()
    kept, thumbnail = cleaned(original)
    assert files.GPS_MARK in original and b"PhoneMaker" in original
    assert files.GPS_MARK not in kept and b"PhoneMaker" not in kept and b"<script>" not in kept
    exif = Image.open(io.BytesIO(kept)).getexif()
    assert dict(exif) == {0x0112: 6} and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(kept))
    assert ImageChops.difference(before.convert("RGB"), after.convert("RGB")).getbbox() is None
    # The thumbnail is turned upright: the 64x48 photo shot sideways is 36x48 at most 320.
    assert Image.open(io.BytesIO(thumbnail)).size == (48, 64)


def test_a_progressive_jpeg_with_restart_markers_is_copied_whole():
    out = io.BytesIO()
    Image.effect_noise((200, 150), 40).convert("RGB").save(
        out, "JPEG", progressive=True, exif=files.exif(1), quality=80)
    kept, _ = cleaned(out.getvalue())
    assert Image.open(io.BytesIO(kept)).tobytes() == Image.open(out).tobytes()


def test_whatever_follows_the_end_of_a_jpeg_is_dropped():
    original = files.jpeg()
    kept, _ = cleaned(original + files.jpeg(orientation=3) + files.plain_zip())
    assert kept == cleaned(original)[0]


def test_a_truncated_jpeg_is_damaged():
    data = files.jpeg((300, 200), noise=True)
    with pytest.raises(_jpeg.Damaged):
        _jpeg.scrub(io.BytesIO(data[: len(data) // 2]), io.BytesIO())
    with pytest.raises(Invalid, match="damaged or incomplete"):
        cleaned(data[: len(data) // 2])


def test_png_and_webp_lose_their_metadata_and_keep_their_pixels():
    for make in (files.png, files.webp):
        original = make()
        kept, thumbnail = cleaned(original)
        assert files.GPS_MARK in original or b"Exif" in original or b"EXIF" in original
        assert files.GPS_MARK not in kept and b"PhoneMaker" not in kept
        before, after = Image.open(io.BytesIO(original)), Image.open(io.BytesIO(kept))
        assert before.convert("RGB").tobytes() == after.convert("RGB").tobytes()
        assert not after.getexif() and thumbnail[:2] == b"\xff\xd8"


def test_heic_is_reencoded_without_its_exif():
    original = files.heic()
    kept, thumbnail = cleaned(original)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    after = Image.open(io.BytesIO(kept))
    assert after.format == "HEIF" and not after.info.get("exif")
    assert after.size == (48, 64)  # turned upright before the EXIF went


def test_documents_and_recordings_are_kept_byte_for_byte():
    for make in (files.pdf, files.docx, files.wav, files.amr):
        assert cleaned(make()) == (make(), None)


# -- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "kept"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\李\\Desktop\\诊断证明.pdf", "诊断证明.pdf"),
    ("report\u202efdp.exe", "reportfdp.exe.pdf"),
    ("a\x00b\x07c\r\n.pdf", "abc.pdf"),
    ("record.docx", "record.docx.pdf"),
    ("", "attachment.pdf"),
    ("...", "attachment.pdf"),
    ("入户　走访.PDF", "入户 走访.PDF"),
])
def test_file_names_are_data_not_paths(raw, kept):
    assert clean_filename(raw, KINDS["application/pdf"]) == kept


def test_a_long_name_is_cut_keeping_its_extension():
    name = clean_filename("证" * 300 + ".jpg", KINDS["image/jpeg"])
    assert len(name) == 120 and name.endswith(".jpg")


# -- seals ------------------------------------------------------------------------------------
def test_bytes_sealed_for_one_place_open_nowhere_else():
    key = DataKey.from_text(generate_key())
    sealed = key.seal_bytes("attachment.chunk:1:0/2", b"\x00evidence" * 100)
    assert key.open_bytes("attachment.chunk:1:0/2", sealed) == b"\x00evidence" * 100
    for elsewhere in ("attachment.chunk:1:1/2", "attachment.chunk:2:0/2",
                      "attachment.chunk:1:0/1"):
        with pytest.raises(TamperedData):
            key.open_bytes(elsewhere, sealed)
    with pytest.raises(TamperedData):
        DataKey.from_text(generate_key()).open_bytes("attachment.chunk:1:0/2", sealed)
