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
