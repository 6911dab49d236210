"""Any sequence of measure stages on one case (hypothesis): each stage is either recorded whole
or refused whole (nothing written), and what is recorded is a history in the order the law's
stages allow, which replays to the same case: its row is the replay of its events and its
protection_measures rows are the fold of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import petition
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_statistic
from hypothesis import strategies as st
from sqlalchemy import select

from casework.errors import CaseworkError
from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.lifecycle.measure_rules import MEASURES, add_months, fold, row_of
from casework.lifecycle.projection import PROJECTED, projected_columns, replay
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.measure_scan import scan_measures
from casework.storage.db import reading
from casework.storage.models import Case, Event, ProtectionMeasure

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
STAGES = sorted({stage for stages in MEASURES.values() for stage in stages})


@st.composite
def step(draw):
    """A stage of a measure: mostly one of its own kind's, sometimes any; a later stage names
    one of the case's measures (mostly one of its kind), sometimes none."""
    # The protection order has the most stages and checks: it is drawn most often.
    kind = draw(st.sampled_from(["protection_order"] * 4 + list(MEASURES)))
    stage = draw(st.sampled_from(list(MEASURES[kind])) if draw(st.integers(0, 9))
                 else st.sampled_from(STAGES))
    return (kind, stage,
            draw(st.integers(0, 4)),  # which measure a later stage names (4: none)
            draw(st.sampled_from([0, 0, 1, 2, -1])),  # days before today (-1: tomorrow)
            draw(st.sampled_from([1, 3, 6, 6, 7, 0])),  # months of validity
            draw(st.integers(0, 30)))  # hours since the step before


def state(cw, case_id: int) -> tuple:
    with reading(cw.engine) as session:
        case = session.get(Case, case_id)
        events = list(session.execute(
            select(Event).where(Event.case_id == case_id).order_by(Event.seq)).scalars())
        rows = {row.measure_id: {c.name: getattr(row, c.name)
                                 for c in ProtectionMeasure.__table__.columns}
                for row in session.execute(select(ProtectionMeasure).where(
                    ProtectionMeasure.case_id == case_id)).scalars()}
        return case, events, rows


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step(), min_size=1, max_size=12), urgency=st.sampled_from(
    ["normal", "emergency"]))
def test_any_sequence_of_measure_stages_is_refused_whole_or_replays_to_the_same_case(
        cw, people, steps, urgency):
    op = people["operator"]
    now = T0
    case_id = receive(cw, op, petition(urgency=urgency), now=now).id
    for kind, stage, pick, days_back, months, hours in steps:
        now += timedelta(hours=hours)
        case, events, rows = state(cw, case_id)
        # The case's measures of this kind first: a later stage mostly names one of them.
        ids = sorted(rows, key=lambda mid: (rows[mid]["measure"] != kind, mid))
        on = now.astimezone(SHANGHAI).date() - timedelta(days=days_back)
        fields = {"on": on.isoformat(), "court": "法院", "authority": "派出所",
                  "place": "救助站", "valid_until": add_months(on, months).isoformat()}
        spec = MEASURES[kind].get(stage)
        body = {"action": "measure", "version": case.version, "measure": kind, "stage": stage,
                **{name: fields[name] for name in (spec.fields if spec else ("on",))}}
        first = spec is not None and not spec.after
        if pick < len(ids) and (not first or pick == 3):  # a first stage rarely names one
            body["measure_id"] = ids[min(pick, 1) if not first else pick]
        try:
            perform(cw, op, case.number, body, now=now)
            note_statistic(f"recorded {stage}")
        except CaseworkError as refused:
            note_statistic(f"refused {refused.code}")
            after = state(cw, case_id)
            assert (len(after[1]), after[2]) == (len(events), rows), "a refusal wrote"
        scan_measures(cw, now)  # the scheduler's records are part of the history too
    case, events, rows = state(cw, case_id)
    assert {k: replay(events)[k] for k in PROJECTED} == projected_columns(case)
    measures = fold(events)
    assert {mid: row_of(case_id, m) for mid, m in measures.items()} == rows
    for measure in measures.values():
        stages = [h["stage"] for h in measure["history"] if h["action"] == "measure"]
        rules = MEASURES[measure["measure"]]
        assert rules[stages[0]].after == ()
        assert all(a in rules[b].after for a, b in zip(stages, stages[1:], strict=False))
        dates = [h["on"] for h in measure["history"] if h.get("on")]
        assert dates == sorted(dates)
