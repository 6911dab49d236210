"""No request makes the server answer 500: bad input is refused with a 4xx, and the last-resort
handler (which answers 500) is only a safety net that logs no petitioner data."""

from __future__ import annotations

import logging

import pytest
from conftest import VILLAGE_A1, petition
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from e2e.conftest import counts

API = "/api/v1"


@pytest.fixture
def unexpected(caplog):
    """The records of the safety net; a test asserts there are none."""
    caplog.set_level(logging.ERROR, logger="webui.errors")
    return lambda: [r for r in caplog.records if r.getMessage().startswith("unexpected")]


def test_the_safety_net_answers_json_and_logs_no_petitioner_data(app, caplog):
    petitioner = "李某 13812345678"

    def boom():
        raise RuntimeError(f"INSERT failed for {petitioner}")  # as a database error reads

    app.add_url_rule(f"{API}/boom", "boom", boom)
    caplog.set_level(logging.ERROR, logger="webui.errors")
    answer = app.test_client().get(f"{API}/boom?q=13812345678", data=petitioner)
    assert answer.status_code == 500
    assert answer.json["error"] == "internal"
    assert "13812345678" not in answer.get_data(as_text=True)
    assert "RuntimeError" in caplog.text and "boom" in caplog.text
    assert "13812345678" not in caplog.text and "李某" not in caplog.text


def test_a_page_request_gets_an_html_error_page(client):
    answer = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"


