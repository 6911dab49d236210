"""The case page's evidence: the form from a phone's camera or gallery (several files at once,
without its script too), the list with server-made thumbnails, downloads recorded in the
timeline, refusals shown on the page in its language."""

from __future__ import annotations

import io
import re

from evidence_files import exe, heic, jpeg, pdf, wav

from casework.evidence.kinds import MAX_BYTES
from e2e.case_pages import text


def post_files(client, number: str, files: list[tuple[bytes, str]], note: str = "", **headers):
    return client.post(f"/cases/{number}/attachments", content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(data), name) for data, name in files],
                             "note": note}, headers=headers)


def test_the_form_takes_the_camera_and_several_files(as_user, new_case, english):
    number = new_case()["number"]
    page = text(as_user("village_a1").get(f"/cases/{number}"))
    camera = re.search(r'<input type="file" id="evidence-camera"[^>]*>', page).group(0)
    files = re.search(r'<input type="file" id="evidence-files"[^>]*>', page, re.S).group(0)
    assert 'capture="environment"' in camera and 'accept="image/*"' in camera
    assert "multiple" in files and ".heic" in files and "application/pdf" in files
    assert 'enctype="multipart/form-data"' in page and "<progress" in page
    assert "No evidence yet." in page


def test_several_files_posted_at_once_are_all_added_and_shown(as_user, new_case, english):
    number = new_case()["number"]
    client = as_user("village_a1")
    answer = post_files(client, number, [(jpeg(), "伤情1.jpg"), (heic(), "IMG_0002.HEIC"),
                                         (pdf(), "诊断证明.pdf"), (wav(), "录音.wav")],
                        note="入户走访时拍摄")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#evidence")
    page = text(client.get(f"/cases/{number}"))
    assert "4 files added to the evidence." in page
    for name in ("伤情1.jpg", "IMG_0002.HEIC", "诊断证明.pdf", "录音.wav"):
        assert name in page
    thumbnails = re.findall(r'src="(/cases/[^"]+/thumbnail)"', page)
    assert len(thumbnails) == 2  # the two photos
    for address in thumbnails:
        shown = client.get(address)
        assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/jpeg"
        assert shown.headers["Cache-Control"] == "no-store"
    assert page.count('data-action="attach"') == 4 and "Evidence added" in page
    assert "入户走访时拍摄" in page


def test_opening_a_file_from_the_page_is_recorded(as_user, new_case, english):
    number = new_case()["number"]
    client = as_user("county_officer")
    post_files(client, number, [(pdf(), "a.pdf")])
    link = re.search(r'href="(/cases/[^"]+/attachments/\d+)"', text(client.get(f"/cases/{number}")))
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.get_data() == pdf()
    assert got.headers["Content-Disposition"].startswith("attachment;")
    page = text(client.get(f"/cases/{number}"))
    assert 'data-action="view_attachment"' in page and "Evidence opened" in page


def test_a_refused_file_is_named_on_the_page_and_the_others_are_kept(as_user, new_case,
                                                                      english, unexpected):
    number = new_case()["number"]
    client = as_user("village_a1")
    answer = post_files(client, number, [(pdf(), "good.pdf"), (exe(), "photo.jpg")])
    page = text(answer)
    assert answer.status_code == 422
    assert "1 file added to the evidence." in page
    assert "photo.jpg was not added: a program, not a photo, document or voice recording" in page
    assert "good.pdf" in page and not unexpected()


def test_the_script_gets_json_in_the_pages_language(as_user, new_case):
    number = new_case()["number"]
    client = as_user("village_a1")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    refused = post_files(client, number, [(exe(), "a.jpg")], Accept="application/json")
    assert refused.status_code == 422
    assert refused.json["added"] == [] and refused.json["refused"][0]["filename"] == "a.jpg"
    assert refused.json["refused"][0]["message"] != "a program, not a photo, document or voice " \
                                                   "recording"  # translated
    added = post_files(client, number, [(pdf(), "a.pdf")], Accept="application/json")
    assert added.status_code == 201 and added.json["added"][0]["filename"] == "a.pdf"
    big = post_files(client, number, [(pdf(pad=MAX_BYTES), "big.pdf")],
                     Accept="application/json")
    assert big.status_code == 413


def test_roles_without_case_files_see_no_form_and_outsiders_get_404(as_user, new_case, people,
                                                                     client, english):
    number = new_case()["number"]
    outsider = as_user("village_a2")
    assert outsider.get(f"/cases/{number}").status_code == 404
    assert post_files(outsider, number, [(pdf(), "a.pdf")]).status_code == 404
    assert outsider.get(f"/cases/{number}/attachments/1").status_code == 404
