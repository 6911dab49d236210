"""Evidence through the JSON API (DESIGN.md, "Evidence (attachments)"): every kind taken is
added, listed and downloaded; a download says ``attachment`` and ``no-store`` and is recorded;
photos come back without their location; refusals are 422 or 413 naming the field, write
nothing, and never 500.  On SQLite and PostgreSQL (the ``cw`` fixture)."""

from __future__ import annotations

import hashlib
import io

import pytest
from evidence_files import ACCEPTED, GPS_MARK, LATITUDE, exe, jpeg, pdf, zip_bomb
from PIL import ExifTags, Image
from sqlalchemy import func, select

from casework.evidence.kinds import MAX_BYTES
from casework.storage.db import reading
from casework.storage.models import Attachment, AttachmentChunk, Event

API = "/api/v1"


def upload(client, headers, number: str, data: bytes, name: str, note: str = "", **extra):
    body = {"file": (io.BytesIO(data), name), **({"note": note} if note else {}), **extra}
    return client.post(f"{API}/cases/{number}/attachments", data=body, headers=headers,
                       content_type="multipart/form-data")


def stored(cw) -> tuple[int, int, int]:
    """(attachments, chunks, events): a refused upload leaves all three as they were."""
    with reading(cw.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Attachment, AttachmentChunk, Event))


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_every_kind_taken_is_added_listed_and_downloaded(client, as_, new_case, name, cw):
    make, content_type = ACCEPTED[name]
    original = make()
    number = new_case()["number"]
    added = upload(client, as_("village_a1"), number, original, name, note="验伤照片")
    assert added.status_code == 201, added.json
    body = added.json
    assert body["content_type"] == content_type
    assert body["uploaded_by"] == "village_cadre_450330100201" and body["note"] == "验伤照片"
    assert set(body) >= {"id", "filename", "content_type", "size", "sha256", "uploaded_at",
                         "uploaded_by"}
    assert added.headers["Location"].endswith(f"/attachments/{body['id']}")

    listed = client.get(f"{API}/cases/{number}/attachments", headers=as_("county_officer"))
    assert listed.json["items"] == [body]

    got = client.get(f"{API}/cases/{number}/attachments/{body['id']}",
                     headers=as_("county_officer"))
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Cache-Control"] == "no-store"
    assert got.headers["Content-Type"] == content_type
    data = got.get_data()
    assert len(data) == body["size"] and hashlib.sha256(data).hexdigest() == body["sha256"]
    if content_type.startswith("image/"):
        assert GPS_MARK not in data and b"PhoneMaker" not in data
        opened = Image.open(io.BytesIO(data))
        assert ExifTags.IFD.GPSInfo not in opened.getexif()
        thumb = client.get(f"{API}/cases/{number}/attachments/{body['id']}/thumbnail",
                           headers=as_("county_officer"))
        assert thumb.headers["Content-Type"] == "image/jpeg"
        assert max(Image.open(io.BytesIO(thumb.get_data())).size) <= 320
    else:
        assert data == original  # documents and recordings are kept byte for byte

    events = client.get(f"{API}/cases/{number}", headers=as_("county_officer")).json["events"]
    attach, view = events[-2], events[-1]
    assert attach["action"] == "attach" and attach["actor"] == "village_cadre_450330100201"
    assert attach["data"] == {"attachment": body["id"], "sha256": body["sha256"],
                              "size": body["size"], "content_type": content_type}
    assert view["action"] == "view_attachment" and view["actor"] == "county_officer_450330"
    assert view["data"] == {"attachment": body["id"]}


def test_a_photo_keeps_its_orientation_and_loses_its_gps(client, as_, new_case):
    number = new_case()["number"]
    original = Image.open(io.BytesIO(jpeg()))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)[2] == LATITUDE  # it had one
    body = upload(client, as_("operator"), number, jpeg(), "IMG_2041.JPG").json
    data = client.get(f"{API}/cases/{number}/attachments/{body['id']}",
                      headers=as_("operator")).get_data()
    kept = Image.open(io.BytesIO(data)).getexif()
    assert dict(kept) == {0x0112: 6}  # the orientation, and nothing else
    assert body["filename"] == "IMG_2041.JPG"


