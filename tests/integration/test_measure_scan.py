"""The scheduler's watch over protection orders: an undecided application past its 72 (24)
hours and a granted order seven days before its end are each recorded once, even by two
schedulers at once, and told to the unit through the outbox."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

from conftest import VILLAGE_A1, petition
from sqlalchemy import select

from casework.lifecycle.actions import perform
from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from casework.people.users import add_user
from casework.scheduling.measure_scan import scan_measures
from casework.scheduling.scan import scan
from casework.storage.db import reading
from casework.storage.models import Event, Notification

T0 = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)


def act(cw, actor, case, action, at, **fields):
    return perform(cw, actor, case.number, {"action": action, "version": case.version, **fields},
                   now=at)


def recorded(cw, action: str) -> list[Event]:
    with reading(cw.engine) as s:
        return list(s.execute(select(Event).where(Event.action == action)).scalars())


def applied(cw, people, urgency="normal"):
    case = receive(cw, people["operator"], petition(urgency=urgency), now=T0)
    return act(cw, people["operator"], case, "measure", T0, measure="protection_order",
               stage="applied", on="2026-09-29", court="平乐县人民法院")


def test_an_undecided_application_is_overdue_after_72_hours_once(cw, people):
    case = applied(cw, people)
    assert scan_measures(cw, T0 + timedelta(hours=71, minutes=59))["measure_overdue"] == 0
    assert scan(cw, T0 + timedelta(hours=72)).measure_overdue == 1
    assert scan(cw, T0 + timedelta(hours=80)).measure_overdue == 0
    [event] = recorded(cw, "measure_overdue")
    assert (event.actor, event.data["measure_id"]) == ("system", case.version)
    [order] = case_detail(cw, people["operator"], case.number)["measures"]
    assert order["overdue_recorded"] is True
    assert [h["action"] for h in order["history"]] == ["measure", "measure_overdue"]


def test_an_emergency_application_is_overdue_after_24_hours(cw, people):
    applied(cw, people, urgency="emergency")
    assert scan_measures(cw, T0 + timedelta(hours=23))["measure_overdue"] == 0
    assert scan_measures(cw, T0 + timedelta(hours=24))["measure_overdue"] == 1


def test_a_decided_application_is_never_overdue(cw, people):
    case = applied(cw, people)
    act(cw, people["operator"], case, "measure", T0 + timedelta(hours=20),
        measure="protection_order", stage="rejected", measure_id=case.version, on="2026-09-29")
    assert scan_measures(cw, T0 + timedelta(days=5))["measure_overdue"] == 0


def test_a_granted_order_is_told_seven_days_before_its_end_and_again_after_an_extension(
        cw, people):
    case = applied(cw, people)
    measure_id = case.version
    case = act(cw, people["operator"], case, "measure", T0 + timedelta(hours=3),
               measure="protection_order", stage="granted", measure_id=measure_id,
               on="2026-09-29", valid_until="2026-12-31")
    # Ends 24:00 31 Dec Beijing = 16:00 UTC 31 Dec; told from 16:00 UTC 24 Dec.
    told = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)
    assert scan_measures(cw, told - timedelta(seconds=1))["order_expiring"] == 0
    assert scan_measures(cw, told)["order_expiring"] == 1
    assert scan_measures(cw, told + timedelta(days=1))["order_expiring"] == 0
    version = case_detail(cw, people["operator"], case.number)["version"]
    perform(cw, people["operator"], case.number, {
        "action": "measure", "version": version, "measure": "protection_order",
        "stage": "extended", "measure_id": measure_id, "valid_until": "2027-03-31"},
        now=told + timedelta(days=1))
    assert scan_measures(cw, told + timedelta(days=2))["order_expiring"] == 0
    assert scan_measures(cw, datetime(2027, 3, 25, tzinfo=UTC))["order_expiring"] == 1
    # An order past its end is not "expiring" any more.
    assert scan_measures(cw, datetime(2027, 5, 1, tzinfo=UTC))["order_expiring"] == 0
    assert len(recorded(cw, "order_expiring")) == 2


def test_two_schedulers_at_once_record_each_once(cw, people):
    cases = [applied(cw, people) for _ in range(6)]
    barrier = threading.Barrier(2)
    counts = []

    def run():
        barrier.wait()
        counts.append(scan_measures(cw, T0 + timedelta(days=4))["measure_overdue"])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(cases)
    assert sorted(e.case_id for e in recorded(cw, "measure_overdue")) == sorted(
        range(1, len(cases) + 1))


def test_the_unit_is_told_through_the_outbox(cw, people):
    add_user(cw, username="congress_a1", role="village_cadre", area_code=VILLAGE_A1,
             password="correct horse battery", email="cadre@example.cn")
    cw.settings = dataclasses.replace(cw.settings, smtp_url="smtp://127.0.0.1:2525")
    applied(cw, people)
    scan_measures(cw, T0 + timedelta(days=4))
    with reading(cw.engine) as s:
        rows = list(s.execute(select(Notification).where(
            Notification.subject.contains("保护令"))).scalars())
    assert [row.recipient for row in rows] == ["cadre@example.cn"]
    assert "李某" not in rows[0].body and "13812345678" not in rows[0].body
