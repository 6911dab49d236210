"""The report over a period (DESIGN.md, "Reports over a period"): every count of a period is the
sum of its months' counts (open and overdue at the end: its last month's), every rate is
computed again from the summed counts, a closed period is read from the stored figures and
equals the computed one, and the field report's two-year ledger is one period report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import test_reports
from conftest import (
    COUNTY,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    VILLAGE_B2,
    petition,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_ledger import SHARES, county_rows, write_csv
from test_reports import bj

import casework.reporting.reports
from casework.errors import CaseworkError, Invalid
from casework.imports.ledger import import_ledger
from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.people.access import allowed_actions
from casework.reporting.closing import close_month
from casework.reporting.counting import sub_area_width, tally_month
from casework.reporting.months import month_window
from casework.reporting.reports import monthly_report, period_report
from casework.storage.db import reading
from casework.storage.models import Case

march, april = test_reports.march, test_reports.april
AREAS = [None, COUNTY, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_B2]
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
# The generated histories' months, and the moment the reports are asked for: July, with
# nothing closed, so every month is counted from events.
HISTORY_START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
ASKED = datetime(2026, 7, 10, 4, 0, tzinfo=UTC)
IN_MAY = bj(5, 3, 12)
LEDGER_NOW = datetime(2026, 11, 21, tzinfo=UTC)


def months_between(first: str, last: str) -> list[str]:
    return [m for m in MONTHS + ["2026-07"] if first <= m <= last]


def added_up(reports: list[dict]) -> dict:
    """What the period's counts must be, from its monthly reports' JSON alone: every whole
    number summed, a figure ``..._end`` (a state at the end) taken from the last month.  Any
    count the monthly report gains (protection figures, say) is checked here as well."""
    def walk(values: list, key: str):
        sample = values[0]
        if isinstance(sample, dict):
            return {k: walk([v[k] for v in values], k) for k in sample}
        if key.endswith("_rate") or isinstance(sample, str):
            return None  # rates are checked against the counts; names are names
        return values[-1] if key.endswith("_end") else sum(values)
    keys = [k for k in reports[0] if k not in ("month", "area", "trend")]
    return {k: walk([r[k] for r in reports], k) for k in keys}


def without_rates(report: dict) -> dict:
    def walk(value, key=""):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        return None if key.endswith("_rate") or isinstance(value, str) else value
    return {k: walk(v, k) for k, v in report.items()
            if k not in ("from", "to", "months", "area", "by_month")}


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def assert_rates_follow_the_counts(report: dict) -> None:
    assert report["handling_rate"] == share(report["concluded"], report["received"])
    for figures in [report, *report["by_area"].values()]:
        assert figures["handling_rate"] == share(figures["concluded"], figures["received"])
        for level in figures["levels"].values():
            done = level["resolved"] + level["referred"]
            assert level["resolution_rate"] == share(done, done + level["escalated"])


def assert_period_is_its_months(cw, first: str, last: str, area, now) -> dict:
    monthlies = [monthly_report(cw, month=m, area=area, now=now)
                 for m in months_between(first, last)]
    period = period_report(cw, start=first, end=last, area=area, now=now)
    assert without_rates(period) == added_up(monthlies)
    assert period["by_month"] == [m["trend"][-1] for m in monthlies]
    assert period["months"] == len(monthlies) and period["area"] == monthlies[0]["area"]
    assert_rates_follow_the_counts(period)
    return period


# -- generated histories ----------------------------------------------------------------------
steps = st.lists(st.tuples(st.integers(0, 240), st.integers(0, 1000)), max_size=6)
histories = st.lists(st.tuples(
    st.sampled_from([VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2]),
    st.sampled_from([None, "township_federation", "county_center"]),
    st.sampled_from(["domestic_violence", "property", "child", "consultation"]),
    st.integers(0, 170 * 24),  # hours after 1 January
    steps), min_size=1, max_size=5)


def play(cw, people: dict, history) -> None:
    """Each case received at its hour, then moved along by whoever the engine offers an action
    to, a few days apart: escalations, returns, conclusions, closes, reopenings, waits."""
    actors = list(people.values())
    for village, start, category, hours, moves in history:
        at = HISTORY_START + timedelta(hours=hours)
        body = petition(village_code=village, category=category, channel="visit")
        if start:
            body["start_level"] = start
        number = receive(cw, people["operator"], body, now=at).number
        for gap, pick in moves:
            at += timedelta(hours=gap)
            if at >= ASKED:
                break
            with reading(cw.engine) as session:
                case = session.execute(select(Case).where(Case.number == number)).scalar_one()
            offered = [(actor, action) for actor in actors
                       for action in allowed_actions(cw.workflow, actor, case)
                       if action != "note"]
            if not offered:
                break
            actor, action = offered[pick % len(offered)]
            try:
                perform(cw, actor, number, {
                    "action": action, "version": case.version, "note": "n", "reason": "r",
                    "outcome": "mediated", "agency": "court",
                    "satisfaction": ["satisfied", "unsatisfied"][pick % 2],
                    "target_level": "village_congress", "days": 2}, now=at)
            except CaseworkError:
                break  # e.g. an assignment to a level this case cannot go to


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories, span=st.tuples(st.integers(0, 5), st.integers(0, 5)),
       area=st.sampled_from(AREAS))
def test_a_period_is_the_sum_of_its_months_over_generated_histories(cw, people, history, span,
                                                                     area):
    # Examples add to one database: a longer history is a history all the same.
    play(cw, people, history)
    first, last = sorted(span)
    assert_period_is_its_months(cw, MONTHS[first], MONTHS[last], area, ASKED)


# -- the county of the report tests -----------------------------------------------------------
@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "all")
def test_january_to_april_is_the_sum_of_the_four_monthly_reports(cw, april, area):
    period = assert_period_is_its_months(cw, "2026-01", "2026-04", area, IN_MAY)
    if area == COUNTY:
        assert (period["received"], period["concluded"]) == (11, 5)
        congress = period["levels"]["village_congress"]
        assert congress["open_end"] == 5  # c1 (reopened), c4, c5, c6, c11 at April's end


def test_rates_come_from_the_summed_counts_not_from_the_monthly_rates(cw, april):
    period = period_report(cw, start="2026-01", end="2026-04", area=COUNTY, now=IN_MAY)
    monthlies = [monthly_report(cw, month=m, area=COUNTY, now=IN_MAY)
                 for m in ("2026-01", "2026-02", "2026-03", "2026-04")]
    # January 1 of 1, February 0 of 1, March 4 of 8, April 0 of 1: 5 of 11, not the mean.
    assert period["handling_rate"] == 5 / 11
    assert period["handling_rate"] != sum(m["handling_rate"] for m in monthlies) / 4
    # The conclusions of the four months and whether each met its deadline, counted here from
    # each month's tally directly: jan in time; feb late (2 Mar); c1 c2 c7 in time, c3 late.
    met = of = closes = satisfied = 0
    for month in ("2026-01", "2026-02", "2026-03", "2026-04"):
        with reading(cw.engine) as session:
            tally = tally_month(session, cw.workflow, month_window(
                int(month[:4]) * 12 + int(month[5:]) - 1, IN_MAY), COUNTY,
                sub_area_width(COUNTY))
        for counts in tally.values():
            met, of = met + counts["on_time.met"], of + counts["on_time.of"]
            closes, satisfied = closes + counts["closes"], satisfied + counts["satisfied"]
    assert (met, of, satisfied, closes) == (4, 6, 2, 3)
    assert period["on_time_rate"] == met / of
    assert period["satisfaction_rate"] == satisfied / closes


def test_a_period_of_one_month_is_that_months_report(cw, march):
    month = monthly_report(cw, month="2026-03", area=COUNTY, now=IN_MAY)
    period = period_report(cw, start="2026-03", end="2026-03", area=COUNTY, now=IN_MAY)
    assert {k: v for k, v in period.items() if k not in ("from", "to", "months", "by_month")} \
        == {k: v for k, v in month.items() if k not in ("month", "trend")}
    assert period["by_month"] == month["trend"][-1:]


def test_the_period_in_progress_ends_now(cw, april):
    period = period_report(cw, start="2026-03", end="2026-04", area=COUNTY, now=bj(4, 8, 9))
    # before c11 came in and c6 resumed (see test_reports: the month in progress)
    assert period["received"] == 8
    assert period["levels"]["village_congress"]["open_end"] == 4
    assert [p["month"] for p in period["by_month"]] == ["2026-03", "2026-04"]


# -- closed months ----------------------------------------------------------------------------
@pytest.mark.parametrize("area", AREAS, ids=lambda a: a or "all")
def test_a_closed_period_is_read_from_the_stored_figures_and_equals_the_computed_one(
        cw, april, monkeypatch, area):
    computed = period_report(cw, start="2025-11", end="2026-04", area=area, now=IN_MAY)
    close_month(cw, "2026-04", now=IN_MAY)

    def no_computing(*_args, **_kwargs):
        raise AssertionError("a closed month was computed from events")

    monkeypatch.setattr(casework.reporting.reports, "tally_month", no_computing)
    assert period_report(cw, start="2025-11", end="2026-04", area=area, now=IN_MAY) == computed


def test_a_period_with_closed_months_and_the_month_in_progress_equals_the_computed_one(
        cw, april, monkeypatch):
    in_april = bj(4, 20, 12)
    computed = period_report(cw, start="2026-01", end="2026-04", area=TOWN_A, now=in_april)
    close_month(cw, "2026-03", now=in_april)
    counted = []
    original = casework.reporting.reports.tally_month

    def counting(session, workflow, window, *args, **kwargs):
        counted.append(window.label)
        return original(session, workflow, window, *args, **kwargs)

    monkeypatch.setattr(casework.reporting.reports, "tally_month", counting)
    assert period_report(cw, start="2026-01", end="2026-04", area=TOWN_A,
                         now=in_april) == computed
    assert counted == ["2026-04"]


# -- the field report's two years -------------------------------------------------------------
def test_the_field_reports_two_year_ledger_is_one_period_report(cw, county, tmp_path):
    rows = county_rows(datetime(2024, 11, 1, 1, 0, tzinfo=UTC), spread_days=700)
    import_ledger(cw, write_csv(tmp_path / "ledger.csv", rows), now=LEDGER_NOW)
    report = period_report(cw, start="2024-11", end="2026-10", area=COUNTY,
                           now=LEDGER_NOW)
    assert report["months"] == 24
    assert report["received"] == 454
    levels = report["levels"]
    for level, settled in SHARES:
        assert levels[level]["resolved"] + levels[level]["referred"] == settled
        assert levels[level]["open_end"] == levels[level]["overdue_end"] == 0
    assert [levels[level]["entered"] for level, _n in SHARES] == [454, 102, 26]
    assert [levels[level]["escalated"] for level, _n in SHARES] == [102, 26, 0]
    assert levels["village_congress"]["resolution_rate"] == 352 / 454
    assert levels["township_federation"]["resolution_rate"] == 76 / 102
    assert levels["county_center"]["resolution_rate"] == 1.0
    # Concluded: the cases concluded within their month of receipt (the ledger's times are
    # Beijing times), month by month as the monthly reports count them.
    in_their_month = sum(row["received_at"][:7] == row["concluded_at"][:7] for row in rows)
    assert report["concluded"] == in_their_month
    assert report["handling_rate"] == in_their_month / 454
    assert report["handling_rate"] > 0.9  # "handling rate above 90%"
    assert sum(p["received"] for p in report["by_month"]) == 454
    assert sum(report["by_area"][town]["received"] for town in (TOWN_A, TOWN_B)) == 454
    assert report["by_category"]["marriage_family"]["received"] == 454


# -- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("start", "end", "field"), [
    ("2026-04", "2026-03", "from"),  # from after to
    ("2016-01", "2026-04", "to"),  # 124 months: over 10 years
    ("2026-04", "2026-06", "to"),  # the last month in the future
    ("2026-06", "2026-06", "from"),  # both in the future: the first named
    ("2026-13", "2026-04", "from"), ("2026-01", "26-04", "to"), ("", "2026-04", "from"),
    (None, "2026-04", "from"), ("2026-01", 202604, "to"), ("1999-12", "2026-01", "from"),
])
def test_a_bad_period_is_refused_naming_one_field(cw, county, start, end, field):
    with pytest.raises(Invalid) as refused:
        period_report(cw, start=start, end=end, area=COUNTY, now=IN_MAY)
    assert set(refused.value.fields) == {field}


def test_ten_years_exactly_is_a_period(cw, county):
    report = period_report(cw, start="2016-06", end="2026-05", area=COUNTY, now=IN_MAY)
    assert report["months"] == 120 and report["received"] == 0
    assert report["handling_rate"] is None


def test_an_unknown_area_is_refused_naming_the_area(cw, county):
    with pytest.raises(Invalid) as refused:
        period_report(cw, start="2026-01", end="2026-03", area="999999", now=IN_MAY)
    assert refused.value.fields == {"area": "no such area"}
