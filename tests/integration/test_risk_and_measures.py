"""Danger assessment and protective measures through the services and the database: the case's
risk columns and urgency, the measure stages and their refusals, each refusal writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import petition
from sqlalchemy import func, select

from casework.errors import Forbidden, IllegalTransition, Invalid
from casework.lifecycle.actions import perform
from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from casework.lifecycle.measure_rules import fold, row_of
from casework.lifecycle.projection import PROJECTED, projected_columns, replay
from casework.storage.db import reading
from casework.storage.models import Case, Event, ProtectionMeasure

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Tuesday
NO = {"threatened_to_kill": False, "strangled": False, "weapon": False,
      "violence_escalating": False, "forced_sex": False, "beaten_while_pregnant": False,
      "threatened_children": False, "leaving": False, "suicide_threat": False,
      "believes_he_could_kill": False, "controlling": False, "jealous": False,
      "alcohol_drugs": False}


def answers(**yes) -> dict:
    return {**NO, **yes}


def act(cw, actor, case, action, at, **fields):
    return perform(cw, actor, case.number, {"action": action, "version": case.version, **fields},
                   now=at)


def written(cw) -> tuple[int, int]:
    with reading(cw.engine) as s:
        return (s.execute(select(func.count()).select_from(Event)).scalar_one(),
                s.execute(select(func.count()).select_from(ProtectionMeasure)).scalar_one())


@pytest.fixture
def case(cw, people):
    return receive(cw, people["operator"], petition(), now=T0)


def assert_replays(cw, number):
    with reading(cw.engine) as s:
        row = s.execute(select(Case).where(Case.number == number)).scalar_one()
        events = list(s.execute(select(Event).where(Event.case_id == row.id)).scalars())
        stored = {m.measure_id: m for m in s.execute(
            select(ProtectionMeasure).where(ProtectionMeasure.case_id == row.id)).scalars()}
    assert {k: replay(events)[k] for k in PROJECTED} == projected_columns(row)
    folded = {mid: row_of(row.id, m) for mid, m in fold(events).items()}
    assert folded == {mid: {c: getattr(m, c) for c in folded[mid]} for mid, m in stored.items()}


def test_a_low_score_is_low_risk_and_leaves_the_deadline(cw, people, case):
    due = case.due_at
    after = act(cw, people["village_a1"], case, "assess", T0 + timedelta(hours=1),
                answers=answers(jealous=True, controlling=True))
    assert (after.risk_level, after.risk_assessed_at) == ("low", T0 + timedelta(hours=1))
    assert after.due_at == due
    assert_replays(cw, case.number)


def test_the_score_reaching_the_thresholds_gives_medium_then_high(cw, people, case):
    case = act(cw, people["village_a1"], case, "assess", T0,
               answers=answers(forced_sex=True, leaving=True))
    assert case.risk_level == "medium"
    case = act(cw, people["village_a1"], case, "assess", T0,
               answers=answers(forced_sex=True, leaving=True, suicide_threat=True,
                               jealous=True, controlling=True))
    assert case.risk_level == "high"


def test_one_lethal_item_makes_a_case_high_risk_and_urgent_with_the_earlier_deadline(
        cw, people, case):
    # Entered the congress 29 Sep; 5 working days end 24:00 12 Oct; urgent 3 (30 Sep, 8 and
    # 9 Oct) end 24:00 9 Oct.
    assert case.due_at == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    after = act(cw, people["operator"], case, "assess", T0 + timedelta(days=1),
                answers=answers(strangled=True))
    assert after.risk_level == "high"
    assert after.due_at == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)
    detail = case_detail(cw, people["operator"], case.number)
    assert detail["urgency"] == "urgent" and detail["risk_level"] == "high"
    assessed = detail["events"][-1]
    assert assessed["data"]["score"] == 3 and assessed["data"]["answers"]["strangled"] is True
    assert_replays(cw, case.number)


def test_a_missing_or_unknown_answer_is_refused_naming_it_and_nothing_is_written(
        cw, people, case):
    before = written(cw)
    bad = {**NO}
    del bad["weapon"]
    bad["kicked_the_dog"] = True
    with pytest.raises(Invalid) as refused:
        act(cw, people["operator"], case, "assess", T0, answers=bad)
    assert set(refused.value.fields) == {"answers.weapon", "answers.kicked_the_dog"}
    with pytest.raises(Invalid) as refused:
        act(cw, people["operator"], case, "assess", T0, answers={**NO, "weapon": "yes"})
    assert refused.value.fields == {"answers.weapon": "must be true or false"}
    assert written(cw) == before


def test_intake_takes_the_answers_of_the_call(cw, people):
    case = receive(cw, people["operator"], petition(risk_answers=answers(weapon=True)), now=T0)
    assert (case.risk_level, case.urgency) == ("high", "urgent")
    assert case.due_at == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)
    assert_replays(cw, case.number)


def test_intake_with_a_bad_answer_writes_no_case(cw, people):
    before = written(cw)
    with pytest.raises(Invalid) as refused:
        receive(cw, people["operator"], petition(risk_answers={"weapon": True}), now=T0)
    assert "risk_answers.strangled" in refused.value.fields
    assert written(cw) == before


def test_a_township_cadre_may_not_assess_a_case_at_the_village_nor_record_a_measure(
        cw, people, case):
    before = written(cw)
    with pytest.raises(Forbidden):
        act(cw, people["township_a"], case, "assess", T0, answers=NO)
    with pytest.raises(Forbidden):
        act(cw, people["township_a"], case, "measure", T0, measure="shelter", stage="placed",
            on="2026-09-29", place="救助站")
    assert written(cw) == before


def test_a_protection_order_from_application_to_extension(cw, people, case):
    cadre = people["village_a1"]
    t = T0 + timedelta(hours=1)
    case = act(cw, cadre, case, "measure", t, measure="protection_order", stage="applied",
               on="2026-09-29", court="平乐县人民法院")
    measure_id = case.version
    case = act(cw, cadre, case, "measure", t + timedelta(days=1), measure="protection_order",
               stage="granted", measure_id=measure_id, on="2026-09-30", valid_until="2027-03-30")
    case = act(cw, cadre, case, "measure", t + timedelta(days=2), measure="protection_order",
               stage="extended", measure_id=measure_id, valid_until="2027-09-30")
    [order] = case_detail(cw, cadre, case.number)["measures"]
    assert (order["id"], order["stage"], order["court"], order["valid_until"]) == (
        measure_id, "extended", "平乐县人民法院", "2027-09-30")
    assert [h["stage"] for h in order["history"]] == ["applied", "granted", "extended"]
    assert order["decide_by"] is None
    assert_replays(cw, case.number)


def test_an_application_is_to_be_decided_in_72_hours_or_24_in_an_emergency(cw, people):
    for urgency, hours in (("normal", 72), ("emergency", 24)):
        case = receive(cw, people["operator"], petition(urgency=urgency), now=T0)
        case = act(cw, people["operator"], case, "measure", T0, measure="protection_order",
                   stage="applied", on="2026-09-29", court="法院")
        [order] = case_detail(cw, people["operator"], case.number)["measures"]
        assert order["decide_by"] == (T0 + timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize("body, field", [
    ({"measure": "restraining", "stage": "applied"}, "measure"),
    ({"measure": "protection_order", "stage": "issued"}, "stage"),
    ({"measure": "protection_order", "stage": "applied", "on": "2026-09-29"}, "court"),
    ({"measure": "protection_order", "stage": "applied", "on": "2026-10-01", "court": "法院"},
     "on"),
    ({"measure": "protection_order", "stage": "applied", "on": "29/09/2026", "court": "法院"},
     "on"),
    ({"measure": "shelter", "stage": "placed", "on": "2026-09-29", "place": "庇护站",
      "court": "法院"}, "court"),
    ({"measure": "warning_letter", "stage": "issued", "on": "2026-09-29", "authority": "派出所",
      "measure_id": 1}, "measure_id"),
])
def test_bad_measure_fields_are_refused_naming_the_field(cw, people, case, body, field):
    before = written(cw)
    with pytest.raises(Invalid) as refused:
        act(cw, people["operator"], case, "measure", T0, **body)
    assert field in refused.value.fields
    assert written(cw) == before


def test_a_grant_before_an_application_and_a_second_grant_are_409s(cw, people, case):
    op = people["operator"]
    before = written(cw)
    with pytest.raises(IllegalTransition) as refused:
        act(cw, op, case, "measure", T0, measure="protection_order", stage="granted",
            on="2026-09-29", valid_until="2027-01-01")
    assert "stage" in refused.value.details()["fields"]
    assert written(cw) == before
    case = act(cw, op, case, "measure", T0, measure="protection_order", stage="applied",
               on="2026-09-28", court="法院")
    measure_id = case.version
    case = act(cw, op, case, "measure", T0, measure="protection_order", stage="granted",
               measure_id=measure_id, on="2026-09-29", valid_until="2027-03-29")
    before = written(cw)
    with pytest.raises(IllegalTransition):
        act(cw, op, case, "measure", T0, measure="protection_order", stage="granted",
            measure_id=measure_id, on="2026-09-29", valid_until="2027-03-29")
    with pytest.raises(IllegalTransition):
        act(cw, op, case, "measure", T0, measure="protection_order", stage="rejected",
            measure_id=measure_id, on="2026-09-29")
    assert written(cw) == before


def test_an_order_valid_over_six_months_or_decided_before_its_application_is_refused(
        cw, people, case):
    op = people["operator"]
    case = act(cw, op, case, "measure", T0, measure="protection_order", stage="applied",
               on="2026-09-28", court="法院")
    measure_id = case.version
    before = written(cw)
    for fields, field in (({"on": "2026-09-29", "valid_until": "2027-03-30"}, "valid_until"),
                          ({"on": "2026-09-27", "valid_until": "2027-01-01"}, "on"),
                          ({"on": "2026-09-29", "valid_until": "2026-09-29"}, "valid_until")):
        with pytest.raises(Invalid) as refused:
            act(cw, op, case, "measure", T0, measure="protection_order", stage="granted",
                measure_id=measure_id, **fields)
        assert field in refused.value.fields
    with pytest.raises(Invalid) as refused:
        act(cw, op, case, "measure", T0, measure="shelter", stage="left",
            measure_id=measure_id, on="2026-09-29")
    assert "measure" in refused.value.fields
    assert written(cw) == before


def test_every_measure_can_be_recorded_and_a_closed_case_takes_none(cw, people, case):
    op, cadre = people["operator"], people["village_a1"]
    case = act(cw, op, case, "measure", T0, measure="warning_letter", stage="issued",
               on="2026-09-28", authority="平乐县公安局张家派出所")
    case = act(cw, op, case, "measure", T0, measure="mandatory_report", stage="reported",
               on="2026-09-28", authority="张家小学")
    case = act(cw, op, case, "measure", T0, measure="shelter", stage="placed", on="2026-09-29",
               place="县救助管理站")
    shelter = case.version
    case = act(cw, op, case, "measure", T0, measure="shelter", stage="left",
               measure_id=shelter, on="2026-09-29")
    kinds = [(m["measure"], m["stage"]) for m in case_detail(cw, op, case.number)["measures"]]
    assert kinds == [("warning_letter", "issued"), ("mandatory_report", "reported"),
                     ("shelter", "left")]
    case = act(cw, cadre, case, "accept", T0)
    case = act(cw, cadre, case, "resolve", T0, outcome="mediated", note="调解")
    case = act(cw, op, case, "measure", T0, measure="warning_letter", stage="issued",
               on="2026-09-29", authority="派出所")
    case = act(cw, op, case, "close", T0, satisfaction="satisfied")
    with pytest.raises(IllegalTransition):
        act(cw, op, case, "measure", T0, measure="warning_letter", stage="issued",
            on="2026-09-29", authority="派出所")
    assert_replays(cw, case.number)