@pytest.mark.parametrize(("name", "make", "status", "why"), [
    ("report.pdf", exe, 422, "a program"),
    ("statement.docx", zip_bomb, 422, "zip bomb"),
    ("photo.jpg", lambda: jpeg((400, 300), noise=True)[:3000], 422, "damaged or incomplete"),
    ("big.pdf", lambda: pdf(pad=MAX_BYTES + 1 - len(pdf())), 413, "larger than 20 MB"),
    ("empty.jpg", lambda: b"", 422, "empty"),
])
def test_a_refused_file_is_named_and_writes_nothing(client, as_, new_case, cw, name, make,
                                                    status, why, unexpected):
    number = new_case()["number"]
    before = stored(cw)
    answer = upload(client, as_("village_a1"), number, make(), name)
    assert answer.status_code == status, answer.json
    assert answer.json["error"] == ("too_large" if status == 413 else "invalid")
    assert why in answer.json["fields"]["file"]
    assert stored(cw) == before
    assert not unexpected()


def test_a_request_without_a_file_or_with_two_is_refused(client, as_, new_case, cw):
    number = new_case()["number"]
    before = stored(cw)
    none = client.post(f"{API}/cases/{number}/attachments", data={"note": "x"},
                       headers=as_("operator"), content_type="multipart/form-data")
    assert (none.status_code, none.json["fields"]) == (422, {"file": "required"})
    two = client.post(f"{API}/cases/{number}/attachments", headers=as_("operator"),
                      data={"file": [(io.BytesIO(pdf()), "a.pdf"), (io.BytesIO(pdf()), "b.pdf")]},
                      content_type="multipart/form-data")
    assert (two.status_code, two.json["fields"]) == (422, {"file": "one file per request"})
    json_body = client.post(f"{API}/cases/{number}/attachments", json={"file": "x"},
                            headers=as_("operator"))
    assert json_body.status_code == 422
    long_note = upload(client, as_("operator"), number, pdf(), "a.pdf", note="长" * 1001)
    assert long_note.status_code == 422 and "note" in long_note.json["fields"]
    assert stored(cw) == before


def test_a_body_far_over_the_limit_is_413_before_it_is_read(client, as_, new_case, cw):
    number = new_case()["number"]
    before = stored(cw)
    answer = upload(client, as_("operator"), number, b"%PDF-" + b"0" * (MAX_BYTES * 2), "x.pdf")
    assert answer.status_code == 413
    assert answer.json["fields"] == {"file": "larger than 20 MB (20 × 1024 × 1024 bytes)"}
    assert stored(cw) == before


def test_outside_the_area_evidence_is_404_as_the_case_is(client, as_, new_case, cw):
    number = new_case()["number"]  # in 大李村, township A
    body = upload(client, as_("village_a1"), number, pdf(), "a.pdf").json
    before = stored(cw)
    for path in ("attachments", f"attachments/{body['id']}",
                 f"attachments/{body['id']}/thumbnail"):
        answer = client.get(f"{API}/cases/{number}/{path}", headers=as_("township_b"))
        assert (answer.status_code, answer.json["error"]) == (404, "not_found"), path
    refused = upload(client, as_("village_a2"), number, pdf(), "a.pdf")
    assert refused.status_code == 404
    for who in ("admin", "leader"):  # roles that open no case file: the case is not found
        assert upload(client, as_(who), number, pdf(), "a.pdf").status_code == 404
    assert client.get(f"{API}/cases/{number}/attachments/{body['id'] + 1}",
                      headers=as_("operator")).status_code == 404
    assert stored(cw) == before


