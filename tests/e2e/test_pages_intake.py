"""The hotline intake form through HTTP, and the lookups its scripts call."""

from __future__ import annotations

import re
from datetime import datetime

import openapi_schema_validator
import pytest
from conftest import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1

from e2e.case_pages import API, FORM, text
from e2e.conftest import counts, csrf_token_of, login

pytestmark = pytest.mark.usefixtures("english")  # English texts, unless marked ``chinese``


# -- the intake form --------------------------------------------------------------------------
def test_the_intake_form_has_the_contract_fields_and_is_keyboard_first(as_user):
    page = text(as_user("operator").get("/cases/new"))
    for name in ("channel", "village_code", "category", "urgency", "summary",
                 "petitioner_name", "petitioner_phone", "start_level"):
        assert f'name="{name}"' in page
    phone = re.search(r"<input[^>]*\bid=\"petitioner_phone\"[^>]*>", page).group(0)
    assert "autofocus" in phone and 'accesskey="p"' in phone
    assert page.index('name="petitioner_phone"') < page.index('name="village_code"')
    assert "Ctrl+Enter" in page  # the script, under its content-hashed name:
    assert re.search(r'src="/static/cases/intake\.[0-9a-f]{12}\.js"', page)
    assert 'data-url="/api/v1/callers/PHONE/cases"' in page
    assert 'data-villages-url="/api/v1/areas/villages"' in page
    assert "<script>" not in page and "onclick" not in page


def test_a_valid_intake_goes_to_the_new_case_with_a_message(as_user, cw):
    client = as_user("operator")
    answer = client.post("/cases/new", data=FORM)
    assert answer.status_code == 303
    number = answer.headers["Location"].rsplit("/", 1)[1]
    page = text(client.get(answer.headers["Location"]))
    assert number in page and f"Case {number} was logged" in page
    assert "138****5678" in page and "大李村" in page


def test_intake_errors_come_back_beside_their_fields_and_write_nothing(as_user, cw):
    client = as_user("operator")
    before = counts(cw)
    answer = client.post("/cases/new", data={**FORM, "summary": " ", "category": "",
                                             "channel": "pigeon"})
    page = text(answer)
    assert answer.status_code == 422
    for name in ("summary", "category", "channel"):
        assert f'id="{name}-error"' in page
    assert 'value="李某"' in page  # what was typed stays
    # The core's own refusals (Invalid.fields) come back to the form's fields by name.
    answer = client.post("/cases/new", data={**FORM, "petitioner_phone": "call me maybe",
                                             "channel": "mailbox", "start_level": "county_center"})
    assert answer.status_code == 422
    assert 'id="petitioner_phone-error"' in text(answer)
    answer = client.post("/cases/new", data={**FORM, "channel": "mailbox",
                                             "start_level": "county_center"})
    assert 'id="start_level-error"' in text(answer)
    answer = client.post("/cases/new", data={**FORM, "resolve_now": "y"})
    assert 'id="resolve_now_note-error"' in text(answer)
    assert counts(cw) == before


@pytest.mark.parametrize("typed", ["大李村", "dlc", "DaLiCun", VILLAGE_A1])
def test_a_village_typed_by_name_initials_or_code_is_taken_without_javascript(
        as_user, typed):
    answer = as_user("operator").post("/cases/new", data={**FORM, "village_code": typed})
    assert answer.status_code == 303


def test_a_village_name_that_matches_several_asks_which_one(as_user, cw):
    before = counts(cw)
    answer = as_user("operator").post("/cases/new", data={**FORM, "village_code": "村"})
    assert answer.status_code == 422 and VILLAGE_A2 in text(answer)
    answer = as_user("village_a2").post("/cases/new", data={**FORM, "village_code": "dlc"})
    assert answer.status_code == 422  # 大李村 lies outside her village
    assert counts(cw) == before


def test_a_consultation_resolved_on_the_spot(as_user, as_, client):
    answer = as_user("operator").post("/cases/new", data={
        **FORM, "resolve_now": "y", "resolve_now_outcome": "advised",
        "resolve_now_note": "讲解了反家暴法"})
    number = answer.headers["Location"].rsplit("/", 1)[1]
    case = client.get(f"{API}/cases/{number}", headers=as_("operator")).json
    assert (case["level"], case["status"]) == ("county_center", "resolved")


