"""Who may put a petition where, and resolve it there on the spot (issue 18, hole 4).

A petition logged as resolved on the spot counts as resolved at its level, on time: the figures
the network is judged by.  Through the API and the intake page, as an attacker with an intake
role would try it: a refusal is a 403 that writes nothing and moves no figure."""

from __future__ import annotations

import pytest
from conftest import VILLAGE_A1, VILLAGE_B1, petition

from e2e.conftest import counts

API = "/api/v1"
CONSULTATION = {"category": "consultation",
                "resolve_now": {"outcome": "advised", "note": "当场解答"}}


@pytest.mark.parametrize(("who", "overrides", "status", "level"), [
    # the hole: a village cadre counting a county-center resolution met on time
    ("village_a1", {"start_level": "county_center", **CONSULTATION}, 403, None),
    ("village_a1", CONSULTATION, 403, None),  # resolve_now_level (the county center) by default
    ("village_a1", {"start_level": "township_federation", **CONSULTATION}, 403, None),
    ("village_a1", {"start_level": "village_congress", **CONSULTATION}, 201, "village_congress"),
    # a level above her own unit, even pending: escalating is the way up, and it leaves a trace
    ("village_a1", {"start_level": "county_center"}, 403, None),
    ("village_a1", {"start_level": "township_federation"}, 403, None),
    ("village_a1", {"start_level": "village_congress"}, 201, "village_congress"),
    ("village_a1", {"urgency": "emergency"}, 201, "county_center"),  # the workflow's level
    ("village_a1", {"urgency": "emergency", "start_level": "county_center"}, 201,
     "county_center"),
    ("township_a", {"start_level": "village_congress", **CONSULTATION}, 403, None),
    ("township_a", {"start_level": "township_federation", **CONSULTATION}, 201,
     "township_federation"),
    ("township_a", {"start_level": "county_center"}, 403, None),
    ("township_a", {"start_level": "village_congress"}, 201, "village_congress"),
    ("township_b", {"start_level": "township_federation", "village_code": VILLAGE_B1,
                    **CONSULTATION}, 201, "township_federation"),
    ("operator", CONSULTATION, 201, "county_center"),
    ("operator", {"start_level": "county_center", **CONSULTATION}, 201, "county_center"),
    ("operator", {"start_level": "township_federation", **CONSULTATION}, 403, None),
    ("operator", {"start_level": "village_congress", **CONSULTATION}, 403, None),
    ("operator", {"start_level": "township_federation"}, 201, "township_federation"),
    ("county_officer", {"start_level": "county_center", **CONSULTATION}, 201, "county_center"),
    ("county_officer", {"start_level": "village_congress", **CONSULTATION}, 403, None),
])
def test_a_petition_starts_and_is_resolved_only_where_its_recorder_may(
        client, cw, as_, who, overrides, status, level):
    before = counts(cw)
    month = client.get(f"{API}/reports/monthly", headers=as_("county_officer")).json
    answer = client.post(f"{API}/cases", json=petition(**overrides), headers=as_(who))
    assert answer.status_code == status, answer.json
    if status == 403:
        assert answer.json["error"] == "forbidden"
        assert counts(cw) == before
        after = client.get(f"{API}/reports/monthly", headers=as_("county_officer")).json
        assert after == month  # no level's resolved count or on-time rate moved
        return
    assert answer.json["level"] == level
    assert answer.json["status"] == ("resolved" if "resolve_now" in overrides else "pending")


def test_the_intake_page_refuses_a_county_resolution_by_a_village_cadre(
        client, cw, as_user, english):
    as_user("village_a1")
    before = counts(cw)
    answer = client.post("/cases/new", data={
        "channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "consultation",
        "urgency": "normal", "summary": "咨询离婚财产分割", "start_level": "county_center",
        "resolve_now": "y", "resolve_now_outcome": "advised", "resolve_now_note": "当场解答"})
    assert answer.status_code == 403
    assert "You may not log a petition at that level" in answer.get_data(as_text=True)
    assert counts(cw) == before
