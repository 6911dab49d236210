"""The deadline scan through the database: each flag once, auto-escalation, failures contained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import petition
from sqlalchemy import select

from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.scheduling.scan import scan
from casework.storage.db import reading
from casework.storage.models import Case, Event

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)  # entered 29 Sep 10:00 Beijing
WARN = datetime(2026, 10, 11, 16, 0, tzinfo=UTC)  # 12 Oct 00:00 Beijing, the last working day
DUE = datetime(2026, 10, 12, 16, 0, tzinfo=UTC)  # 13 Oct 00:00 Beijing


def actions_of(cw, number):
    with reading(cw.engine) as session:
        case_id = session.execute(select(Case.id).where(Case.number == number)).scalar_one()
        return session.execute(select(Event.action).where(Event.case_id == case_id)
                               .order_by(Event.seq)).scalars().all()


def test_nothing_is_flagged_before_the_last_working_day(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    result = scan(cw, WARN - timedelta(seconds=1))
    assert (result.warned, result.overdue) == (0, 0)
    assert actions_of(cw, case.number) == ["intake"]


def test_a_case_is_warned_on_its_last_working_day_and_overdue_after_it_once(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    assert scan(cw, WARN).warned == 1
    assert scan(cw, WARN + timedelta(hours=1)).warned == 0
    result = scan(cw, DUE)
    assert (result.warned, result.overdue) == (0, 1)
    assert scan(cw, DUE + timedelta(days=5)).overdue == 0
    assert actions_of(cw, case.number) == ["intake", "warn", "overdue"]
    with reading(cw.engine) as session:
        row = session.execute(select(Case).where(Case.number == case.number)).scalar_one()
        events = session.execute(select(Event).where(Event.case_id == row.id)).scalars().all()
    assert row.warning and row.overdue
    assert {e.actor for e in events if e.action in ("warn", "overdue")} == {"system"}


def test_a_scan_after_a_long_outage_records_both_flags_in_order(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    result = scan(cw, DUE + timedelta(days=30))
    assert (result.warned, result.overdue) == (1, 1)
    assert actions_of(cw, case.number) == ["intake", "warn", "overdue"]


def test_flags_clear_when_the_case_leaves_the_level(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    scan(cw, DUE)
    case = perform(cw, people["village_a1"], case.number,
                   {"action": "escalate", "version": 3, "note": "逾期上报"}, now=DUE)
    assert (case.warning, case.overdue) == (False, False)
    assert case.due_at > DUE


def test_a_waiting_case_is_never_flagged(cw, people):
    case = receive(cw, people["operator"], petition(), now=T0)
    case = perform(cw, people["village_a1"], case.number, {"action": "accept", "version": 1},
                   now=T0)
    perform(cw, people["village_a1"], case.number,
            {"action": "wait", "version": 2, "reason": "当事人住院"}, now=T0)
    assert scan(cw, DUE + timedelta(days=10)).overdue == 0


def test_an_overdue_mailbox_letter_goes_up_to_the_congress_by_itself(cw, people):
    case = receive(cw, people["village_a1"], petition(channel="mailbox"), now=T0)
    result = scan(cw, T0 + timedelta(days=3))  # one working day: 30 Sep
    assert (result.overdue, result.escalated) == (1, 1)
    assert actions_of(cw, case.number) == ["intake", "warn", "overdue", "escalate"]
    with reading(cw.engine) as session:
        row = session.execute(select(Case).where(Case.number == case.number)).scalar_one()
    assert (row.level, row.status, row.overdue) == ("village_congress", "pending", False)


def test_an_overdue_congress_case_stays_where_the_workflow_says_it_stays(cw, people):
    receive(cw, people["operator"], petition(), now=T0)
    assert scan(cw, DUE).escalated == 0


def test_one_broken_case_does_not_stop_the_scan(cw, people, monkeypatch):
    first = receive(cw, people["operator"], petition(), now=T0)
    second = receive(cw, people["operator"], petition(), now=T0)
    import casework.scheduling.scan as scan_module

    real_append = scan_module.append

    def broken_for_first(session, case, event):
        if case.number == first.number:
            raise RuntimeError("disk on fire")
        return real_append(session, case, event)

    monkeypatch.setattr(scan_module, "append", broken_for_first)
    result = scan(cw, WARN)
    assert result.warned == 1 and len(result.failed) == 1
    assert actions_of(cw, second.number) == ["intake", "warn"]
    assert actions_of(cw, first.number) == ["intake"]