def test_the_intake_form_needs_its_csrf_token(csrf_app, people, cw):
    client = csrf_app.test_client()
    login(client, people["operator"].username, csrf_token=csrf_token_of(client))
    before = counts(cw)
    assert client.post("/cases/new", data=FORM).status_code == 400
    assert counts(cw) == before
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      text(client.get("/cases/new"))).group(1)
    assert client.post("/cases/new", data={**FORM, "csrf_token": token}).status_code == 303


def test_roles_that_log_no_petitions_get_403_from_the_form(as_user):
    assert as_user("leader").get("/cases/new").status_code == 403


# -- what the form's scripts call -------------------------------------------------------------
def test_the_screen_pop_lists_a_callers_earlier_cases_masked(as_user, new_case):
    first = new_case()["number"]
    new_case(petitioner={"name": "王某", "phone": "13900000000"})
    answer = as_user("operator").get(f"{API}/callers/138-1234-5678/cases")
    assert [item["number"] for item in answer.json["items"]] == [first]
    assert answer.json["items"][0]["petitioner"]["phone"] == "138****5678"


def test_villages_are_found_by_name_code_or_pinyin(as_user):
    client = as_user("operator")
    for q, found in [("dlc", [VILLAGE_A1]), ("大李", [VILLAGE_A1]), ("shazi", [VILLAGE_A2]),
                     ("450330100", [VILLAGE_A1, VILLAGE_A2]), ("SZC", [VILLAGE_A2]),
                     ("xin an", [VILLAGE_B1]), ("", []), ("%", []), ("_", []), ("x" * 500, [])]:
        answer = client.get(f"{API}/areas/villages", query_string={"q": q})
        assert [village["code"] for village in answer.json["items"]] == found, q


def test_the_village_search_stays_inside_ones_area_and_matches_its_document(as_user):
    client = as_user("township_b")
    answer = client.get(f"{API}/areas/villages?q=村")
    items = answer.json["items"]
    assert {village["code"][:9] for village in items} == {VILLAGE_B1[:9]}
    assert items[0]["township"] == "二塘镇"
    validator = openapi_schema_validator
    spec = client.get("/openapi.json").json
    schema = spec["paths"]["/api/v1/areas/villages"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    validator.validate(answer.json, {**schema, "components": spec["components"]},
                       cls=validator.OAS30Validator)


# -- a petition logged late -------------------------------------------------------------------
def test_a_letter_logged_on_the_3rd_is_received_in_the_month_before(as_user, cw):
    """It reached the village mailbox on 30 March; the cadre logs it on 3 April, before
    March closes on the 5th (workflows.yaml reports.closing_day)."""
    import time_machine

    from casework.scheduling.deadlines import SHANGHAI

    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        client = as_user("operator")  # logged in that day: a session has its own clock
        page = text(client.get("/cases/new"))
        assert 'name="received_at"' in page and 'type="datetime-local"' in page
        answer = client.post("/cases/new", data={**FORM, "channel": "letter",
                                                 "received_at": "2026-03-30T16:00"})
        assert answer.status_code == 303
        number = answer.headers["Location"].rsplit("/", 1)[1]
        detail = client.get(f"{API}/cases/{number}").json
    assert datetime.fromisoformat(detail["received_at"]) == datetime(2026, 3, 30, 16,
                                                                     tzinfo=SHANGHAI)


@pytest.mark.parametrize(("typed", "error"), [
    ("yesterday", "Not a valid datetime value."),
    ("2099-01-01T09:00", "cannot be in the future"),
    ("2001-01-01T09:00", "at most 365 days back"),
])
def test_a_received_at_that_cannot_be_is_refused_beside_its_field(as_user, cw, typed, error):
    client = as_user("operator")
    before = counts(cw)
    answer = client.post("/cases/new", data={**FORM, "received_at": typed})
    page = text(answer)
    assert answer.status_code == 422 and 'id="received_at-error"' in page
    assert error in page and counts(cw) == before


@pytest.mark.chinese
def test_the_received_at_field_reads_in_chinese(as_user, cw):
    client = as_user("operator")
    page = text(client.get("/cases/new"))
    assert "收到时间（不是现在时填写）" in page and "该月结账前，计入该月" in page
    refused = text(client.post("/cases/new", data={**FORM, "received_at": "2099-01-01T09:00"}))
    assert "不能晚于当前时间" in refused
    garbled = text(client.post("/cases/new", data={**FORM, "received_at": "yesterday"}))
    assert 'id="received_at-error"' in garbled and "Not a valid" not in garbled
