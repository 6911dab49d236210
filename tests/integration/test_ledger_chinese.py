"""A ledger as counties keep it: Chinese heads and words in an Excel workbook or a GB18030 CSV,
villages by name, dates as people type them; every problem at once; sent twice, counted once."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import COUNTY, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from casework.imports.areas import add_area
from casework.imports.ledger import check_ledger, import_ledger, run_import
from casework.imports.ledger_problems import LedgerProblems
from casework.imports.ledger_template import ledger_template
from casework.storage.db import reading, writing
from casework.storage.models import Case, ClosedMonth, Event, Petitioner

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
HEADS = ["登记日期", "乡镇", "村", "类别", "来源", "紧急程度", "情况摘要", "姓名", "电话",
         "办结层级", "办结日期", "结果"]
ROWS = [
    # A date cell, a village by name, the phone stored as a number, the product's labels.
    [datetime(2026, 3, 3, 9, 30), "", "沙子村", "家庭暴力", "来信", "一般", "丈夫酒后殴打",
     "李某", 13812345678, "村妇代会", date(2026, 3, 5), "调解成功"],
    # Dates as text in Excel's display forms; the short forms people write.
    ["2026/3/4", "", "新安村", "家暴", "热线", "紧急", "婚后财产", "王某", "139-1234-5678",
     "乡镇妇联", "2026.3.10", "转介：法律援助"],
    ["2026年3月5日 14:30", "平乐镇", "大李村", "婚姻家庭", "12338", "", "离婚纠纷", "", "",
     "县妇联", "2026年3月20日", "提供法律或政策咨询"],
    # English ids and a village code, as today's export writes them; an open case.
    ["2026-11-02", "", VILLAGE_A2, "employment", "visit", "normal", "", "", "", "", "", ""],
]


def write_xlsx(path, rows, heads=HEADS):
    book = Workbook()
    sheet = book.active
    sheet.append(heads)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path, rows, heads=HEADS, encoding="gb18030"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(heads)
    for row in rows:
        writer.writerow(["" if cell is None else
                         cell.strftime("%Y/%m/%d %H:%M") if isinstance(cell, datetime) else
                         f"{cell.year}/{cell.month}/{cell.day}" if isinstance(cell, date) else
                         cell for cell in row])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def stored(cw):
    with reading(cw.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Case, Event, Petitioner))


def cases(cw) -> list[Case]:
    with reading(cw.engine) as session:
        return list(session.execute(select(Case).order_by(Case.id)).scalars())


def test_a_chinese_excel_ledger_is_imported_with_its_words_dates_and_villages(cw, county,
                                                                               tmp_path):
    assert import_ledger(cw, write_xlsx(tmp_path / "台账.xlsx", ROWS), now=NOW) == 4
    found = cases(cw)
    assert [(c.village_code, c.category, c.channel, c.urgency) for c in found] == [
        (VILLAGE_A2, "domestic_violence", "letter", "normal"),
        (VILLAGE_B1, "domestic_violence", "hotline_12338", "urgent"),
        (VILLAGE_A1, "marriage_family", "hotline_12338", "normal"),
        (VILLAGE_A2, "employment", "visit", "normal")]
    assert [(c.level, c.status) for c in found] == [
        ("village_congress", "resolved"), ("township_federation", "referred"),
        ("county_center", "resolved"), ("village_congress", "pending")]
    # Beijing time when no zone is written; midnight Beijing when no time either.
    assert found[0].received_at == datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
    assert found[1].received_at == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)
    assert found[2].received_at == datetime(2026, 3, 5, 6, 30, tzinfo=UTC)
    with reading(cw.engine) as session:
        refer = session.execute(select(Event).where(Event.action == "refer")).scalar_one()
    assert refer.data["agency"] == "legal_aid"


def test_a_gb18030_csv_saved_by_chinese_excel_is_imported(cw, county, tmp_path):
    path = write_csv(tmp_path / "台账.csv", ROWS)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert import_ledger(cw, path, now=NOW) == 4
    assert [c.category for c in cases(cw)][:2] == ["domestic_violence", "domestic_violence"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_counts_alike(cw, county, tmp_path, encoding):
    preview = check_ledger(cw, write_csv(tmp_path / "l.csv", ROWS, encoding=encoding), now=NOW)
    assert (preview.rows, preview.new, preview.problem_count) == (4, 4, 0)


def test_a_ledger_sent_twice_adds_nothing_the_second_time(cw, county, tmp_path):
    first = run_import(cw, write_xlsx(tmp_path / "week.xlsx", ROWS), now=NOW)
    assert (first.imported, first.duplicates) == (4, 0)
    before = stored(cw)
    # The same week as a CSV: other spellings of the same rows are the same rows.
    again = run_import(cw, write_csv(tmp_path / "week.csv", ROWS), now=NOW)
    assert (again.rows, again.imported, again.duplicates) == (4, 0, 4)
    assert stored(cw) == before
    # Next week's file repeats two rows and adds one.
    extra = ["2026-11-03", "", "源头村", "咨询", "来访", "一般", "咨询离婚手续", "", "", "", "", ""]
    later = run_import(cw, write_xlsx(tmp_path / "next.xlsx", [ROWS[0], ROWS[3], extra]),
                       now=NOW)
    assert (later.imported, later.duplicates) == (1, 2)


def test_the_same_row_twice_in_one_file_is_one_case(cw, county, tmp_path):
    preview = run_import(cw, write_xlsx(tmp_path / "l.xlsx", [ROWS[0], ROWS[0]]), now=NOW)
    assert (preview.rows, preview.imported, preview.duplicates) == (2, 1, 1)


def test_rows_differing_in_phone_or_summary_are_different_cases(cw, county, tmp_path):
    other_phone = list(ROWS[0])
    other_phone[8] = 13900000000
    other_story = list(ROWS[0])
    other_story[6] = "另一件事"
    assert import_ledger(cw, write_xlsx(tmp_path / "l.xlsx",
                                        [ROWS[0], other_phone, other_story]), now=NOW) == 3


def test_the_fingerprint_holds_no_phone_nor_its_plain_hash(cw, county, tmp_path):
    import hashlib

    import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", ROWS[:1]), now=NOW)
    [case] = cases(cw)
    assert len(case.import_fingerprint) == 64
    assert case.import_fingerprint != hashlib.sha256(b"13812345678").hexdigest()
    assert "13812345678" not in case.import_fingerprint


def test_a_dry_run_counts_and_writes_nothing(cw, county, tmp_path):
    import_ledger(cw, write_xlsx(tmp_path / "old.xlsx", ROWS[:2]), now=NOW)
    before = stored(cw)
    preview = check_ledger(cw, write_xlsx(tmp_path / "l.xlsx", ROWS), now=NOW)
    assert (preview.rows, preview.new, preview.duplicates, preview.problem_count) == (4, 2, 2, 0)
    assert stored(cw) == before


def test_every_problem_of_the_file_is_named_at_once_and_nothing_is_written(cw, county,
                                                                           tmp_path):
    bad = [list(ROWS[0]), list(ROWS[1]), list(ROWS[2])]
    bad[0][3] = "打架"  # not a category
    bad[1][0] = "2026/13/4"  # no 13th month
    bad[1][8] = "call me"
    bad[2][9] = "县里"  # no such level
    with pytest.raises(LedgerProblems) as refused:
        import_ledger(cw, write_xlsx(tmp_path / "bad.xlsx", bad + ROWS[3:]), now=NOW)
    problems = refused.value.preview.problems
    assert [(p.line, p.column, p.value) for p in problems] == [
        (2, "类别", "打架"), (3, "登记日期", "2026/13/4"), (3, "电话", "call me"),
        (4, "办结层级", "县里")]
    assert "write one of: domestic_violence" in problems[0].message()
    assert "家庭暴力、婚姻家庭、财产权益" in problems[0].message(language="zh_CN")
    assert "2026年3月3日" in problems[1].message()
    assert "村妇代会（谈心室）" in problems[3].message(
        language="zh", level_names=lambda level, lang: cw.workflow.level(level).name.get(lang))
    assert stored(cw) == (0, 0, 0)


@pytest.fixture
def twin_villages(cw, county):
    """A second 大李村, in the other township (village names repeat within a county)."""
    with writing(cw.engine) as session:
        add_area(session, TOWN_B + "209", "大李村")
    return TOWN_B + "209"


def test_a_village_name_not_unique_in_the_county_names_the_townships(cw, twin_villages,
                                                                     tmp_path):
    row = list(ROWS[2])
    row[1] = ""
    with pytest.raises(LedgerProblems) as refused:
        import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW)
    [problem] = refused.value.preview.problems
    assert problem.column == "村"
    assert "二塘镇" in problem.message() and "平乐镇" in problem.message()
    assert "乡镇" in problem.message()


def test_the_township_column_settles_a_village_name(cw, twin_villages, tmp_path):
    first, second = list(ROWS[2]), list(ROWS[2])
    second[1], second[6] = "二塘镇", "另一件"
    import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", [first, second]), now=NOW)
    assert [c.village_code for c in cases(cw)] == [VILLAGE_A1, twin_villages]


def test_a_township_or_village_outside_the_importers_area_is_a_problem(cw, county, tmp_path):
    from conftest import make_actor

    officer = make_actor(cw, "county_officer", COUNTY)
    with writing(cw.engine) as session:
        add_area(session, "450331", "邻县")
        add_area(session, "450331100", "邻镇")
        add_area(session, "450331100201", "邻村")
    row = list(ROWS[0])
    row[2] = "邻村"
    preview = check_ledger(cw, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW, by=officer)
    assert [(p.column, p.value) for p in preview.problems] == [("村", "邻村")]
    assert preview.problems[0].field == "village_code"


def test_a_row_in_a_closed_month_is_a_problem_named_as_such(cw, county, tmp_path):
    with writing(cw.engine) as session:
        session.add(ClosedMonth(month="2026-03", computed_at=NOW, report_format=1,
                                workflow_digest="x"))
    with pytest.raises(LedgerProblems) as refused:
        import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", ROWS), now=NOW)
    problems = refused.value.preview.problems
    assert [(p.line, p.column) for p in problems] == [(2, "登记日期"), (3, "登记日期"),
                                                     (4, "登记日期")]
    assert "2026-03, a closed month" in problems[0].message()
    assert stored(cw) == (0, 0, 0)


def test_a_week_sent_again_after_its_month_closed_counts_its_rows_as_duplicates(cw, county,
                                                                                 tmp_path):
    run_import(cw, write_xlsx(tmp_path / "week.xlsx", ROWS[:2]), now=NOW)
    with writing(cw.engine) as session:
        session.add(ClosedMonth(month="2026-03", computed_at=NOW, report_format=1,
                                workflow_digest="x"))
    before = stored(cw)
    # The same week again with one row of March never imported: that row alone is a problem.
    preview = check_ledger(cw, write_xlsx(tmp_path / "again.xlsx", ROWS[:3]), now=NOW)
    assert (preview.rows, preview.new, preview.duplicates) == (3, 0, 2)
    assert [(p.line, p.column) for p in preview.problems] == [(4, "登记日期")]
    assert preview.table[2]["problems"]["received_at"].reason == preview.problems[0].reason
    # Without it, the file is all duplicates: nothing written, nothing wrong.
    again = run_import(cw, write_xlsx(tmp_path / "week2.xlsx", ROWS[:2]), now=NOW)
    assert (again.imported, again.duplicates, again.problem_count) == (0, 2, 0)
    assert stored(cw) == before


def many_rows(count: int) -> list[list]:
    start = datetime(2026, 10, 1, 9, 0)
    return [[start + timedelta(minutes=7 * i), "", VILLAGE_A2, "employment", "visit", "normal",
             f"台账第{i}件", "", "", "", "", ""] for i in range(count)]


def test_an_interrupted_import_leaves_whole_rows_and_a_rerun_adds_the_rest(cw, county,
                                                                         tmp_path, monkeypatch):
    from casework.imports import ledger

    path = write_xlsx(tmp_path / "year.xlsx", many_rows(250))
    stored_rows = []
    real_store = ledger._store

    def power_cut_at_row_150(cw, session, row, fingerprint):
        if len(stored_rows) == 149:
            raise RuntimeError("the power went")
        stored_rows.append(row.line)
        real_store(cw, session, row, fingerprint)

    monkeypatch.setattr(ledger, "_store", power_cut_at_row_150)
    with pytest.raises(RuntimeError):
        run_import(cw, path, now=NOW)
    # The first transaction of BATCH rows stands, each row with all its events; the second
    # went back whole.
    written = cases(cw)
    assert len(written) == ledger.BATCH == 100
    assert all(case.import_fingerprint for case in written)
    monkeypatch.setattr(ledger, "_store", real_store)
    rerun = run_import(cw, path, now=NOW)
    assert (rerun.rows, rerun.imported, rerun.duplicates) == (250, 150, 100)
    assert len(cases(cw)) == 250
    # The rows written before the cut carry the same events as those written after.
    with reading(cw.engine) as session:
        per_case = session.execute(select(Event.case_id, func.count())
                                   .group_by(Event.case_id)).all()
    assert len(per_case) == 250 and len({count for _case, count in per_case}) == 1


def test_excel_serial_dates_and_numbers_stored_as_numbers_are_read(cw, county, tmp_path):
    row = list(ROWS[0])
    row[0] = 46084.4375  # 2026-03-03 10:30, a date cell that lost its format
    row[2] = int(VILLAGE_A2)  # the code typed as a number
    row[10] = 46086
    import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW)
    [case] = cases(cw)
    assert case.village_code == VILLAGE_A2
    assert case.received_at == datetime(2026, 3, 3, 2, 30, tzinfo=UTC)


def test_the_template_filled_in_as_it_comes_imports_its_example(cw, county, tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(ledger_template(cw, area=COUNTY))
    book = load_workbook(path)
    assert book.sheetnames[:2] == ["台账", "村名单"]
    rules = book["台账"].data_validations.dataValidation
    assert len(rules) == 6  # 类别, 来源, 紧急程度, 办结层级, 结果, and the villages
    preview = check_ledger(cw, path, now=datetime.now(UTC) + timedelta(minutes=1))
    assert (preview.rows, preview.new, preview.problem_count) == (1, 1, 0)


def test_a_row_concluded_the_day_it_came_in_without_a_time_is_taken(cw, county, tmp_path):
    row = list(ROWS[0])
    row[10] = "2026/3/3"
    import_ledger(cw, write_xlsx(tmp_path / "l.xlsx", [row]), now=NOW)
    [case] = cases(cw)
    assert case.concluded_at == case.received_at


def test_a_large_file_reports_its_progress_as_it_is_checked(cw, county, tmp_path):
    row = ["2026/11/2", "", "沙子村", "咨询", "来访", "一般", "", "", "", "", "", ""]
    rows = [[*row[:6], f"第{i}件", *row[7:]] for i in range(1250)]
    seen: list[tuple[str, int]] = []
    preview = check_ledger(cw, write_csv(tmp_path / "big.csv", rows), now=NOW,
                           progress=lambda phase, count: seen.append((phase, count)))
    assert preview.new == 1250
    assert seen == [("checked", n) for n in (*range(100, 1201, 100), 1250)]
