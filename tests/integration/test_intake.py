"""Intake through the service and the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import COUNTY, VILLAGE_A1, VILLAGE_B1, petition
from sqlalchemy import func, select

from casework.errors import Forbidden, Invalid
from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import Case, Event

NOW = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def counts(cw) -> tuple[int, int]:
    with reading(cw.engine) as s:
        return (s.execute(select(func.count()).select_from(Case)).scalar_one(),
                s.execute(select(func.count()).select_from(Event)).scalar_one())


def test_a_hotline_call_starts_pending_at_the_village_congress_with_its_deadline(cw, people):
    case = receive(cw, people["operator"], petition(), now=NOW)
    assert (case.level, case.status, case.version) == ("village_congress", "pending", 1)
    assert case.number == f"{COUNTY}-2026-000001"
    # 5 working days over the National Day holiday (DESIGN.md's own example).
    assert case.due_at == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    assert case.warn_at == datetime(2026, 10, 11, 16, 0, tzinfo=UTC)


def test_case_numbers_are_gapless_and_in_order_per_county_and_year(cw, people):
    numbers = [receive(cw, people["operator"], petition(), now=NOW).number for _ in range(3)]
    assert numbers == [f"{COUNTY}-2026-00000{i}" for i in (1, 2, 3)]
    last_year = receive(cw, people["operator"],
                        petition(received_at="2025-12-31T23:00:00+08:00"), now=NOW)
    assert last_year.number == f"{COUNTY}-2025-000001"


def test_a_mailbox_letter_starts_in_the_mailbox(cw, people):
    case = receive(cw, people["village_a1"], petition(channel="mailbox"), now=NOW)
    assert (case.level, case.status) == ("village_mailbox", "pending")


def test_an_emergency_starts_at_the_county_with_24_hours(cw, people):
    case = receive(cw, people["operator"], petition(urgency="emergency"), now=NOW)
    assert case.level == "county_center"
    assert case.due_at == NOW + timedelta(hours=24)


def test_an_urgent_case_gets_half_the_working_days_rounded_up(cw, people):
    case = receive(cw, people["operator"], petition(urgency="urgent"), now=NOW)
    # 3 working days after 29 Sep: 30 Sep, 8 Oct, 9 Oct.
    assert case.due_at == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)


def test_a_consultation_resolved_on_the_spot_is_concluded_at_the_county(cw, people):
    case = receive(cw, people["operator"], petition(
        category="consultation", resolve_now={"outcome": "advised", "note": "讲解了离婚财产分割"}),
        now=NOW)
    assert (case.level, case.status, case.version) == ("county_center", "resolved", 2)
    detail = case_detail(cw, people["county_officer"], case.number)
    assert [e["action"] for e in detail["events"]] == ["intake", "resolve"]
    assert detail["allowed_actions"] == ["close", "reopen", "measure", "note"]


def test_a_chosen_start_level_is_honoured(cw, people):
    case = receive(cw, people["operator"], petition(start_level="township_federation"), now=NOW)
    assert case.level == "township_federation"


def test_the_phone_is_masked_in_the_case_view(cw, people):
    case = receive(cw, people["operator"], petition(), now=NOW)
    detail = case_detail(cw, people["operator"], case.number)
    assert detail["petitioner"]["phone"] == "138****5678"


@pytest.mark.parametrize(("override", "field"), [
    ({"channel": "fax"}, "channel"),
    ({"village_code": "12"}, "village_code"),
    ({"village_code": "450330100999"}, "village_code"),
    ({"village_code": "450330100"}, "village_code"),
    ({"category": "gossip"}, "category"),
    ({"urgency": "whenever"}, "urgency"),
    ({"summary": ""}, "summary"),
    ({"summary": "x\x00y"}, "summary"),
    ({"petitioner": {"phone": "call me"}}, "petitioner.phone"),
    ({"received_at": "2030-01-01T00:00:00+08:00"}, "received_at"),
    ({"received_at": "2024-01-01T00:00:00+08:00"}, "received_at"),
    ({"start_level": "heaven"}, "start_level"),
    ({"channel": "mailbox", "start_level": "county_center"}, "start_level"),
    ({"urgency": "emergency", "start_level": "village_congress"}, "start_level"),
    ({"resolve_now": {"outcome": "magic", "note": "x"}}, "resolve_now.outcome"),
    ({"resolve_now": {"outcome": "advised"}}, "resolve_now.note"),
    ({"channel": "mailbox", "resolve_now": {"outcome": "advised", "note": "x"}}, "resolve_now"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_intake_names_the_field_and_writes_nothing(cw, people, override, field):
    with pytest.raises(Invalid) as refused:
        receive(cw, people["operator"], petition(**override), now=NOW)
    assert field in refused.value.fields
    assert counts(cw) == (0, 0)


def test_a_body_that_is_not_an_object_is_invalid(cw, people):
    with pytest.raises(Invalid) as refused:
        receive(cw, people["operator"], ["not", "an", "object"], now=NOW)
    assert "body" in refused.value.fields


def test_a_village_cadre_cannot_log_a_petition_for_another_township(cw, people):
    with pytest.raises(Invalid) as refused:
        receive(cw, people["village_a1"], petition(village_code=VILLAGE_B1), now=NOW)
    assert "village_code" in refused.value.fields
    assert counts(cw) == (0, 0)


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_admins_and_leaders_do_not_log_petitions(cw, people, who):
    with pytest.raises(Forbidden):
        receive(cw, people[who], petition(), now=NOW)


def test_a_petition_in_the_users_own_village_is_accepted_from_a_village_cadre(cw, people):
    case = receive(cw, people["village_a1"], petition(village_code=VILLAGE_A1), now=NOW)
    assert case.village_code == VILLAGE_A1
