"""The monthly report (DESIGN.md, "Reports"): every figure of a small county's March 2026, made
through intake and actions at chosen times, and the report as a table, CSV and Excel file.

The March of the county (Beijing times; deadlines in working days, counted from the day after
the case entered its level; 7-8, 14-15, 21-22 and 28-29 March are weekends):

- jan  大李村  received 15 Jan, resolved at the congress 16 Jan.
- feb  大李村  received 5 Feb, resolved at the congress 2 Mar, after its deadline (13 Feb).
- c1   大李村  domestic_violence: received 2 Mar, resolved at the congress 3 Mar, closed
               satisfied 10 Mar (and reopened 2 Apr).
- c2   大李村  marriage_family: received 3 Mar, escalated 4 Mar to the township and 6 Mar to the
               county, referred there 9 Mar, closed basically_satisfied 20 Mar.
- c3   沙子村  property: received 5 Mar, resolved at the congress 16 Mar after its deadline
               (13 Mar), closed unsatisfied 20 Mar.
- c4   新安村  employment: received 10 Mar at the township, returned the same day to the
               congress, where it stays in progress past its deadline (18 Mar).
- c5   大李村  child: received 20 Mar, waiting on the petitioner from 23 Mar, before its
               deadline (28 Mar): its clock stopped in time, so it is not overdue.
- c6   沙子村  other: received 2 Mar, waiting from 25 Mar, after its deadline (10 Mar): overdue.
- c7   源头村  consultation: answered on the spot on the hotline 12 Mar (county center).
- c9   源头村  personal_rights: received 24 Mar at the county, assigned 25 Mar to the township,
               accepted there 26 Mar; due 10 Apr.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
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
from openpyxl import load_workbook

from casework.errors import Invalid
from casework.imports.areas import add_area
from casework.lifecycle.actions import perform
from casework.lifecycle.intake import receive
from casework.reporting.report_files import csv_header, guard_formula, to_csv, to_table, to_xlsx
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading, writing
from casework.vocabulary import CATEGORIES


def bj(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


AFTER_MARCH = bj(4, 1, 12)
LATER = bj(5, 1, 12)


def act(cw, actor, case, action, at, **fields):
    return perform(cw, actor, case.number, {"action": action, "version": case.version, **fields},
                   now=at)


def intake(cw, actor, at, village, category, **extra):
    return receive(cw, actor, petition(village_code=village, category=category, **extra), now=at)


def levels(congress, township, county) -> dict:
    names = ("entered", "resolved", "referred", "escalated", "returned", "open_end",
             "overdue_end", "resolution_rate")
    return {level: dict(zip(names, figures, strict=True)) for level, figures in (
        ("village_congress", congress), ("township_federation", township),
        ("county_center", county))}


@pytest.fixture
def march(cw, people):
    """The county's cases of January to March 2026 (see the module's docstring)."""
    p = people
    op, v1, v2 = p["operator"], p["village_a1"], p["village_a2"]
    cases = {}

    jan = intake(cw, op, bj(1, 15), VILLAGE_A1, "other")
    jan = act(cw, v1, jan, "accept", bj(1, 16))
    cases["jan"] = act(cw, v1, jan, "resolve", bj(1, 16, 11), outcome="mediated", note="调解")

    feb = intake(cw, op, bj(2, 5), VILLAGE_A1, "property")
    feb = act(cw, v1, feb, "accept", bj(2, 6))
    cases["feb"] = act(cw, v1, feb, "resolve", bj(3, 2, 9), outcome="advised", note="迟了")

    c1 = intake(cw, op, bj(3, 2), VILLAGE_A1, "domestic_violence")
    c1 = act(cw, v1, c1, "accept", bj(3, 2, 11))
    c1 = act(cw, v1, c1, "resolve", bj(3, 3), outcome="mediated", note="调解成功")
    cases["c1"] = act(cw, op, c1, "close", bj(3, 10), satisfaction="satisfied")

    c2 = intake(cw, op, bj(3, 3), VILLAGE_A1, "marriage_family")
    c2 = act(cw, v1, c2, "escalate", bj(3, 4), note="需要乡镇出面")
    c2 = act(cw, p["township_a"], c2, "accept", bj(3, 5))
    c2 = act(cw, p["township_a"], c2, "escalate", bj(3, 6), note="涉及诉讼")
    c2 = act(cw, p["county_officer"], c2, "accept", bj(3, 7))
    c2 = act(cw, p["county_officer"], c2, "refer", bj(3, 9), agency="legal_aid", note="12348")
    cases["c2"] = act(cw, op, c2, "close", bj(3, 20), satisfaction="basically_satisfied")

    c3 = intake(cw, op, bj(3, 5), VILLAGE_A2, "property")
    c3 = act(cw, v2, c3, "accept", bj(3, 5, 11))
    c3 = act(cw, v2, c3, "resolve", bj(3, 16), outcome="assisted", note="迟了三天")
    cases["c3"] = act(cw, op, c3, "close", bj(3, 20, 11), satisfaction="unsatisfied")

    c4 = intake(cw, op, bj(3, 10), VILLAGE_B1, "employment", start_level="township_federation")
    cases["c4"] = act(cw, p["township_b"], c4, "return", bj(3, 10, 14), reason="村里能办")

    c5 = intake(cw, op, bj(3, 20), VILLAGE_A1, "child")
    c5 = act(cw, v1, c5, "accept", bj(3, 20, 11))
    cases["c5"] = act(cw, v1, c5, "wait", bj(3, 23), reason="等当事人回村")

    c6 = intake(cw, op, bj(3, 2), VILLAGE_A2, "other")
    c6 = act(cw, v2, c6, "accept", bj(3, 2, 11))
    cases["c6"] = act(cw, v2, c6, "wait", bj(3, 25), reason="等当事人提供材料")

    cases["c7"] = intake(cw, op, bj(3, 12), VILLAGE_B2, "consultation",
                         resolve_now={"outcome": "advised", "note": "当场解答"})

    c9 = intake(cw, op, bj(3, 24), VILLAGE_B2, "personal_rights", start_level="county_center")
    c9 = act(cw, op, c9, "assign", bj(3, 25), target_level="township_federation")
    cases["c9"] = act(cw, p["township_b"], c9, "accept", bj(3, 26))
    return cases


@pytest.fixture
def april(cw, people, march):
    """April: c1 reopened, a new case, c6 resumed."""
    p = people
    reopened = act(cw, p["county_officer"], march["c1"], "reopen", bj(4, 2), reason="又被打了")
    new = intake(cw, p["operator"], bj(4, 8), VILLAGE_A1, "child")
    resumed = act(cw, p["village_a2"], march["c6"], "resume", bj(4, 9))
    return {**march, "c1": reopened, "c11": new, "c6": resumed}


def report(cw, month="2026-03", area=COUNTY, now=AFTER_MARCH):
    return monthly_report(cw, month=month, area=area, now=now)


MARCH_LEVELS = levels(
    congress=(6, 3, 0, 1, 0, 3, 2, 3 / 4),
    township=(3, 0, 0, 1, 1, 1, 0, 0.0),
    county=(3, 1, 1, 0, 0, 0, 0, 1.0),
)


# -- levels -----------------------------------------------------------------------------------
def test_cases_enter_a_level_by_intake_escalation_return_and_assignment(cw, march):
    figures = report(cw)["levels"]
    # congress: intake of c1 c2 c3 c5 c6, return of c4; township: escalation of c2, intake of
    # c4, assignment of c9; county: escalation of c2, intake of c7 and c9.
    assert {level: f["entered"] for level, f in figures.items()} == {
        "village_congress": 6, "township_federation": 3, "county_center": 3}


def test_resolutions_referrals_escalations_and_returns_count_where_they_happen(cw, march):
    figures = report(cw)["levels"]
    assert figures == MARCH_LEVELS
    assert figures["village_congress"]["resolution_rate"] == 0.75  # c1 c3 feb / + c2 out
    assert figures["township_federation"]["resolution_rate"] == 0.0  # only escalated c2
    assert figures["county_center"]["resolution_rate"] == 1.0  # c2 referred, c7 resolved


def test_a_resolution_rate_is_null_when_a_level_settled_and_escalated_nothing(cw, march):
    town_b = report(cw, area=TOWN_B)["levels"]
    assert town_b["village_congress"]["resolution_rate"] is None  # c4 only returned to it
    assert town_b["township_federation"]["returned"] == 1
    assert town_b["township_federation"]["resolution_rate"] is None  # a return is neither


def test_open_and_overdue_cases_are_counted_as_they_stood_at_the_end_of_the_month(cw, march):
    figures = report(cw)["levels"]
    # congress: c4 in progress past its deadline, c5 waiting since before its deadline, c6
    # waiting since after it; township: c9, due in April.
    assert figures["village_congress"]["open_end"] == 3
    assert figures["village_congress"]["overdue_end"] == 2
    assert (figures["township_federation"]["open_end"],
            figures["township_federation"]["overdue_end"]) == (1, 0)
    by_village = report(cw, area=TOWN_A)["by_area"]
    assert by_village[VILLAGE_A1]["levels"]["village_congress"]["overdue_end"] == 0  # c5
    assert by_village[VILLAGE_A2]["levels"]["village_congress"]["overdue_end"] == 1  # c6


# -- headline figures -------------------------------------------------------------------------
def test_the_handling_rate_is_the_share_of_the_months_cases_concluded_by_its_end(cw, march):
    figures = report(cw)
    # received: c1 c2 c3 c4 c5 c6 c7 c9 (feb was received in February); concluded: c1 c2 c3 c7
    assert (figures["received"], figures["concluded"], figures["handling_rate"]) == (8, 4, 0.5)


def test_the_on_time_rate_follows_the_deadline_of_each_conclusion_in_the_month(cw, march):
    # c1, c2 and c7 in time; c3 and feb late
    assert report(cw)["on_time_rate"] == 3 / 5
    # township A: c1 and c2 in time, c3 and feb late
    assert report(cw, area=TOWN_A)["on_time_rate"] == 2 / 4


def test_the_on_time_rate_takes_a_cases_last_conclusion_in_the_month(cw, people):
    case = intake(cw, people["operator"], bj(3, 2), VILLAGE_A1, "other")
    case = act(cw, people["village_a1"], case, "accept", bj(3, 2, 11))
    case = act(cw, people["village_a1"], case, "resolve", bj(3, 3), outcome="advised", note="n")
    case = act(cw, people["county_officer"], case, "reopen", bj(3, 4), reason="r")
    act(cw, people["village_a1"], case, "resolve", bj(3, 30), outcome="advised", note="late")
    assert report(cw)["on_time_rate"] == 0.0


def test_the_satisfaction_rate_counts_satisfied_and_basically_satisfied_closes(cw, march):
    assert report(cw)["satisfaction_rate"] == 2 / 3  # c1 satisfied, c2 basically, c3 not


def test_a_month_without_cases_has_zero_counts_and_null_rates(cw, march):
    figures = report(cw, month="2025-06")
    assert (figures["received"], figures["concluded"]) == (0, 0)
    assert figures["handling_rate"] is figures["on_time_rate"] is None
    assert figures["satisfaction_rate"] is None
    assert figures["levels"] == levels(*[(0, 0, 0, 0, 0, 0, 0, None)] * 3)


# -- areas and categories ---------------------------------------------------------------------
def test_a_county_report_breaks_its_figures_down_by_township(cw, march, county):
    figures = report(cw)
    assert figures["area"] == {"code": COUNTY, "name": county[COUNTY]}
    assert figures["by_area"] == {
        TOWN_A: {"name": county[TOWN_A], "received": 5, "concluded": 3, "handling_rate": 0.6,
                 "levels": levels(congress=(5, 3, 0, 1, 0, 2, 1, 3 / 4),
                                  township=(1, 0, 0, 1, 0, 0, 0, 0.0),
                                  county=(1, 0, 1, 0, 0, 0, 0, 1.0))},
        TOWN_B: {"name": county[TOWN_B], "received": 3, "concluded": 1, "handling_rate": 1 / 3,
                 "levels": levels(congress=(1, 0, 0, 0, 0, 1, 1, None),
                                  township=(2, 0, 0, 0, 1, 1, 0, None),
                                  county=(2, 1, 0, 0, 0, 0, 0, 1.0))},
    }


def test_a_township_report_breaks_its_figures_down_by_village(cw, march, county):
    figures = report(cw, area=TOWN_A)
    assert figures["area"] == {"code": TOWN_A, "name": county[TOWN_A]}
    assert (figures["received"], figures["concluded"], figures["handling_rate"]) == (5, 3, 0.6)
    assert figures["satisfaction_rate"] == 2 / 3
    assert figures["by_area"] == {
        VILLAGE_A1: {"name": county[VILLAGE_A1], "received": 3, "concluded": 2,
                     "handling_rate": 2 / 3,
                     "levels": levels(congress=(3, 2, 0, 1, 0, 1, 0, 2 / 3),
                                      township=(1, 0, 0, 1, 0, 0, 0, 0.0),
                                      county=(1, 0, 1, 0, 0, 0, 0, 1.0))},
        VILLAGE_A2: {"name": county[VILLAGE_A2], "received": 2, "concluded": 1,
                     "handling_rate": 0.5,
                     "levels": levels(congress=(2, 1, 0, 0, 0, 1, 1, 1.0),
                                      township=(0, 0, 0, 0, 0, 0, 0, None),
                                      county=(0, 0, 0, 0, 0, 0, 0, None))},
    }


def test_a_village_report_has_its_own_figures_and_no_sub_areas(cw, march):
    figures = report(cw, area=VILLAGE_A2)
    assert (figures["received"], figures["concluded"], figures["by_area"]) == (2, 1, {})
    assert figures["levels"]["village_congress"]["open_end"] == 1


def test_the_whole_database_is_broken_down_by_county(cw, march, county):
    figures = report(cw, area=None)
    assert figures["area"] is None
    assert list(figures["by_area"]) == [COUNTY]
    whole = {k: figures[k] for k in ("received", "concluded", "handling_rate", "levels")}
    assert figures["by_area"][COUNTY] == {"name": county[COUNTY], **whole}
    assert figures["levels"] == MARCH_LEVELS


def test_every_category_is_listed_with_its_received_and_concluded_cases(cw, march):
    expected = {category: {"received": 0, "concluded": 0} for category in CATEGORIES}
    for category, concluded in (("domestic_violence", 1), ("marriage_family", 1),
                                ("property", 1), ("employment", 0), ("child", 0), ("other", 0),
                                ("consultation", 1), ("personal_rights", 0)):
        expected[category] = {"received": 1, "concluded": concluded}
    assert report(cw)["by_category"] == expected
    assert list(report(cw)["by_category"]) == list(CATEGORIES)


# -- time -------------------------------------------------------------------------------------
def test_the_trend_holds_twelve_months_each_as_it_stood_at_its_own_end(cw, march):
    trend = report(cw)["trend"]
    assert [point["month"] for point in trend] == [
        "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10",
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    empty = {"received": 0, "concluded": 0, "handling_rate": None}
    assert all({k: v for k, v in point.items() if k != "month"} == empty
               for point in trend[:9])
    assert trend[9:] == [
        {"month": "2026-01", "received": 1, "concluded": 1, "handling_rate": 1.0},
        # feb was resolved only on 2 March
        {"month": "2026-02", "received": 1, "concluded": 0, "handling_rate": 0.0},
        {"month": "2026-03", "received": 8, "concluded": 4, "handling_rate": 0.5},
    ]


def test_a_closed_months_report_does_not_change_after_later_events(cw, people, march):
    before = report(cw)
    act(cw, people["county_officer"], march["c1"], "reopen", bj(4, 2), reason="又被打了")
    intake(cw, people["operator"], bj(4, 8), VILLAGE_A1, "child")
    act(cw, people["village_a2"], march["c6"], "resume", bj(4, 9))
    assert report(cw, now=LATER) == before
    assert report(cw, month="2026-04", now=LATER)["received"] == 1


def test_the_month_in_progress_is_reported_as_it_stands_now(cw, april):
    figures = report(cw, month="2026-04", now=bj(4, 10, 12))
    assert (figures["received"], figures["concluded"], figures["handling_rate"]) == (1, 0, 0.0)
    assert figures["on_time_rate"] is figures["satisfaction_rate"] is None
    # congress: entered by c11 (a reopening stays at its level); open: c1 (due 11 Apr), c4
    # (overdue), c5 (waiting in time), c6 (resumed, overdue), c11 (due 16 Apr).  township: c9,
    # due at the start of 10 Apr.
    assert figures["levels"] == levels(
        congress=(1, 0, 0, 0, 0, 5, 2, None),
        township=(0, 0, 0, 0, 0, 1, 1, None),
        county=(0, 0, 0, 0, 0, 0, 0, None))
    assert figures["trend"][-1] == {"month": "2026-04", "received": 1, "concluded": 0,
                                    "handling_rate": 0.0}


def test_the_month_in_progress_ignores_what_happens_after_now(cw, april):
    early = report(cw, month="2026-04", now=bj(4, 8, 9))  # before c11 and c6's resumption
    assert early["received"] == 0
    assert early["levels"]["village_congress"]["open_end"] == 4
    assert early["levels"]["township_federation"]["overdue_end"] == 0
    whole = report(cw, month="2026-04", now=LATER)
    # at the end of April c1 and c11 are past their deadlines too
    assert whole["levels"]["village_congress"]["overdue_end"] == 4


def test_a_month_boundary_is_midnight_in_beijing(cw, people):
    intake(cw, people["operator"], bj(3, 31, 23), VILLAGE_A1, "other")  # 15:00 UTC
    intake(cw, people["operator"], bj(4, 1, 0), VILLAGE_A1, "other")  # 16:00 UTC, 31 Mar
    assert report(cw, month="2026-03", now=LATER)["received"] == 1
    assert report(cw, month="2026-04", now=LATER)["received"] == 1


# -- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-3", "26-03", "2026/03",
                                   "1999-12", "2101-01", " 2026-03", "", None, 202603])
def test_a_malformed_month_is_refused_naming_the_field(cw, county, month):
    with pytest.raises(Invalid) as refused:
        monthly_report(cw, month=month, area=COUNTY, now=AFTER_MARCH)
    assert set(refused.value.fields) == {"month"}


def test_a_month_after_the_current_one_is_refused(cw, county):
    with pytest.raises(Invalid) as refused:
        report(cw, month="2026-05", now=bj(4, 30, 23))
    assert "after the current month" in refused.value.fields["month"]
    assert report(cw, month="2026-05", now=bj(5, 1, 0))["received"] == 0  # Beijing's May


@pytest.mark.parametrize("area", ["999999", "4503", "", COUNTY + "9"])
def test_an_unknown_area_is_refused_naming_the_field(cw, county, area):
    with pytest.raises(Invalid) as refused:
        report(cw, area=area)
    assert refused.value.fields == {"area": "no such area"}


# -- files ------------------------------------------------------------------------------------
def test_the_csv_has_a_bom_and_a_row_for_the_area_and_each_sub_area(cw, march, county):
    text = to_csv(report(cw), cw.workflow)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == csv_header(cw.workflow)
    assert rows[0][:5] == ["area_code", "area_name", "received", "concluded", "handling_rate"]
    assert "village_congress_resolution_rate" in rows[0]
    assert [row[:5] for row in rows[1:]] == [
        [COUNTY, county[COUNTY], "8", "4", "0.5000"],
        [TOWN_A, county[TOWN_A], "5", "3", "0.6000"],
        [TOWN_B, county[TOWN_B], "3", "1", "0.3333"],
    ]
    town_b = dict(zip(rows[0], rows[3], strict=True))
    assert town_b["village_congress_overdue_end"] == "1"
    assert town_b["village_congress_resolution_rate"] == ""  # null


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-1+1", "@SUM(A1)", "\tx"])
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_made_plain(text):
    assert guard_formula(text) == "'" + text
    assert guard_formula("大李村") == "大李村"
    assert guard_formula(-1) == -1  # numbers are numbers


def test_an_area_named_like_a_formula_is_plain_text_in_the_csv(cw, county):
    with writing(cw.engine) as session:
        add_area(session, TOWN_B + "203", "=1+1")
    figures = report(cw, area=TOWN_B)
    assert f"{TOWN_B}203,'=1+1," in to_csv(figures, cw.workflow)
    areas = load_workbook(io.BytesIO(to_xlsx(figures, cw.workflow)))["By area"]
    cell = next(row[0] for row in areas.iter_rows() if row[1].value == TOWN_B + "203")
    assert (cell.value, cell.data_type) == ("'=1+1", "s")


def test_the_workbook_has_summary_area_trend_and_protection_sheets_with_native_charts(
        cw, march):
    book = load_workbook(io.BytesIO(to_xlsx(report(cw), cw.workflow, "zh_CN")))
    assert book.sheetnames == ["Summary", "By area", "Trend", "Protection"]
    for sheet in book.worksheets:
        assert len(sheet._charts) == 1
    summary = book["Summary"]
    values = {row[0].value: row[1] for row in summary.iter_rows(min_row=4, max_row=8)}
    assert values["处置率"].value == 0.5
    assert values["处置率"].number_format == "0.0%"
    assert values["登记"].value == 8
    assert "村妇代会（谈心室）" in [c.value for c in summary["A"]]
    trend = book["Trend"]
    assert [trend.cell(row=r, column=1).value for r in (2, 13)] == ["2025-04", "2026-03"]
    assert trend.cell(row=13, column=4).value == 0.5
    assert trend.cell(row=2, column=4).value is None
    areas = book["By area"]
    assert [areas.cell(row=r, column=2).value for r in (3, 4)] == [TOWN_A, TOWN_B]


def test_the_workbook_speaks_english_on_request_and_a_village_has_no_area_chart(cw, march):
    book = load_workbook(io.BytesIO(to_xlsx(report(cw, area=VILLAGE_A1), cw.workflow, "en")))
    summary_labels = [c.value for c in book["Summary"]["A"]]
    assert "Handling rate" in summary_labels
    assert "Village women's congress" in summary_labels
    assert not book["By area"]._charts


def test_the_terminal_table_shows_rates_as_percentages_and_level_names(cw, march, county):
    zh = to_table(report(cw), cw.workflow)
    assert "处置率 50.0%" in zh and "按期办结率 60.0%" in zh
    assert "村妇代会（谈心室）" in zh and county[TOWN_B] in zh
    en = to_table(report(cw, area=TOWN_B), cw.workflow, "en")
    assert "Township women's federation" in en
    congress = next(line for line in en.splitlines() if line.startswith("Village women's"))
    assert congress.split() == ["Village", "women's", "congress", "1", "0", "0", "0", "0", "1",
                                "1", "-"]  # c4, returned to the congress: a null rate


def protection_march(cw, people) -> None:
    """Two domestic-violence cases of March 2026 with assessments and every measure, and one
    mandatory report on 1 April."""
    lethal = {q.id: q.id == "weapon" for q in cw.workflow.risk.questions}
    calm = {q.id: False for q in cw.workflow.risk.questions}
    op = people["operator"]
    a = intake(cw, op, bj(3, 2), VILLAGE_A1, "domestic_violence")
    a = act(cw, op, a, "assess", bj(3, 2, 11), answers=lethal)
    a = act(cw, op, a, "assess", bj(3, 3), answers=calm)
    a = act(cw, op, a, "measure", bj(3, 3, 12), measure="protection_order", stage="applied",
            on="2026-03-03", court="平乐县人民法院")
    order = a.version
    a = act(cw, op, a, "measure", bj(3, 4), measure="protection_order", stage="granted",
            measure_id=order, on="2026-03-04", valid_until="2026-09-03")
    b = intake(cw, op, bj(3, 5), VILLAGE_B1, "domestic_violence")
    b = act(cw, op, b, "measure", bj(3, 5, 12), measure="protection_order", stage="applied",
            on="2026-03-05", court="平乐县人民法院")
    b = act(cw, op, b, "measure", bj(3, 6), measure="protection_order", stage="rejected",
            measure_id=b.version, on="2026-03-06")
    b = act(cw, op, b, "measure", bj(3, 6, 12), measure="warning_letter", stage="issued",
            on="2026-03-06", authority="派出所")
    b = act(cw, op, b, "measure", bj(3, 7), measure="shelter", stage="placed",
            on="2026-03-07", place="县救助管理站")
    b = act(cw, op, b, "measure", bj(3, 8), measure="shelter", stage="left",
            measure_id=b.version, on="2026-03-08")
    # April's events are April's.
    act(cw, op, b, "measure", bj(4, 1), measure="mandatory_report", stage="reported",
        on="2026-04-01", authority="村委会")


def test_the_protection_figures_count_the_months_assessments_and_measures_per_area(
        cw, people):
    from casework.reporting.protection import protection_between

    protection_march(cw, people)
    march = report(cw)
    assert march["protection"] == {
        "assessed": 2, "high_risk": 1, "orders_applied": 2, "orders_granted": 1,
        "orders_rejected": 1, "warning_letters": 1, "shelter_placements": 1,
        "mandatory_reports": 0}
    assert march["protection_by_area"][TOWN_A]["orders_granted"] == 1
    assert march["protection_by_area"][TOWN_B]["shelter_placements"] == 1
    assert report(cw, area=TOWN_B)["protection"]["assessed"] == 0
    april = report(cw, month="2026-04")["protection"]
    assert april["mandatory_reports"] == 1 and april["orders_applied"] == 0
    with reading(cw.engine) as session:
        assert protection_between(session, bj(3, 1), bj(5, 1), COUNTY) == {
            k: march["protection"][k] + april[k] for k in april}
    assert "protection_orders_granted" in to_csv(march, cw.workflow).splitlines()[0]