BAD_QUERIES = [
    "level=moon", "status=%00", "overdue=maybe", "area=abc", "area=" + "1" * 13,
    "category=weather", "q=" + "x" * 101, "received_from=2026-02-30", "received_to=tomorrow",
    "page=0", "page=-1", "page=1e3", "per_page=201", "per_page=", "page=" + "9" * 4000,
    "q=%ff%fe", "level=%E2%80%AE",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_list_filters_answer_4xx_not_the_safety_net(client, as_, people, unexpected, query):
    answer = client.get(f"{API}/cases?{query}", headers=as_("operator"))
    assert answer.status_code < 500 and not unexpected()


BAD_BODIES = [
    {}, {"channel": None}, petition(village_code=12), petition(village_code="4503301002011"),
    petition(summary="a\x00b"), petition(summary="x" * 5001), petition(summary=["list"]),
    petition(petitioner={"name": "\x00", "phone": "1"}), petition(petitioner=None),
    petition(petitioner={"phone": "1" * 33}), petition(petitioner={"phone": "+86 ١٣٨١٢٣٤٥٦٧٨"}),
    petition(received_at="yesterday"), petition(received_at="2026-13-01T00:00:00"),
    petition(received_at=-10**20), petition(received_at="9999-12-31T23:59:59-23:59"),
    petition(start_level="moon\x00"), petition(resolve_now={"outcome": "bribed", "note": "x"}),
    petition(resolve_now={"outcome": "advised"}), petition(resolve_now="yes"),
    petition(urgency="emergency", resolve_now={"outcome": "advised", "note": "n"}),
    petition(extra="field"), petition(village_code="450330100299"),
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_intake_bodies_answer_422_and_write_nothing(client, cw, as_, people, unexpected,
                                                        body):
    before = counts(cw)
    answer = client.post(f"{API}/cases", json=body, headers=as_("operator"))
    assert answer.status_code == 422, answer.json
    assert answer.json["fields"] and not unexpected()
    assert counts(cw) == before


BAD_ACTIONS = [
    {"action": "fly", "version": 1}, {"action": None, "version": 1}, {"action": "accept"},
    {"action": "accept", "version": "1"}, {"action": "accept", "version": True},
    {"action": "accept", "version": 1.5}, {"action": "accept", "version": 10**40},
    {"action": "note", "version": 1, "note": "\x00"}, {"action": "note", "version": 1, "note": 5},
    {"action": "note", "version": 1}, {"action": "extend", "version": 1, "days": "x"},
    {"action": "extend", "version": 1, "days": 10**30, "reason": "r"},
    {"action": "extend", "version": 1, "days": -1, "reason": "r"},
    {"action": "assign", "version": 1, "target_level": "county_center"},
    {"action": "accept", "version": 1, "colour": ["x"]},
]
# A field the action does not read (satisfaction on an accept) is ignored whatever it holds, as
# /openapi.json says: tests/e2e/test_action_schema.py.


@pytest.mark.parametrize("body", BAD_ACTIONS)
def test_bad_action_bodies_answer_4xx_and_write_nothing(client, cw, as_, people, unexpected,
                                                         body):
    number = client.post(f"{API}/cases", json=petition(), headers=as_("operator")).json["number"]
    before = counts(cw)
    answer = client.post(f"{API}/cases/{number}/actions", json=body, headers=as_("village_a1"))
    assert 400 <= answer.status_code < 500 and not unexpected()
    assert counts(cw) == before


@pytest.mark.parametrize("path", [
    "/cases/" + "9" * 3000, "/cases/%E2%80%AE", "/cases/..%2f..%2fetc", "/callers/%00/cases",
    "/callers/" + "1" * 3000 + "/cases", "/callers/%20/cases",
    "/reports/monthly?month=2026-09&area=%00", "/reports/monthly?month=%ff",
    "/reports/monthly?month=9999-99", "/reports/monthly?month=2026-09&format=",
    "/reports/period?from=%ff&to=2026-09", "/reports/period?from=2026-01&to=2026-09&area=%00",
    "/reports/period?from=0000-01&to=9999-12", "/reports/period?from=2026-01&to=2026-09&format=",
])
def test_odd_addresses_answer_4xx(client, as_, people, unexpected, path):
    answer = client.get(API + path, headers=as_("operator"))
    assert answer.status_code < 500 and not unexpected()


# Found by these tests in casework/ (told to the lead): they answer 500 today, because
# str.isdigit() accepts "²" and int() then fails, int() refuses more than 4300 digits, and dates
# at the ends of the calendar overflow: each of these once answered 500.
@pytest.mark.parametrize("query", ["page=%C2%B2", "per_page=%C2%B2", "page=" + "9" * 5000,
                                   "received_to=9999-12-31", "received_from=0001-01-01"])
def test_filters_that_the_core_lets_through_still_answer_4xx(client, as_, people, query):
    answer = client.get(f"{API}/cases?{query}", headers=as_("operator"))
    assert answer.status_code == 422


def test_extension_days_that_the_core_lets_through_still_answer_4xx(client, as_, people):
    number = client.post(f"{API}/cases", json=petition(), headers=as_("operator")).json["number"]
    answer = client.post(f"{API}/cases/{number}/actions", headers=as_("village_a1"),
                         json={"action": "extend", "version": 1, "days": "²", "reason": "r"})
    assert answer.status_code == 422


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8)
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
INTAKE_KEYS = ["channel", "village_code", "category", "urgency", "summary", "petitioner",
               "received_at", "start_level", "resolve_now"]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(INTAKE_KEYS), JSON_VALUES, max_size=3))
def test_random_intake_bodies_never_reach_the_safety_net(client, as_, people, changes):
    body = {**petition(village_code=VILLAGE_A1), **changes}
    answer = client.post(f"{API}/cases", json=body, headers=as_("operator"))
    assert answer.status_code in (201, 422), answer.json


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["action", "version", "note", "outcome", "agency",
                                             "target_level", "reason", "days", "satisfaction"]),
                            JSON_VALUES, max_size=4))
def test_random_action_bodies_never_reach_the_safety_net(client, as_, people, body):
    number = "450330-2099-000001"
    answer = client.post(f"{API}/cases/{number}/actions", json=body, headers=as_("operator"))
    assert answer.status_code in (404, 422), answer.json
