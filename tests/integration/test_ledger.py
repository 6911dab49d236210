"""Importing a paper ledger (台账): the county of the field report, and refusals."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2
from openpyxl import Workbook
from sqlalchemy import func, select

from casework.errors import Invalid
from casework.imports.ledger import COLUMNS, import_ledger
from casework.imports.ledger_problems import LedgerProblems
from casework.storage.db import reading
from casework.storage.models import Case, Event

VILLAGES = [VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2]
CHANNELS = ["mailbox", "hotline_12338", "visit", "letter"]
# The field report's county over two years: 454 cases from the villages, 352 settled by village
# congresses, 76 by township federations, 26 by the county center.
SHARES = [("village_congress", 352), ("township_federation", 76), ("county_center", 26)]
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def county_rows(start: datetime, spread_days: int) -> list[dict]:
    rows, i = [], 0
    for level, count in SHARES:
        for _ in range(count):
            received = start + timedelta(days=(i * spread_days) // 454, minutes=i)
            rows.append({
                "received_at": received.strftime("%Y-%m-%d %H:%M"),
                "village_code": VILLAGES[i % 4], "category": "marriage_family",
                "channel": CHANNELS[i % 4], "urgency": "normal", "summary": f"台账第{i + 1}件",
                "petitioner_name": "", "petitioner_phone": "", "concluded_level": level,
                "concluded_at": (received + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
                "outcome": "referred:legal_aid" if i % 50 == 7 else "mediated",
            })
            i += 1
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[dict]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[name] for name in COLUMNS])
    book.save(path)
    return path


def totals(cw) -> tuple[int, int]:
    with reading(cw.engine) as session:
        return (session.execute(select(func.count()).select_from(Case)).scalar_one(),
                session.execute(select(func.count()).select_from(Event)).scalar_one())


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_the_field_report_county_gives_back_its_per_level_figures(cw, county, tmp_path, writer):
    from casework.reporting.reports import monthly_report

    path = writer(tmp_path / f"ledger.{writer.__name__.removeprefix('write_')}",
                  county_rows(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), spread_days=20))
    assert import_ledger(cw, path, now=NOW) == 454
    report = monthly_report(cw, month="2026-03", area="450330", now=NOW)
    assert (report["received"], report["concluded"], report["handling_rate"]) == (454, 454, 1.0)
    levels = report["levels"]
    expected = {"village_congress": (454, 102), "township_federation": (102, 26),
                "county_center": (26, 0)}
    for level, settled in SHARES:
        figures = levels[level]
        entered, escalated = expected[level]
        assert figures["entered"] == entered
        assert figures["resolved"] + figures["referred"] == settled
        assert figures["escalated"] == escalated
        assert figures["resolution_rate"] == pytest.approx(settled / entered)
        assert figures["open_end"] == figures["overdue_end"] == 0
    assert levels["village_congress"]["resolution_rate"] == pytest.approx(352 / 454)
    assert levels["township_federation"]["resolution_rate"] == pytest.approx(76 / 102)
    assert levels["county_center"]["resolution_rate"] == 1.0


def test_two_years_of_ledger_sum_to_the_county_totals_month_by_month(cw, county, tmp_path):
    from casework.reporting.reports import monthly_report

    path = write_csv(tmp_path / "ledger.csv",
                     county_rows(datetime(2024, 11, 1, 1, 0, tzinfo=UTC), spread_days=700))
    import_ledger(cw, path, now=NOW)
    months, day = [], datetime(2024, 11, 15)
    while day < datetime(2026, 11, 1):
        months.append(day.strftime("%Y-%m"))
        day += timedelta(days=31)
        day = day.replace(day=15)
    reports = [monthly_report(cw, month=m, area="450330", now=NOW) for m in months]
    assert sum(r["received"] for r in reports) == 454
    for level, settled in SHARES:
        assert sum(r["levels"][level]["resolved"] + r["levels"][level]["referred"]
                   for r in reports) == settled
    assert sum(r["levels"]["village_congress"]["entered"] for r in reports) == 454


def test_imported_cases_carry_the_events_a_live_case_would(cw, county, tmp_path):
    row = county_rows(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 1)[-1]  # concluded at the county
    row["channel"] = "mailbox"
    import_ledger(cw, write_csv(tmp_path / "one.csv", [row]), now=NOW)
    with reading(cw.engine) as session:
        events = session.execute(select(Event).order_by(Event.seq)).scalars().all()
    assert [(e.action, e.to_level) for e in events] == [
        ("intake", "village_mailbox"), ("escalate", "village_congress"),
        ("escalate", "township_federation"), ("escalate", "county_center"),
        ("accept", "county_center"), ("resolve", "county_center")]
    assert events[1].at == events[-1].at  # escalations dated at concluded_at
    assert {e.actor for e in events} == {"ledger_import"}


def test_an_open_ledger_case_waits_at_its_start_level(cw, county, tmp_path):
    row = county_rows(datetime(2026, 11, 2, 1, 0, tzinfo=UTC), 1)[0]
    row.update(concluded_level="", concluded_at="", outcome="", channel="visit")
    import_ledger(cw, write_csv(tmp_path / "open.csv", [row]), now=NOW)
    with reading(cw.engine) as session:
        case = session.execute(select(Case)).scalar_one()
    assert (case.level, case.status) == ("village_congress", "pending")


@pytest.mark.parametrize(("change", "column", "words"), [
    ({"village_code": "999999999999"}, "village_code", "no village '999999999999'"),
    ({"village_code": "abc"}, "village_code", "no village 'abc'"),
    ({"category": "gossip"}, "category", "write one of: domestic_violence"),
    ({"received_at": "yesterday"}, "received_at", "not a date"),
    ({"received_at": "2030-01-01"}, "received_at", "future"),
    ({"concluded_level": "village_mailbox"}, "concluded_level", "village_congress"),
    ({"concluded_at": ""}, "concluded_at", "needs its date"),
    ({"concluded_at": "2020-01-01"}, "concluded_at", "before the date received"),
    ({"outcome": "magic"}, "outcome", "write one of: mediated"),
    ({"outcome": "referred:aliens"}, "outcome", "referred"),
    ({"petitioner_phone": "call me"}, "petitioner_phone", "not a phone number"),
])
def test_a_ledger_with_one_bad_line_names_it_and_writes_nothing(cw, county, tmp_path, change,
                                                                column, words):
    rows = county_rows(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), spread_days=20)
    rows[299].update(change)
    with pytest.raises(LedgerProblems) as refused:
        import_ledger(cw, write_csv(tmp_path / "bad.csv", rows), now=NOW)
    assert refused.value.message.startswith(f"line 301, column {column}: ")
    [problem] = refused.value.preview.problems
    assert (problem.line, problem.column) == (301, column)
    assert words in problem.message()
    assert totals(cw) == (0, 0)


def test_a_ledger_without_the_required_columns_is_refused(cw, county, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("received_at,village_code\n2026-01-01,450330100201\n", encoding="utf-8")
    with pytest.raises(LedgerProblems) as refused:
        import_ledger(cw, path, now=NOW)
    assert [(p.line, p.column, p.message()) for p in refused.value.preview.problems] == [
        (1, "category", "the header lacks this column"),
        (1, "channel", "the header lacks this column")]


def test_a_ledger_in_neither_utf8_nor_gb18030_is_refused(cw, county, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes((",".join(COLUMNS) + "\n2026-01-01,村").encode("utf-16"))
    with pytest.raises(Invalid) as refused:
        import_ledger(cw, path, now=NOW)
    assert "UTF-8" in refused.value.message
    assert totals(cw) == (0, 0)


def test_a_broken_xlsx_is_refused(cw, county, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(Invalid):
        import_ledger(cw, path, now=NOW)