def test_an_attachment_of_another_case_is_not_found_through_this_one(client, as_, new_case):
    first, second = new_case()["number"], new_case()["number"]
    body = upload(client, as_("operator"), first, pdf(), "a.pdf").json
    answer = client.get(f"{API}/cases/{second}/attachments/{body['id']}", headers=as_("operator"))
    assert answer.status_code == 404


def test_a_hostile_file_name_comes_back_harmless(client, as_, new_case):
    number = new_case()["number"]
    hostile = "..\\..\\../etc/\x00pass\x07wd\x1b\t" + "证" * 300 + "\u202egpj.exe"
    answer = upload(client, as_("operator"), number, pdf(), hostile)
    assert answer.status_code == 201, answer.json
    name = answer.json["filename"]
    assert "/" not in name and "\\" not in name and "\u202e" not in name
    assert not any(ord(char) < 32 for char in name)
    assert len(name) <= 120 and name.endswith(".pdf") and name.startswith("passwd")
    got = client.get(f"{API}/cases/{number}/attachments/{answer.json['id']}",
                     headers=as_("operator"))
    disposition = got.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=UTF-8''" in disposition
    # A line break in a part's header breaks the part itself: no file arrives, nothing is kept.
    broken = upload(client, as_("operator"), number, pdf(), "a\r\nContent-Type: text/html.pdf")
    assert (broken.status_code, broken.json["fields"]) == (422, {"file": "required"})


def test_a_session_upload_needs_the_csrf_token(csrf_app, cw, people, new_case):
    from e2e.conftest import csrf_token_of, login

    number = new_case()["number"]
    browser = csrf_app.test_client()
    login(browser, people["operator"].username, csrf_token=csrf_token_of(browser))
    before = stored(cw)
    forged = browser.post(f"{API}/cases/{number}/attachments", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(pdf()), "a.pdf")})
    assert (forged.status_code, forged.json["error"]) == (400, "csrf")
    assert stored(cw) == before
    token = csrf_token_of(browser)
    sent = browser.post(f"{API}/cases/{number}/attachments", content_type="multipart/form-data",
                        data={"file": (io.BytesIO(pdf()), "a.pdf")},
                        headers={"X-CSRFToken": token})
    assert sent.status_code == 201


def test_a_file_altered_in_the_database_is_refused_whole_and_not_recorded(client, as_, new_case,
                                                                           cw, unexpected):
    from sqlalchemy import text

    number = new_case()["number"]
    body = upload(client, as_("operator"), number, pdf(pad=3 * 1024 * 1024), "a.pdf").json
    with cw.engine.begin() as connection:
        connection.execute(text("DELETE FROM attachment_chunks WHERE attachment_id = :a AND "
                                "seq = 2"), {"a": body["id"]})
    before = stored(cw)
    answer = client.get(f"{API}/cases/{number}/attachments/{body['id']}", headers=as_("operator"))
    assert (answer.status_code, answer.json["error"]) == (503, "data_integrity")
    assert f"attachment {body['id']} has lost chunk 2 of 4" in answer.json["message"]
    assert stored(cw) == before and not unexpected()


def test_a_head_request_opens_nothing_and_records_nothing(client, as_, new_case, cw):
    number = new_case()["number"]
    body = upload(client, as_("operator"), number, pdf(), "记录.pdf").json
    before = stored(cw)
    answer = client.head(f"{API}/cases/{number}/attachments/{body['id']}",
                         headers=as_("operator"))
    assert answer.status_code == 200 and answer.get_data() == b""
    assert answer.headers["Content-Length"] == str(body["size"])
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert stored(cw) == before


def test_an_attachment_id_past_the_databases_integers_is_not_found(client, as_, new_case):
    """PostgreSQL refuses a number past its integer as a query error: it must be a 404, not a
    500 (schemathesis found 381824820509)."""
    number = new_case()["number"]
    for found in ("381824820509", "2147483648", "9999999999"):
        for tail in ("", "/thumbnail"):
            answer = client.get(f"/api/v1/cases/{number}/attachments/{found}{tail}",
                                headers=as_("county_officer"))
            assert answer.status_code == 404, (found, tail)
