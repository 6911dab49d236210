"""Closed months (DESIGN.md, "Reports": a closed month's report is the same every time it is
run): closed once for every area, read back from the stored figures exactly as computed, never
changed by late data, closed by the scheduler on the workflow's closing day and caught up at its
start; until then a finished month still takes petitions dated in it."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime

import pytest
import test_reports
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from conftest import (
    COUNTY,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    VILLAGE_B2,
    WORKFLOW,
    petition,
)
from sqlalchemy import func, select, text
from test_ledger import write_csv
from test_reports import act, bj

import casework.reporting.counting
import casework.reporting.reports
from casework.bootstrap import bootstrap
from casework.clock import Clock
from casework.config import Settings
from casework.errors import Invalid
from casework.imports.ledger import import_ledger
from casework.lifecycle.intake import receive
from casework.reporting.closing import CLOSING_JOB, ClosingJob, close_month
from casework.reporting.report_files import to_csv
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scheduler import configure
from casework.storage.db import reading
from casework.storage.models import Case, ClosedFigure, ClosedMonth, Event
from casework.workflow import parse_workflow

# The county's January to April 2026 of the report tests, with their fixtures.
march, april = test_reports.march, test_reports.april
AREAS = [None, COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2]
IN_APRIL = bj(4, 3, 12)


def as_bytes(cw, month="2026-03", area=COUNTY, now=IN_APRIL) -> bytes:
    report = monthly_report(cw, month=month, area=area, now=now)
    return (json.dumps(report, sort_keys=True, ensure_ascii=False)
            + to_csv(report, cw.workflow)).encode()


def counts(cw) -> dict[str, int]:
    with reading(cw.engine) as session:
        return {model.__name__: session.execute(select(func.count()).select_from(model))
                .scalar_one() for model in (ClosedMonth, ClosedFigure, Case, Event)}


def ledger_row(received: str, concluded: str) -> dict:
    return {"received_at": received, "village_code": VILLAGE_A2, "category": "property",
            "channel": "visit", "urgency": "normal", "summary": "台账", "petitioner_name": "",
            "petitioner_phone": "", "concluded_level": "village_congress",
            "concluded_at": concluded, "outcome": "mediated"}


def test_closing_a_month_closes_every_finished_month_before_it_once(cw, march):
    assert close_month(cw, "2026-03", now=IN_APRIL) == ["2026-01", "2026-02", "2026-03"]
    before = counts(cw)
    assert close_month(cw, "2026-03", now=IN_APRIL) == []
    assert close_month(cw, "2026-02", now=IN_APRIL) == []
    assert counts(cw) == before
    with reading(cw.engine) as session:
        closed = session.get(ClosedMonth, "2026-03")
    assert closed.report_format == 1 and len(closed.workflow_digest) == 64
    assert closed.computed_at.tzinfo is not None


def test_closing_on_postgresql_leaves_the_planner_knowing_the_new_figures(cw, march):
    if cw.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics: SQLite keeps none to refresh")
    close_month(cw, "2026-03", now=IN_APRIL)
    with reading(cw.engine) as session:
        estimated = session.execute(text(
            "SELECT reltuples FROM pg_class WHERE oid = 'closed_figures'::regclass")).scalar_one()
    # Never analyzed, PostgreSQL says -1 and plans as for an empty table: the province's report
    # on a freshly closed database then scans every row (bench/RESULTS.md, period-postgresql).
    assert estimated == counts(cw)["ClosedFigure"] > 0


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "all")
def test_a_closed_months_report_is_read_from_its_figures_and_equals_the_computed_one(
        cw, march, monkeypatch, area):
    computed = {month: monthly_report(cw, month=month, area=area, now=IN_APRIL)
                for month in ("2026-01", "2026-02", "2026-03")}
    close_month(cw, "2026-03", now=IN_APRIL)

    def no_computing(*_args, **_kwargs):
        raise AssertionError("a closed month was computed from events")

    monkeypatch.setattr(casework.reporting.reports, "tally_month", no_computing)
    for month, report in computed.items():
        assert monthly_report(cw, month=month, area=area, now=IN_APRIL) == report
    # Before any data there was nothing: those months are closed with zeros.
    empty = monthly_report(cw, month="2025-11", area=area, now=IN_APRIL)
    assert empty["received"] == 0 and empty["trend"][-1]["handling_rate"] is None
    with pytest.raises(AssertionError):  # the month in progress is still computed
        monthly_report(cw, month="2026-04", area=area, now=IN_APRIL)


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "all")
def test_a_closed_months_protection_figures_read_back_the_same(cw, people, monkeypatch, area):
    test_reports.protection_march(cw, people)
    computed = monthly_report(cw, month="2026-03", area=area, now=IN_APRIL)
    assert area in (VILLAGE_A2, VILLAGE_B2) or any(computed["protection"].values())
    close_month(cw, "2026-03", now=IN_APRIL)
    monkeypatch.setattr(casework.reporting.reports, "tally_month", None)
    assert monthly_report(cw, month="2026-03", area=area, now=IN_APRIL) == computed


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "all")
def test_the_month_in_progress_takes_its_trends_closed_months_from_their_figures(
        cw, march, monkeypatch, area):
    computed = monthly_report(cw, month="2026-04", area=area, now=IN_APRIL, closed=False)
    close_month(cw, "2026-03", now=IN_APRIL)
    computed_months = []
    original = casework.reporting.counting.received_query

    def counting(workflow, window, *args):
        computed_months.append(window.label)
        return original(workflow, window, *args)

    monkeypatch.setattr(casework.reporting.counting, "received_query", counting)
    assert monthly_report(cw, month="2026-04", area=area, now=IN_APRIL) == computed
    assert computed_months == ["2026-04"]  # the month itself; its trend's months were stored


def test_a_closed_month_has_the_figures_the_report_tests_expect(cw, march):
    close_month(cw, "2026-03", now=IN_APRIL)
    report = monthly_report(cw, month="2026-03", area=COUNTY, now=IN_APRIL)
    assert (report["received"], report["concluded"], report["handling_rate"]) == (8, 4, 0.5)
    assert report["satisfaction_rate"] == 2 / 3  # c1 satisfied, c2 basically, c3 not
    assert [point["received"] for point in report["trend"][-3:]] == [1, 1, 8]


def test_late_petitions_actions_and_ledgers_leave_a_closed_month_byte_identical(
        cw, people, april, tmp_path):
    close_month(cw, "2026-03", now=IN_APRIL)
    before = {area: as_bytes(cw, area=area) for area in AREAS}
    written = counts(cw)

    with pytest.raises(Invalid) as refused:
        receive(cw, people["operator"], petition(received_at=bj(3, 30).isoformat()),
                now=IN_APRIL)
    assert "closed month" in refused.value.fields["received_at"]
    assert "2026-03" in refused.value.message
    bad = write_csv(tmp_path / "late.csv", [ledger_row("2026-04-01 09:00", "2026-04-02 09:00"),
                                            ledger_row("2026-03-20 09:00", "2026-04-02 09:00")])
    with pytest.raises(Invalid, match=r"^line 3, column received_at: 2026-03-20 09:00 falls in "
                                      r"2026-03, a closed month"):
        import_ledger(cw, bad, now=IN_APRIL)
    assert counts(cw) == written  # nothing of either was written

    # What may still happen: work on the cases now, petitions and ledger rows of April.
    act(cw, people["village_a1"], april["c1"], "resolve", bj(4, 12), outcome="assisted",
        note="再次调解")
    act(cw, people["village_a2"], april["c6"], "resolve", bj(4, 12), outcome="assisted",
        note="办结")
    receive(cw, people["operator"], petition(received_at=bj(4, 1, 8).isoformat()), now=bj(4, 12))
    good = write_csv(tmp_path / "april.csv", [ledger_row("2026-04-01 09:00", "2026-04-02 09:00")])
    assert import_ledger(cw, good, now=bj(4, 12)) == 1

    later = bj(4, 20)
    assert {area: as_bytes(cw, area=area, now=later) for area in AREAS} == before
    # Nothing was written into March, so computing it again still gives the same figures.
    assert (monthly_report(cw, month="2026-03", area=COUNTY, now=later, closed=False)
            == monthly_report(cw, month="2026-03", area=COUNTY, now=later))


def test_two_closings_at_once_store_one_copy(cw, march, database_url):
    computed = monthly_report(cw, month="2026-03", area=COUNTY, now=IN_APRIL)
    others = [bootstrap(Settings(database_url=database_url, workflow_path=WORKFLOW))
              for _ in range(2)]
    start = threading.Barrier(2)
    results: list = [None, None]

    def closing(i):
        start.wait()
        results[i] = close_month(others[i], "2026-03", now=IN_APRIL)

    threads = [threading.Thread(target=closing, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.engine.dispose()
    # Each month closed by exactly one of the two (which one is a matter of timing).
    assert sorted(month for result in results for month in result) == [
        "2026-01", "2026-02", "2026-03"]
    assert counts(cw)["ClosedMonth"] == 3
    assert monthly_report(cw, month="2026-03", area=COUNTY, now=IN_APRIL) == computed


def test_a_month_in_progress_cannot_be_closed(cw, march):
    with pytest.raises(Invalid) as refused:
        close_month(cw, "2026-04", now=IN_APRIL)
    assert refused.value.fields == {"month": "is not over yet: only a finished month can be "
                                             "closed"}
    with pytest.raises(Invalid):
        close_month(cw, "2026-13", now=IN_APRIL)
    assert counts(cw)["ClosedMonth"] == 0


def closed_through(cw) -> str | None:
    with reading(cw.engine) as session:
        return session.execute(select(func.max(ClosedMonth.month))).scalar_one()


def with_closing_day(cw, day: int) -> None:
    cw.workflow = parse_workflow(WORKFLOW.read_text("utf-8").replace(
        "closing_day: 5", f"closing_day: {day}"))


def test_the_scheduler_closes_the_month_before_on_the_closing_day_after_midnight(cw, march):
    assert cw.workflow.closing_day == 5  # the packaged workflows.yaml
    scheduler = configure(BackgroundScheduler(timezone=SHANGHAI), cw, 60)
    trigger = scheduler.get_job(CLOSING_JOB).trigger
    assert trigger.get_next_fire_time(None, bj(3, 15)) == datetime(2026, 4, 5, 0, 5,
                                                                   tzinfo=SHANGHAI)
    with time_machine.travel(datetime(2026, 4, 5, 0, 4, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
    assert closed_through(cw) == "2026-02"
    march_report = monthly_report(cw, month="2026-03", area=COUNTY, now=bj(4, 1, 0))
    with time_machine.travel(datetime(2026, 4, 5, 0, 5, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
    assert closed_through(cw) == "2026-03"
    assert monthly_report(cw, month="2026-03", area=COUNTY, now=bj(4, 6)) == march_report


def test_a_closing_day_of_1_closes_on_the_1st(cw, march):
    with_closing_day(cw, 1)
    scheduler = configure(BackgroundScheduler(timezone=SHANGHAI), cw, 60)
    assert scheduler.get_job(CLOSING_JOB).trigger.get_next_fire_time(None, bj(3, 15)) == \
        datetime(2026, 4, 1, 0, 5, tzinfo=SHANGHAI)
    with time_machine.travel(datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
    assert closed_through(cw) == "2026-02"
    with time_machine.travel(datetime(2026, 4, 1, 0, 5, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
    assert closed_through(cw) == "2026-03"


def test_a_petition_backdated_on_the_3rd_lands_in_the_month_before(cw, people, march):
    """The letter reached the village mailbox on 30 March and was logged on 3 April: March is
    not closed yet (the 5th), so it counts in March's report and in March's closed figures."""
    before = monthly_report(cw, month="2026-03", area=COUNTY, now=bj(4, 3))
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()  # a scheduler (re)started on the 3rd closes February, not March
        assert closed_through(cw) == "2026-02"
        late = receive(cw, people["operator"], petition(
            channel="mailbox", category="marriage_family",
            received_at="2026-03-30T16:00:00+08:00"))
    assert late.number.startswith(f"{COUNTY}-2026-") and late.received_at == bj(3, 30, 16)
    after = monthly_report(cw, month="2026-03", area=COUNTY, now=bj(4, 3, 10))
    assert after["received"] == before["received"] + 1
    assert after["by_category"]["marriage_family"]["received"] == \
        before["by_category"]["marriage_family"]["received"] + 1
    assert monthly_report(cw, month="2026-04", area=COUNTY, now=bj(4, 3, 10))["received"] == 0
    with time_machine.travel(datetime(2026, 4, 5, 0, 5, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
    assert closed_through(cw) == "2026-03"
    assert monthly_report(cw, month="2026-03", area=COUNTY, now=bj(4, 6)) == after
    with time_machine.travel(datetime(2026, 4, 6, 9, 0, tzinfo=SHANGHAI), tick=False), \
            pytest.raises(Invalid, match="2026-03, a closed month"):
        receive(cw, people["operator"], petition(received_at="2026-03-31T09:00:00+08:00"))


def test_a_ledger_row_of_last_month_is_taken_until_the_closing_day(cw, march, tmp_path):
    with time_machine.travel(datetime(2026, 4, 4, 23, 0, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
        path = write_csv(tmp_path / "late.csv",
                         [ledger_row("2026-03-28 09:00", "2026-03-30 09:00")])
        assert import_ledger(cw, path) == 1
    with time_machine.travel(datetime(2026, 4, 5, 0, 5, tzinfo=SHANGHAI), tick=False):
        ClosingJob(cw)()
        # The same file again: its row is already in, a duplicate, not the closed month's.
        assert import_ledger(cw, path) == 0
        other = write_csv(tmp_path / "later.csv",
                          [ledger_row("2026-03-29 09:00", "2026-03-30 09:00")])
        with pytest.raises(Invalid, match="line 2, column received_at: 2026-03-29 09:00 "
                                          "falls in 2026-03, a closed"):
            import_ledger(cw, other)


@pytest.mark.parametrize("closing_day", [1, 5, 28])
def test_the_closed_figures_are_the_same_whichever_day_the_month_closes(
        cw, people, march, closing_day):
    """Work done in April before the closing day (a case reopened, one resumed, a new one)
    must not move March's figures: they are March's events and its cases at its end."""
    with_closing_day(cw, closing_day)
    expected = {area: as_bytes(cw, area=area, now=bj(4, 1, 0)) for area in AREAS}
    act(cw, people["county_officer"], march["c1"], "reopen", bj(4, 1, 9), reason="又被打了")
    act(cw, people["village_a2"], march["c6"], "resume", bj(4, 1, 10))
    receive(cw, people["operator"], petition(), now=bj(4, 1, 11))
    with time_machine.travel(datetime(2026, 4, closing_day, 0, 5, tzinfo=SHANGHAI),
                             tick=False):
        assert ClosingJob(cw)() is None and closed_through(cw) == "2026-03"
    later = bj(4, 28, 12)
    assert {area: as_bytes(cw, area=area, now=later) for area in AREAS} == expected


def test_the_closing_job_keeps_the_schedulers_moved_clock(cw, march):
    """Under CASEWORK_CLOCK (a drill, or a history generated as of another day) the job closes
    the months before the clock's now, not the months before today's."""
    cw.settings = dataclasses.replace(cw.settings, clock=Clock(
        start=bj(4, 3, 12), anchor=datetime.now(UTC).timestamp()))
    ClosingJob(cw)()  # today is long after April 2026; the clock says 3 April
    assert closed_through(cw) == "2026-02"  # March closes on the 5th
    cw.settings = dataclasses.replace(cw.settings, clock=Clock(
        start=bj(4, 5, 12), anchor=datetime.now(UTC).timestamp()))
    ClosingJob(cw)()
    assert closed_through(cw) == "2026-03"


def test_a_scheduler_started_late_catches_up_every_finished_month(cw, march):
    with time_machine.travel(datetime(2026, 6, 10, 9, 0, tzinfo=UTC), tick=False):
        ClosingJob(cw)()
        ClosingJob(cw)()  # a second start closes nothing more
    with reading(cw.engine) as session:
        months = session.execute(select(ClosedMonth.month).order_by(ClosedMonth.month)
                                 ).scalars().all()
    assert months == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]


def test_a_scheduler_on_an_empty_database_closes_nothing(cw, county, tmp_path):
    with time_machine.travel(datetime(2026, 6, 10, 9, 0, tzinfo=UTC), tick=False):
        ClosingJob(cw)()
    assert counts(cw)["ClosedMonth"] == 0
    # So a county setting up can still bring in its paper ledger of past months.
    path = write_csv(tmp_path / "past.csv", [ledger_row("2026-02-03 09:00", "2026-02-04 09:00")])
    assert import_ledger(cw, path, now=bj(6, 10)) == 1


def test_the_command_line_closes_a_month_by_hand(cw, march, database_url):
    from click.testing import CliRunner

    from casework.entrypoints.cli import main

    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW)}

    def run(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    done = run("report", "close", "--month", "2026-03")
    assert done.exit_code == 0 and done.stdout == "closed 2026-01, 2026-02, 2026-03\n"
    again = run("report", "close", "--month", "2026-02")
    assert again.exit_code == 0 and again.stdout == "2026-02 was already closed\n"
    current = datetime.now(SHANGHAI).strftime("%Y-%m")
    refused = run("report", "close", "--month", current)
    assert refused.exit_code == 1
    assert refused.stderr == ("casework: month: is not over yet: only a finished month can be "
                              "closed.\n")
    events_before = count_events(cw)
    back_in_march = run("tick", "--now", "2026-03-20T10:00")
    assert back_in_march.exit_code == 1
    assert back_in_march.stderr.startswith("casework: --now falls in 2026-03, a closed month")
    assert count_events(cw) == events_before


def count_events(cw) -> int:
    with reading(cw.engine) as session:
        return session.scalar(select(func.count()).select_from(Event))
