"""The clock itself moved (time-machine): scans and reports across National Day and a month's end,
reading the time as the scheduler does, with no ``now`` handed in."""

from __future__ import annotations

from datetime import datetime

import time_machine
from click.testing import CliRunner
from conftest import WORKFLOW, petition
from sqlalchemy import select

from casework.entrypoints.cli import main
from casework.lifecycle.intake import receive
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading
from casework.storage.models import Case


def beijing(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def tick(database_url: str) -> str:
    result = CliRunner().invoke(main, ["tick"], env={
        "CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW)})
    assert result.exit_code == 0, result.output
    return result.output


def flags(cw) -> tuple[bool, bool]:
    with reading(cw.engine) as session:
        case = session.execute(select(Case)).scalar_one()
    return case.warning, case.overdue


def test_the_holiday_week_passes_without_a_flag_and_the_make_up_saturday_counts(
        cw, people, database_url):
    with time_machine.travel(beijing(2026, 9, 29, 10, 0), tick=False):
        receive(cw, people["operator"], petition())
    for moment in (beijing(2026, 10, 1, 9), beijing(2026, 10, 7, 23, 59),
                   beijing(2026, 10, 10, 12), beijing(2026, 10, 11, 23, 59)):
        with time_machine.travel(moment, tick=False):
            assert "0 warned, 0 overdue" in tick(database_url)
    assert flags(cw) == (False, False)
    with time_machine.travel(beijing(2026, 10, 12, 0, 0, 1), tick=False):
        assert "1 warned, 0 overdue" in tick(database_url)
    with time_machine.travel(beijing(2026, 10, 12, 23, 59, 59), tick=False):
        assert "0 warned, 0 overdue" in tick(database_url)
    with time_machine.travel(beijing(2026, 10, 13, 0, 0, 1), tick=False):
        assert "0 warned, 1 overdue" in tick(database_url)
    assert flags(cw) == (True, True)


def test_a_month_in_progress_becomes_a_closed_month_at_beijing_midnight(cw, people):
    with time_machine.travel(beijing(2026, 10, 31, 23, 30), tick=False):
        receive(cw, people["operator"], petition())
        during = monthly_report(cw, month="2026-10", area="450330")
    # 16:30 UTC on 31 October is already November in Beijing.
    with time_machine.travel(beijing(2026, 11, 1, 0, 30), tick=False):
        receive(cw, people["operator"], petition())
        closed = monthly_report(cw, month="2026-10", area="450330")
        november = monthly_report(cw, month="2026-11", area="450330")
    assert during["received"] == closed["received"] == 1
    assert closed["levels"]["village_congress"]["open_end"] == 1
    assert november["received"] == 1
    with time_machine.travel(beijing(2026, 12, 20), tick=False):
        assert monthly_report(cw, month="2026-10", area="450330") == closed
