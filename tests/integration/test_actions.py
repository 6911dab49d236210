"""Actions through the service and the database: the chain, its deadlines and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import petition
from sqlalchemy import func, select

from casework.errors import Forbidden, IllegalTransition, Invalid, NotFound, StaleVersion
from casework.lifecycle.actions import perform
from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import Event

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)


def act(cw, actor, case, action, at, **fields):
    return perform(cw, actor, case.number, {"action": action, "version": case.version, **fields},
                   now=at)


def event_count(cw) -> int:
    with reading(cw.engine) as s:
        return s.execute(select(func.count()).select_from(Event)).scalar_one()


@pytest.fixture
def case(cw, people):
    return receive(cw, people["operator"], petition(), now=T0)


def test_a_case_climbs_the_whole_chain_and_is_closed(cw, people, case):
    t = T0
    case = act(cw, people["village_a1"], case, "accept", t)
    case = act(cw, people["village_a1"], case, "escalate", t, note="需要乡镇出面")
    assert (case.level, case.status) == ("township_federation", "pending")
    case = act(cw, people["township_a"], case, "accept", t + timedelta(hours=1))
    case = act(cw, people["township_a"], case, "escalate", t + timedelta(hours=2), note="涉及财产")
    assert case.level == "county_center"
    case = act(cw, people["county_officer"], case, "accept", t + timedelta(hours=3))
    case = act(cw, people["county_officer"], case, "refer", t + timedelta(hours=4),
               agency="legal_aid", note="转12348法律援助")
    assert case.status == "referred"
    case = act(cw, people["operator"], case, "close", t + timedelta(days=3),
               satisfaction="satisfied")
    assert (case.level, case.status, case.version) == ("county_center", "closed", 8)
    detail = case_detail(cw, people["operator"], case.number)
    assert [e["action"] for e in detail["events"]] == [
        "intake", "accept", "escalate", "accept", "escalate", "accept", "refer", "close"]


def test_entering_a_level_starts_its_own_deadline(cw, people, case):
    case = act(cw, people["village_a1"], case, "escalate", T0, note="n")
    # Township: 10 working days after 29 Sep = 30 Sep, 8, 9, 10 (a make-up Saturday), 12, 13,
    # 14, 15, 16 and 19 Oct -> ends at 24:00 on 19 Oct (16:00 UTC).
    assert case.due_at == datetime(2026, 10, 19, 16, 0, tzinfo=UTC)


def test_extending_moves_the_deadline_once_per_level(cw, people, case):
    case = act(cw, people["village_a1"], case, "extend", T0, days=2, reason="当事人外出")
    assert case.due_at == datetime(2026, 10, 14, 16, 0, tzinfo=UTC)
    with pytest.raises(IllegalTransition) as refused:
        act(cw, people["village_a1"], case, "extend", T0, days=1, reason="again")
    assert "extend" not in refused.value.allowed_actions
    case = act(cw, people["village_a1"], case, "escalate", T0, note="n")
    case = act(cw, people["township_a"], case, "extend", T0, days=1, reason="新的一级可以再延一次")
    assert case.extended


def test_waiting_stops_the_clock_and_resuming_moves_the_deadline(cw, people, case):
    case = act(cw, people["village_a1"], case, "accept", T0)
    due = case.due_at
    case = act(cw, people["village_a1"], case, "wait", T0, reason="等待当事人提供材料")
    case = act(cw, people["village_a1"], case, "resume", T0 + timedelta(days=3))
    assert case.due_at == due + timedelta(days=3)
    assert case.status == "in_progress"


def test_the_county_assigns_a_case_down_to_a_township(cw, people):
    case = receive(cw, people["operator"], petition(start_level="county_center"), now=T0)
    case = act(cw, people["operator"], case, "assign", T0, target_level="township_federation")
    assert (case.level, case.status) == ("township_federation", "pending")


def test_a_township_returns_a_case_to_the_congress(cw, people, case):
    case = act(cw, people["village_a1"], case, "escalate", T0, note="n")
    case = act(cw, people["township_a"], case, "return", T0, reason="村里能调解")
    assert (case.level, case.status) == ("village_congress", "in_progress")


def test_a_county_officer_reopens_a_resolved_case_at_its_level(cw, people, case):
    case = act(cw, people["village_a1"], case, "accept", T0)
    case = act(cw, people["village_a1"], case, "resolve", T0, outcome="mediated", note="调解成功")
    case = act(cw, people["county_officer"], case, "reopen", T0 + timedelta(days=1),
               reason="当事人再次来电")
    assert (case.level, case.status, case.concluded_at) == ("village_congress", "in_progress", None)


def test_two_cadres_escalating_the_same_version_give_one_escalation(cw, people, case):
    version = case.version
    perform(cw, people["village_a1"], case.number,
            {"action": "escalate", "version": version, "note": "first"}, now=T0)
    before = event_count(cw)
    with pytest.raises(StaleVersion) as refused:
        perform(cw, people["village_a1"], case.number,
                {"action": "escalate", "version": version, "note": "second"}, now=T0)
    assert refused.value.version == version + 1
    assert event_count(cw) == before


def test_an_illegal_action_is_refused_with_what_is_allowed(cw, people, case):
    with pytest.raises(IllegalTransition) as refused:
        act(cw, people["village_a1"], case, "resolve", T0, outcome="mediated", note="x")
    assert refused.value.allowed_actions == ["accept", "escalate", "extend", "assess", "measure",
                                             "note"]


def test_a_cadre_of_another_village_sees_nothing(cw, people, case):
    with pytest.raises(NotFound):
        act(cw, people["village_a2"], case, "accept", T0)
    with pytest.raises(NotFound):
        case_detail(cw, people["village_a2"], case.number)


def test_a_cadre_of_another_township_sees_nothing(cw, people, case):
    with pytest.raises(NotFound):
        case_detail(cw, people["township_b"], case.number)


def test_a_township_cadre_may_not_act_for_the_village_congress(cw, people, case):
    with pytest.raises(Forbidden):
        act(cw, people["township_a"], case, "accept", T0)
    assert "accept" not in case_detail(cw, people["township_a"], case.number)["allowed_actions"]


def test_a_hotline_operator_may_note_but_not_accept(cw, people, case):
    with pytest.raises(Forbidden):
        act(cw, people["operator"], case, "accept", T0)
    case = act(cw, people["operator"], case, "note", T0, note="当事人又来电")
    assert case.version == 2


@pytest.mark.parametrize("who", ["admin", "leader"])
def test_admins_and_leaders_never_touch_case_files(cw, people, case, who):
    # Not found, as for a case that does not exist: no oracle of case numbers (issue 18).
    with pytest.raises(NotFound):
        act(cw, people[who], case, "note", T0, note="x")


@pytest.mark.parametrize(("action", "fields", "bad"), [
    ("escalate", {}, "note"),
    ("escalate", {"note": "   "}, "note"),
    ("extend", {"days": 0, "reason": "r"}, "days"),
    ("extend", {"days": 31, "reason": "r"}, "days"),
    ("extend", {"days": "two", "reason": "r"}, "days"),
    ("extend", {"days": 2}, "reason"),
    ("escalate", {"note": 5}, "note"),
    ("escalate", {"note": "x" * 5001}, "note"),
])
def test_missing_or_bad_fields_are_named_and_nothing_is_written(cw, people, case, action, fields,
                                                                 bad):
    before = event_count(cw)
    with pytest.raises(Invalid) as refused:
        act(cw, people["village_a1"], case, action, T0, **fields)
    assert bad in refused.value.fields
    assert event_count(cw) == before


@pytest.mark.parametrize(("body", "bad"), [
    ({"version": 1}, "action"),
    ({"action": "teleport", "version": 1}, "action"),
    ({"action": "accept"}, "version"),
    ({"action": "accept", "version": "1"}, "version"),
    ({"action": "accept", "version": 1, "colour": "red"}, "colour"),
])
def test_a_malformed_action_body_is_invalid(cw, people, case, body, bad):
    with pytest.raises(Invalid) as refused:
        perform(cw, people["village_a1"], case.number, body, now=T0)
    assert bad in refused.value.fields


def test_an_unknown_case_number_is_not_found(cw, people):
    with pytest.raises(NotFound):
        perform(cw, people["village_a1"], "450330-2026-999999",
                {"action": "accept", "version": 1}, now=T0)
