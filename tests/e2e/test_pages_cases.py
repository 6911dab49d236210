"""The case pages through HTTP: worklist, case list, intake form, case page, language switch."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, petition

from casework.deadlines import SHANGHAI
from casework.scan import scan
from e2e.conftest import counts, csrf_token_of, login

API = "/api/v1"
FORM = {"channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "domestic_violence",
        "urgency": "normal", "summary": "丈夫酗酒后打人", "petitioner_name": "李某",
        "petitioner_phone": "138-1234-5678", "start_level": ""}

@pytest.fixture(autouse=True)
def english(request, client):
    """Most tests here read the pages' English texts; those marked ``chinese`` read the
    default language (more of it is tested in test_translations)."""
    if not request.node.get_closest_marker("chinese"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"



@pytest.fixture
def as_user(client, people):
    """``as_user("village_a1")``: the test client, logged in as that person."""
    def log_in(who: str):
        assert login(client, people[who].username).status_code == 302
        return client
    return log_in


@pytest.fixture
def new_case(client, as_):
    """``new_case(**overrides)``: a case logged through the API by the hotline."""
    def make(**overrides) -> dict:
        answer = client.post(f"{API}/cases", json=petition(**overrides), headers=as_("operator"))
        assert answer.status_code == 201, answer.json
        return answer.json
    return make


@pytest.fixture
def unexpected(caplog):
    caplog.set_level(logging.ERROR, logger="webui.errors")
    return lambda: [r for r in caplog.records if r.getMessage().startswith("unexpected")]


def text(answer) -> str:
    return answer.get_data(as_text=True)


def buttons(page: str) -> set[str]:
    return set(re.findall(r'<button type="submit" name="action" value="([a-z_]+)"', page))


# -- the worklist -----------------------------------------------------------------------------
def test_the_worklist_shows_only_the_users_open_cases_nearest_deadline_first(
        as_user, new_case):
    later = new_case()["number"]
    sooner = new_case(urgency="urgent")["number"]
    elsewhere = new_case(village_code=VILLAGE_A2)["number"]
    resolved = new_case(start_level="village_congress",
                        resolve_now={"outcome": "advised", "note": "answered"})["number"]
    page = text(as_user("village_a1").get("/"))
    assert sooner in page and later in page
    assert page.index(sooner) < page.index(later)
    assert elsewhere not in page and resolved not in page
    assert 'data-status="pending">2<' in page and "138****5678" in page
    assert "13812345678" not in page
    assert f'href="/cases/{sooner}"' in page


def test_overdue_and_warned_cases_are_marked_in_colour_and_in_words(as_user, new_case, cw):
    overdue = new_case(urgency="urgent")
    warned = new_case()
    scan(cw, datetime.fromisoformat(warned["warn_at"]) + timedelta(minutes=1))
    page = text(as_user("village_a1").get("/"))
    rows = {number: row for row, number in re.findall(
        r'(<tr class="[^"]*">\s*<th scope="row"><a href="/cases/([^"]+)")', page)}
    assert 'class="table-danger"' in rows[overdue["number"]]
    assert 'class="table-warning"' in rows[warned["number"]]
    assert "Overdue" in page and "Due soon" in page
    assert 'data-flag="overdue">1<' in page and 'data-flag="warning">1<' in page


def test_a_township_cadre_works_the_township_level_not_the_villages(as_user, new_case):
    village = new_case()["number"]
    township = new_case(start_level="township_federation")["number"]
    page = text(as_user("township_a").get("/"))
    assert township in page and village not in page


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_roles_without_case_files_are_sent_to_the_report_page(as_user, who):
    answer = as_user(who).get("/")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/reports/monthly")


def test_pages_need_a_login(client, people):
    for path in ("/", "/cases", "/cases/new", "/cases/450330-2026-000001"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_the_navigation_follows_the_role(as_user):
    village = text(as_user("village_a1").get("/"))
    assert 'href="/cases/new"' in village and 'href="/reports/monthly"' not in village
    assert 'href="/admin/users"' not in village
    operator = text(as_user("operator").get("/"))
    assert 'href="/reports/monthly"' in operator and 'href="/admin/areas"' not in operator
    admin = text(as_user("admin").get("/cases/new"))  # 403, but the layout is there
    assert 'href="/admin/users"' in admin and 'href="/admin/areas"' in admin
    assert 'href="/cases/new"' not in admin


# -- the case list ----------------------------------------------------------------------------
def test_the_case_list_filters_by_the_apis_filters(as_user, new_case):
    violence = new_case()["number"]
    property_case = new_case(category="property", summary="宅基地纠纷")["number"]
    other_village = new_case(village_code=VILLAGE_A2)["number"]
    client = as_user("operator")
    page = text(client.get("/cases?category=property"))
    assert property_case in page and violence not in page
    page = text(client.get("/cases?q=宅基地"))
    assert property_case in page and violence not in page
    page = text(client.get(f"/cases?area={VILLAGE_A2}&status=pending&level=village_congress"))
    assert other_village in page and violence not in page
    page = text(client.get("/cases?per_page=1&category=domestic_violence&overdue=false"))
    assert 'rel="next"' in page and "page=2" in page
    for name in ("level", "status", "overdue", "warning", "area", "category", "q",
                 "received_from", "received_to"):
        assert f'name="{name}"' in page


def test_bad_filters_come_back_with_messages_not_an_error_page(as_user):
    answer = as_user("operator").get("/cases?level=moon&received_from=2026-02-30")
    assert answer.status_code == 422
    assert 'id="level-error"' in text(answer) and 'id="received_from-error"' in text(answer)


# -- the intake form --------------------------------------------------------------------------
def test_the_intake_form_has_the_contract_fields_and_is_keyboard_first(as_user):
    page = text(as_user("operator").get("/cases/new"))
    for name in ("channel", "village_code", "category", "urgency", "summary",
                 "petitioner_name", "petitioner_phone", "start_level"):
        assert f'name="{name}"' in page
    phone = re.search(r"<input[^>]*\bid=\"petitioner_phone\"[^>]*>", page).group(0)
    assert "autofocus" in phone and 'accesskey="p"' in phone
    assert page.index('name="petitioner_phone"') < page.index('name="village_code"')
    assert "Ctrl+Enter" in page and 'src="/static/cases/intake.js"' in page
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
    validator = pytest.importorskip("openapi_schema_validator")
    spec = client.get("/openapi.json").json
    schema = spec["paths"]["/api/v1/areas/villages"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    validator.validate(answer.json, {**schema, "components": spec["components"]},
                       cls=validator.OAS30Validator)


# -- the case page ----------------------------------------------------------------------------
def test_the_case_page_shows_only_the_buttons_this_user_may_press(as_user, new_case):
    number = new_case()["number"]
    assert buttons(text(as_user("village_a1").get(f"/cases/{number}"))) == {
        "accept", "escalate", "extend", "note"}
    page = text(as_user("township_a").get(f"/cases/{number}"))
    assert buttons(page) == {"note"}  # anyone who sees a case may add a note, nothing more
    assert "accept" not in buttons(page)


def test_each_form_carries_the_version_and_the_fields_its_action_needs(as_user, new_case):
    number = new_case()["number"]
    page = text(as_user("village_a1").get(f"/cases/{number}"))
    forms = dict((action, form) for form, action in re.findall(
        r'(<form method="post" action="/cases/[^"]+"[^>]*id="action-([a-z_]+)".*?</form>)',
        page, re.S))
    assert all('name="version" value="1"' in form for form in forms.values())
    assert '<textarea id="escalate-note" name="note"' in forms["escalate"]
    assert 'name="days" type="number"' in forms["extend"] and 'name="reason"' in forms["extend"]
    assert "<textarea" not in forms["accept"]


@pytest.mark.chinese
def test_pressing_a_button_performs_the_action(as_user, new_case, as_, client):
    number = new_case()["number"]
    cadre = as_user("village_a1")
    answer = cadre.post(f"/cases/{number}", data={"action": "accept", "version": "1"})
    assert (answer.status_code, answer.headers["Location"]) == (303, f"/cases/{number}")
    page = text(cadre.get(f"/cases/{number}"))
    assert "受理" in page and 'name="version" value="2"' in page  # the workflow's own name
    assert buttons(page) >= {"resolve", "refer", "wait", "escalate"}
    answer = cadre.post(f"/cases/{number}", data={
        "action": "resolve", "version": "2", "outcome": "mediated", "note": "调解成功"})
    assert answer.status_code == 303
    case = client.get(f"{API}/cases/{number}", headers=as_("operator")).json
    assert (case["status"], case["events"][-1]["note"]) == ("resolved", "调解成功")


def test_a_missing_field_comes_back_beside_it_and_writes_nothing(as_user, new_case, cw):
    number = new_case()["number"]
    before = counts(cw)
    answer = as_user("village_a1").post(f"/cases/{number}",
                                        data={"action": "escalate", "version": "1", "note": ""})
    assert answer.status_code == 422
    assert 'id="escalate-note-error"' in text(answer)
    assert counts(cw) == before


def test_a_stale_version_shows_the_case_as_it_is_now(as_user, new_case, as_, client, cw):
    number = new_case()["number"]
    client.post(f"{API}/cases/{number}/actions", json={"action": "accept", "version": 1},
                headers=as_("village_a1"))
    before = counts(cw)
    answer = as_user("village_a1").post(f"/cases/{number}", data={
        "action": "escalate", "version": "1", "note": "请乡镇协调"})
    page = text(answer)
    assert answer.status_code == 409
    assert "The case changed while you were looking at it" in page
    assert 'name="version" value="2"' in page and "请乡镇协调" in page  # her words are kept
    assert counts(cw) == before


@pytest.mark.parametrize("data, status", [
    ({"action": "accept", "version": "2"}, 409),  # accepted already: no longer possible
    ({"action": "assign", "version": "2", "target_level": "village_congress"}, 409),
    ({"action": "fly", "version": "2"}, 422), ({"action": "note", "version": "x"}, 422),
    ({"action": "extend", "version": "2", "days": "99", "reason": "r"}, 422),
    ({}, 422),
])
def test_refused_actions_come_back_as_the_case_page(as_user, new_case, as_, client, data,
                                                    status, unexpected):
    number = new_case()["number"]
    client.post(f"{API}/cases/{number}/actions", json={"action": "accept", "version": 1},
                headers=as_("village_a1"))
    answer = as_user("village_a1").post(f"/cases/{number}", data=data)
    assert answer.status_code == status and not unexpected()
    assert number in text(answer) and 'role="alert"' in text(answer)


def test_showing_the_full_phone_records_an_event_and_shows_it_once(as_user, new_case, cw):
    number = new_case()["number"]
    cadre = as_user("village_a1")
    assert "13812345678" not in text(cadre.get(f"/cases/{number}"))
    before = counts(cw)
    answer = cadre.post(f"/cases/{number}/phone")
    assert answer.status_code == 200 and "13812345678" in text(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    assert counts(cw) == (before[0], before[1] + 1)
    page = text(cadre.get(f"/cases/{number}"))
    assert "13812345678" not in page and 'data-action="view_phone"' in page


def test_a_case_outside_the_users_area_answers_404_on_every_case_page(as_user, new_case, cw):
    number = new_case()["number"]
    client = as_user("village_a2")
    before = counts(cw)
    assert client.get(f"/cases/{number}").status_code == 404
    assert client.post(f"/cases/{number}", data={"action": "note", "version": "1",
                                                 "note": "x"}).status_code == 404
    assert client.post(f"/cases/{number}/phone").status_code == 404
    assert counts(cw) == before


def test_times_are_shown_in_beijing_time(as_user, new_case):
    received = (datetime.now(UTC) - timedelta(days=2)).replace(hour=20, minute=5, second=0,
                                                               microsecond=0)
    number = new_case(received_at=received.isoformat())["number"]
    page = text(as_user("village_a1").get(f"/cases/{number}"))
    assert received.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page


# -- language ---------------------------------------------------------------------------------
@pytest.mark.chinese
def test_the_language_switch_changes_the_page_language_and_sticks(as_user):
    client = as_user("village_a1")
    assert '<html lang="zh-CN">' in text(client.get("/"))
    answer = client.post("/language", data={"locale": "en", "next": "/cases?status=pending"})
    assert (answer.status_code, answer.headers["Location"]) == (303, "/cases?status=pending")
    page = text(client.get("/", headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="en">' in page and "Worklist" in page
    for elsewhere in ("https://evil.example/", "/a\r\nSet-Cookie: x=1"):
        answer = client.post("/language", data={"locale": "zh_CN", "next": elsewhere})
        assert answer.headers["Location"] == "/"
    assert '<html lang="zh-CN">' in text(client.get("/", headers={"Accept-Language": "en"}))
    assert client.post("/language", data={"locale": "fr"}).status_code == 400


@pytest.mark.chinese
def test_without_a_choice_the_browser_language_is_used(client, people):
    assert '<html lang="en">' in text(client.get("/login", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-CN">' in text(client.get("/login"))


def test_the_language_switch_needs_the_csrf_token(csrf_app, people):
    client = csrf_app.test_client()
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    token = csrf_token_of(client)
    assert client.post("/language", data={"locale": "en", "csrf_token": token}).status_code == 303
    assert '<html lang="en">' in text(client.get("/login"))


# -- garbage in, never a 500 ------------------------------------------------------------------
GARBAGE = ["page=%C2%B2", "page=" + "9" * 5000, "page=-1", "level=%00x", "q=%ff%fe",
           "received_to=9999-12-31", "per_page=0", "_external=1&_scheme=ftp", "endpoint=x",
           "status=" + "x" * 3000, "area=%E2%80%AE"]


@pytest.mark.parametrize("path", ["/", "/cases", "/cases/new", "/cases/NUMBER"])
def test_garbage_in_the_address_never_answers_500(as_user, new_case, unexpected, path):
    client = as_user("operator")
    path = path.replace("NUMBER", new_case()["number"])
    for query in GARBAGE:
        assert client.get(f"{path}?{query}").status_code < 500, query
    assert not unexpected()


@pytest.mark.parametrize("path", ["/cases/" + "9" * 3000, "/cases/%E2%80%AE", "/cases/%00",
                                  "/cases/..%2f..%2fetc"])
def test_odd_case_numbers_answer_4xx(as_user, unexpected, path):
    client = as_user("operator")
    assert client.get(path).status_code in (400, 404) and not unexpected()
    assert client.post(path, data={"action": "note"}).status_code in (400, 404)
    assert not unexpected()


def test_garbage_in_the_intake_form_never_answers_500(as_user, unexpected):
    client = as_user("operator")
    for changes in ({"village_code": "\x00"}, {"summary": "a\x01b"}, {"urgency": "x" * 9000},
                    {"petitioner_phone": "+86 ١٣٨١٢٣٤٥٦٧٨"}, {"start_level": "moon"},
                    {"resolve_now": "y", "resolve_now_outcome": "bribed"},
                    {"petitioner_gender": "?"}, {"village_code": "%_"}):
        answer = client.post("/cases/new", data={**FORM, **changes})
        assert answer.status_code in (400, 422), changes
    assert not unexpected()
