"""The ledger import over HTTP: ``POST /api/v1/imports/ledger`` and the page ``/imports/ledger``
(upload, the preview with every problem marked, confirm), the template download, who may."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from e2e.conftest import counts, login

EN = {"Accept-Language": "en"}
HEAD = "登记日期,乡镇,村,类别,来源,紧急程度,情况摘要,姓名,电话,办结层级,办结日期,结果\n"
GOOD = (HEAD + "2026/3/3,,沙子村,家庭暴力,来信,一般,丈夫殴打,李某,138-1234-5678,村妇代会,"
        "2026.3.5,调解成功\n2026年3月4日 14:30,,新安村,家暴,热线,紧急,婚后财产,王某,13912345678,"
        "乡镇妇联,2026-03-10,转介：法律援助\n")
BAD = GOOD + "2026/13/3,,大李村,打架,来信,一般,,,,,,\n2030-01-01,,新安村,咨询,来访,一般,,,,,,\n"


def upload(text: str, name: str = "台账.csv", encoding: str = "gb18030", **form) -> dict:
    return {"file": (io.BytesIO(text.encode(encoding)), name), **form}


def test_a_preview_counts_rows_new_cases_and_duplicates_and_writes_nothing(client, cw, as_):
    answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                         data=upload(GOOD, dry_run="1"))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["rows"], body["new"], body["duplicates"], body["problems"]) == (2, 2, 0, [])
    assert counts(cw) == (0, 0)


def test_a_ledger_is_imported_once_and_sent_again_adds_nothing(client, cw, as_):
    first = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                        data=upload(GOOD))
    assert first.status_code == 201, first.get_json()
    assert first.get_json() == {"imported": 2, "duplicates": 0}
    after = counts(cw)
    again = client.post("/api/v1/imports/ledger", headers=as_("admin"),
                        data=upload(GOOD, "again.csv", "utf-8-sig"))
    assert again.status_code == 201
    assert again.get_json() == {"imported": 0, "duplicates": 2}
    assert counts(cw) == after
    preview = client.post("/api/v1/imports/ledger", headers=as_("admin"),
                          data=upload(GOOD, dry_run="1")).get_json()
    assert (preview["new"], preview["duplicates"]) == (0, 2)


def test_every_problem_is_answered_at_once_in_chinese_and_nothing_is_written(client, cw, as_):
    answer = client.post("/api/v1/imports/ledger", data=upload(BAD),
                         headers={**as_("county_officer"), "Accept-Language": "zh-CN"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["rows"] == 4 and body["error"] == "invalid"
    found = {(p["line"], p["column"]): p for p in body["problems"]}
    assert set(found) == {(4, "登记日期"), (4, "类别"), (5, "登记日期")}
    assert found[4, "类别"]["value"] == "打架"
    assert "家庭暴力、婚姻家庭" in found[4, "类别"]["message"]
    assert "2026年3月3日" in found[4, "登记日期"]["message"]
    assert counts(cw) == (0, 0)


def test_a_preview_with_problems_answers_422_with_the_same_body(client, as_):
    answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                         data=upload(BAD, dry_run="1"))
    assert answer.status_code == 422
    assert {"rows", "new", "duplicates", "problems"} <= set(answer.get_json())


@pytest.mark.parametrize("who", ["operator", "township_a", "village_a1", "leader"])
def test_only_county_officers_and_admins_import_ledgers(client, cw, as_, who):
    answer = client.post("/api/v1/imports/ledger", headers=as_(who), data=upload(GOOD))
    assert answer.status_code == 403
    assert counts(cw) == (0, 0)


def test_a_request_without_a_file_names_the_field(client, as_):
    answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"), data={})
    assert answer.status_code == 422
    assert "file" in answer.get_json()["fields"]


def test_a_file_that_is_no_table_is_one_problem_not_a_server_error(client, cw, as_):
    answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                         data={"file": (io.BytesIO(b"PK\x03\x04broken"), "x.xlsx")})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["fields"]["file"] and len(body["problems"]) == 1


def test_a_ledger_larger_than_the_apps_upload_limit_is_taken(client, cw, as_):
    rows = "".join(f"2026/3/3,,沙子村,家庭暴力,来信,一般,第{i}件,,,,,\n" for i in range(40_000))
    answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                         data=upload(HEAD + rows, dry_run="1"))
    assert answer.status_code == 200, answer.status_code
    assert answer.get_json()["new"] == 40_000


@given(raw=st.binary(max_size=400), name=st.sampled_from(["a.csv", "a.xlsx", "a.xls", "a"]))
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_hostile_bytes_never_make_a_server_error(client, as_, raw, name):
    for dry in ("1", ""):
        answer = client.post("/api/v1/imports/ledger", headers=as_("county_officer"),
                             data={"file": (io.BytesIO(raw), name), "dry_run": dry})
        assert answer.status_code in (200, 201, 422), answer.status_code


def test_the_page_previews_marks_problems_and_imports_on_confirm(client, cw, people):
    login(client, people["county_officer"].username)
    page = client.post("/imports/ledger", data=upload(BAD), headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="ledger-rows"' in html and 'data-problem="category"' in html
    assert "不是已知的类别" in html or "家庭暴力、婚姻家庭" in html
    assert 'id="ledger-confirm"' not in html
    page = client.post("/imports/ledger", data=upload(GOOD))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "13812345678" not in html and "138-1234-5678" not in html  # masked in the table
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert counts(cw) == (0, 0)
    done = client.post("/imports/ledger/confirm", data={"token": token})
    assert done.status_code == 303
    assert counts(cw)[0] == 2
    again = client.post("/imports/ledger/confirm", data={"token": token})  # taken once only
    assert again.status_code == 303 and counts(cw)[0] == 2


def test_another_user_cannot_confirm_an_upload(client, cw, people):
    login(client, people["county_officer"].username)
    html = client.post("/imports/ledger", data=upload(GOOD)).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.post("/logout")
    login(client, people["admin"].username)
    client.post("/imports/ledger/confirm", data={"token": token})
    assert counts(cw) == (0, 0)


def test_the_template_download_has_drop_downs_and_the_countys_villages(client, people):
    login(client, people["admin"].username)
    answer = client.get("/imports/ledger/template.xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    ledger, villages = book.worksheets[0], book.worksheets[1]
    heads = [cell.value for cell in ledger[1]]
    assert heads[:4] == ["登记日期", "乡镇", "村", "类别"]
    listed = {heads[int(str(rule.sqref)[0], 36) - 10] for rule in
              ledger.data_validations.dataValidation}
    assert {"类别", "来源", "紧急程度", "办结层级", "结果"} <= listed
    assert {row[1] for row in villages.iter_rows(min_row=2, values_only=True)} == {
        "大李村", "沙子村", "新安村", "源头村"}


@pytest.mark.parametrize("who", ["operator", "village_a1", "leader"])
def test_the_page_refuses_other_roles(client, people, who):
    login(client, people[who].username)
    assert client.get("/imports/ledger").status_code == 403
    assert client.get("/imports/ledger/template.xlsx").status_code == 403


@pytest.fixture
def large(monkeypatch):
    """Every file is large: checked and imported beside the request.  The work is kept, not
    started, so that the test says when it runs (and can leave it stopped)."""
    from casework.imports import ledger_jobs
    from webui import ledger_import

    monkeypatch.setattr(ledger_import, "BACKGROUND_BYTES", 0)
    waiting = []
    monkeypatch.setattr(ledger_jobs, "in_a_thread", waiting.append)
    return waiting


def progress(client, token, json=True):
    headers = {"Accept": "application/json", **EN} if json else EN
    return client.post("/imports/ledger/progress", data={"token": token}, headers=headers)


def test_a_large_file_is_checked_and_imported_beside_the_request_with_its_progress(
        client, cw, people, large):
    login(client, people["county_officer"].username)
    rows = "".join(f"2026/3/3,,沙子村,家庭暴力,来信,一般,第{i}件,,,,,\n" for i in range(250))
    page = client.post("/imports/ledger", data=upload(HEAD + rows), headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-state="checking"' in html
    assert re.search(r"imports/ledger\.([0-9a-f]{12}\.)?js", html)  # a hashed static name
    assert "Nothing is written while the file is checked" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert progress(client, token).get_json()["running"] is True
    large.pop()()  # the check runs
    assert progress(client, token).get_json() == {
        "state": "checked", "running": False, "stopped": False, "rows_checked": 250,
        "rows_written": 0, "text": "台账.csv has been checked."}
    html = progress(client, token, json=False).get_data(as_text=True)
    assert 'id="ledger-rows"' in html and 'id="ledger-confirm"' in html
    assert counts(cw) == (0, 0)
    page = client.post("/imports/ledger/confirm", data={"token": token}, headers=EN)
    html = page.get_data(as_text=True)
    assert 'data-state="importing"' in html and "stay written" in html
    assert "nothing has been imported" not in html.lower()
    # A second click imports nothing more: one import per upload.
    again = client.post("/imports/ledger/confirm", data={"token": token}, headers=EN)
    assert 'data-state="importing"' in again.get_data(as_text=True) and len(large) == 1
    large.pop()()
    body = progress(client, token).get_json()
    assert (body["state"], body["rows_written"]) == ("imported", 250)
    assert body["text"].startswith("250 cases were imported; 0 rows")
    assert counts(cw)[0] == 250
    # Sent again: checked, all duplicates, nothing to confirm.
    html = client.post("/imports/ledger", data=upload(HEAD + rows), headers=EN).get_data(
        as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    large.pop()()
    html = progress(client, token, json=False).get_data(as_text=True)
    assert 'data-count="duplicates">250<' in html and 'id="ledger-confirm"' not in html


def test_a_stopped_import_is_shown_as_such_and_started_again_adds_only_the_rest(
        client, cw, people, large, monkeypatch):
    from datetime import timedelta

    from casework.imports import ledger, ledger_jobs

    login(client, people["county_officer"].username)
    rows = "".join(f"2026/3/3,,沙子村,家庭暴力,来信,一般,第{i}件,,,,,\n" for i in range(150))
    html = client.post("/imports/ledger", data=upload(HEAD + rows), headers=EN).get_data(
        as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    large.pop()()
    client.post("/imports/ledger/confirm", data={"token": token}, headers=EN)
    real_store, stored = ledger._store, []

    def server_killed_after_a_batch(*args):
        if len(stored) == ledger.BATCH:
            raise SystemExit  # no handler runs: the row says "importing" as a killed one does
        stored.append(args)
        real_store(*args)

    monkeypatch.setattr(ledger, "_store", server_killed_after_a_batch)
    with pytest.raises(SystemExit):
        large.pop()()
    assert counts(cw)[0] == ledger.BATCH
    assert progress(client, token).get_json()["running"] is True  # not yet known as stopped
    monkeypatch.setattr(ledger_jobs, "STALE_AFTER", timedelta(0))
    html = progress(client, token, json=False).get_data(as_text=True)
    assert 'id="ledger-again"' in html and "imports/ledger.js" not in html
    assert "100 rows written" in html
    monkeypatch.setattr(ledger, "_store", real_store)
    client.post("/imports/ledger/again", data={"token": token}, headers=EN)
    monkeypatch.setattr(ledger_jobs, "STALE_AFTER", timedelta(minutes=3))
    large.pop()()
    body = progress(client, token).get_json()
    assert body["state"] == "imported"
    assert body["text"].startswith("50 cases were imported; 100 rows were already imported")
    assert counts(cw)[0] == 150


def test_a_large_files_progress_is_its_uploaders_alone(client, cw, people, large):
    login(client, people["county_officer"].username)
    html = client.post("/imports/ledger", data=upload(GOOD)).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    client.post("/logout")
    login(client, people["admin"].username)
    assert progress(client, token).status_code == 404
    assert progress(client, token, json=False).status_code == 303
