"""Danger assessment and protective measures on the pages: the intake form's questions, the
case page's assessment and measure forms, the marks in lists, and the API's refusals (409/422
naming the field, nothing written, never a 500)."""

from __future__ import annotations

import re

import pytest
from conftest import VILLAGE_A1

from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import utcnow
from e2e.case_pages import API, FORM, text
from e2e.conftest import counts

pytestmark = pytest.mark.usefixtures("english")

TODAY = utcnow().astimezone(SHANGHAI).date().isoformat()


def questions(cw) -> list[str]:
    return [q.id for q in cw.workflow.risk.questions]


def test_an_operator_assesses_the_callers_danger_on_the_intake_form(as_user, cw, client):
    page = as_user("operator")
    form = text(page.get("/cases/new"))
    assert all(f'name="risk_{qid}"' in form for qid in questions(cw))
    assert "lethal sign" in form
    answer = page.post("/cases/new", data={**FORM, "risk_strangled": "yes"})
    assert answer.status_code == 303, text(answer)
    number = answer.headers["Location"].rsplit("/", 1)[1]
    shown = text(page.get(f"/cases/{number}"))
    assert "High risk" in shown and "Urgent" in shown
    listed = text(page.get("/cases?risk=high"))
    assert number in listed and "⚠ High risk" in listed
    assert number not in text(page.get("/cases?risk=low"))
    worklist = text(page.get("/"))
    assert "⚠ High risk" in worklist


def test_an_intake_without_a_tick_records_no_assessment(as_user, client, as_):
    page = as_user("operator")
    answer = page.post("/cases/new", data=FORM)
    number = answer.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"{API}/cases/{number}", headers=as_("operator")).json[
        "risk_level"] is None


def test_the_case_page_assesses_and_records_a_protection_order(as_user, new_case, cw):
    number = new_case()["number"]
    page = as_user("village_a1")
    shown = text(page.get(f"/cases/{number}"))
    assert "Not assessed yet." in shown and 'id="action-assess"' in shown
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown)[1]
    answer = page.post(f"/cases/{number}", data={
        "csrf_token": token, "version": "1", "action": "assess", "answers_jealous": "yes"})
    assert answer.status_code == 303
    answer = page.post(f"/cases/{number}", data={
        "csrf_token": token, "version": "2", "action": "measure",
        "form_key": "measure-protection_order-applied-new", "measure": "protection_order",
        "stage": "applied", "on": TODAY, "court": "平乐县人民法院"})
    assert answer.status_code == 303
    shown = text(page.get(f"/cases/{number}"))
    assert "Low risk" in shown and "Personal-safety protection order" in shown
    assert "Court to decide by" in shown and 'id="measure-protection_order-granted-3"' in shown
    # A grant over six months comes back on its own form, with the field named.
    answer = page.post(f"/cases/{number}", data={
        "csrf_token": token, "version": "3", "action": "measure",
        "form_key": "measure-protection_order-granted-3", "measure": "protection_order",
        "stage": "granted", "measure_id": "3", "on": TODAY, "valid_until": "2099-01-01"})
    assert answer.status_code == 422
    assert 'aria-invalid="true" aria-describedby="measure-protection_order-granted-3-valid_until' \
        in text(answer)


def api_measure(client, headers, number, version, **fields):
    return client.post(f"{API}/cases/{number}/actions", headers=headers,
                       json={"action": "measure", "version": version, **fields})


def test_api_refusals_name_the_field_and_write_nothing(client, as_, new_case, cw):
    number = new_case()["number"]
    op = as_("operator")
    before = counts(cw)
    cases = [
        ({"measure": "protection_order", "stage": "granted", "on": TODAY,
          "valid_until": TODAY}, 409, "stage"),
        ({"measure": "protection_order", "stage": "applied", "on": "2999-01-01",
          "court": "法院"}, 422, "on"),
        ({"measure": "protection_order", "stage": "applied", "on": TODAY}, 422, "court"),
        ({"measure": "nothing", "stage": "applied"}, 422, "measure"),
        ({"measure": "shelter", "stage": "left", "measure_id": "x"}, 422, "measure_id"),
        ({"measure": "shelter", "stage": "left", "measure_id": 99, "on": TODAY}, 422,
         "measure_id"),
        ({"measure": {"a": 1}, "stage": ["x"]}, 422, "measure"),
        ({"measure": "shelter", "stage": "placed", "on": 20260101, "place": "站"}, 422, "on"),
        ({"measure": "shelter", "stage": "placed", "on": TODAY, "place": ["站"]}, 422, "place"),
    ]
    for fields, status, field in cases:
        answer = api_measure(client, op, number, 1, **fields)
        assert answer.status_code == status, (fields, answer.json)
        assert field in answer.json["fields"], (fields, answer.json)
    for answers in ({}, [], "yes", {"weapon": 1}, None):
        answer = client.post(f"{API}/cases/{number}/actions", headers=op,
                             json={"action": "assess", "version": 1, "answers": answers})
        assert answer.status_code == 422 and any(
            name.startswith("answers") for name in answer.json["fields"]), answer.json
    answer = client.post(f"{API}/cases", headers=op, json={
        "channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "domestic_violence",
        "summary": "s", "risk_answers": {"weapon": "yes"}})
    assert answer.status_code == 422 and "risk_answers.weapon" in answer.json["fields"]
    assert counts(cw) == before
    assert client.get(f"{API}/cases?risk=extreme", headers=op).json["fields"] == {
        "risk": "one of: low, medium, high, none"}


def test_the_case_json_carries_risk_and_measures_with_history(client, as_, new_case, cw):
    number = new_case()["number"]
    op = as_("operator")
    answers = {qid: qid == "weapon" for qid in questions(cw)}
    answer = client.post(f"{API}/cases/{number}/actions", headers=op,
                         json={"action": "assess", "version": 1, "answers": answers})
    assert answer.json["risk_level"] == "high" and answer.json["urgency"] == "urgent"
    answer = api_measure(client, op, number, 2, measure="shelter", stage="placed", on=TODAY,
                         place="县救助管理站")
    assert answer.status_code == 200
    answer = api_measure(client, op, number, 3, measure="shelter", stage="left", measure_id=3,
                         on=TODAY)
    [shelter] = client.get(f"{API}/cases/{number}", headers=op).json["measures"]
    assert (shelter["id"], shelter["stage"], shelter["place"]) == (3, "left", "县救助管理站")
    assert [h["stage"] for h in shelter["history"]] == ["placed", "left"]
    high = client.get(f"{API}/cases?risk=high", headers=op).json
    assert [c["number"] for c in high["items"]] == [number]
    assert client.get(f"{API}/workflow", headers=op).json["risk"]["levels"] == {
        "medium": 4, "high": 8}


def test_the_report_page_shows_the_months_protection_figures(client, as_, as_user, new_case,
                                                             cw):
    number = new_case()["number"]
    answers = {qid: qid == "weapon" for qid in questions(cw)}
    client.post(f"{API}/cases/{number}/actions", headers=as_("operator"),
                json={"action": "assess", "version": 1, "answers": answers})
    month = TODAY[:7]
    page = text(as_user("county_officer").get(f"/reports/monthly?month={month}"))
    section = page.split('id="protection"', 1)[1]
    assert "Danger assessments</th><td class=\"num\">1</td>" in section
    assert "of them high risk</th><td class=\"num\">1</td>" in section
