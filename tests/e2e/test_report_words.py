"""One word per figure: the command line's table, the pages, the Excel file and the handbook name
each report figure with the word of vocabulary.LABELS["figure"], and none with an older word a
leader would take for a different count."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import petition

from casework.lifecycle import actions, intake
from casework.reporting.report_files import HEADLINE, LEVEL_FIELDS, PROTECTION, to_table, to_xlsx
from casework.reporting.reports import monthly_report, period_report
from casework.vocabulary import LABELS, figure_word
from e2e.conftest import login

MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
DOCS = Path(__file__).parents[2] / "docs" / "reports.md"
# Words the surfaces used before they agreed: each named a figure another surface named otherwise.
OLD_WORDS = ("受理", "按时办结率", "转入", "月末超期", "期末超期")
SHOWN = (*HEADLINE, *LEVEL_FIELDS, *PROTECTION)


def words(language: str, *, period: bool = False) -> list[str]:
    return [figure_word(key, language, period=period) for key in SHOWN]


@pytest.fixture
def march(cw, people):
    intake.receive(cw, people["operator"], petition(), now=MARCH)


@pytest.mark.parametrize("period", [False, True], ids=["month", "period"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_command_line_table_uses_the_figures_words(cw, march, language, period):
    report = (period_report(cw, start="2026-01", end="2026-03", now=MARCH) if period
              else monthly_report(cw, month="2026-03", now=MARCH))
    table = to_table(report, cw.workflow, language)
    for word in words(language, period=period):
        assert word in table, word
    for word in OLD_WORDS:
        assert word not in table, word


@pytest.mark.parametrize("period", [False, True], ids=["month", "period"])
def test_the_excel_heads_use_the_figures_words(cw, march, period):
    report = (period_report(cw, start="2026-01", end="2026-03", now=MARCH) if period
              else monthly_report(cw, month="2026-03", now=MARCH))
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report, cw.workflow, "zh_CN")))
    cells = {str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row if isinstance(cell.value, str)}
    for word in words("zh_CN", period=period):
        assert word in cells, word
    assert not cells & set(OLD_WORDS)


@pytest.mark.parametrize(("page", "period"), [
    ("/reports/monthly?month=2026-03", False),
    ("/reports/period?from=2026-01&to=2026-03", True)], ids=["month", "period"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_report_pages_use_the_figures_words(client, people, march, page, period, language):
    login(client, people["county_officer"].username)
    text = client.get(page, headers={"Accept-Language": language}).get_data(as_text=True)
    text = text.replace("&#39;", "'")
    for word in words(language, period=period):
        assert word in text, word
    for word in OLD_WORDS:
        assert word not in text, word


def test_the_handbook_names_each_figure_with_its_word():
    """Every row of docs/reports.md's figure tables, ``| 词 english | `key` |``, carries the
    word of LABELS["figure"] for its key."""
    rows = re.findall(r"^\| (\S+) [^|]*\| `([a-z_]+)` \|", DOCS.read_text(), re.MULTILINE)
    named = {key: word for word, key in rows}
    assert set(named) >= {*HEADLINE, *LEVEL_FIELDS}
    for key, word in named.items():
        assert word == LABELS["figure"][key]["zh"], key


@pytest.fixture
def concluded_from_february(cw, people):
    """March concludes, on time, a petition of February and receives none of its own."""
    feb, mar = datetime(2026, 2, 27, 2, 0, tzinfo=UTC), datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    number = intake.receive(cw, people["operator"], petition(), now=feb).number
    cadre = people["village_a1"]
    actions.perform(cw, cadre, number, {"action": "accept", "version": 1}, now=mar)
    actions.perform(cw, cadre, number, {"action": "resolve", "version": 2,
                                        "outcome": "mediated", "note": "调解成功"}, now=mar)


def test_a_rate_is_shown_with_the_counts_it_is_a_share_of(cw, client, people,
                                                           concluded_from_february):
    report = monthly_report(cw, month="2026-03", now=MARCH)
    assert (report["received"], report["concluded"]) == (0, 0)
    assert (report["on_time_rate"], report["on_time"], report["conclusions"]) == (1.0, 1, 1)
    assert (report["closes"], report["satisfied"], report["satisfaction_rate"]) == (0, 0, None)

    table = to_table(report, cw.workflow, "zh_CN")
    assert "按期办结率 100.0% (1/1)" in table and "处置率 - (0/0)" in table
    assert "期内办结" in table  # the note says what 1/1 counts

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report, cw.workflow, "zh_CN")))
    rows = {row[0].value: [cell.value for cell in row[1:3]]
            for row in book["Summary"].iter_rows(min_row=4, max_row=8)}
    assert rows["按期办结率"] == [1.0, "1/1"]

    login(client, people["county_officer"].username)
    text = client.get("/reports/monthly?month=2026-03").get_data(as_text=True)
    assert 'id="figure-concluded">0<' in text and 'id="figure-on_time_rate">100.0%<' in text
    assert 'id="figure-on_time_rate-counts">(1/1)<' in text
    assert "期内办结的全部案件，不论何时登记" in text


def test_the_report_json_carries_the_rates_counts(client, as_, concluded_from_february):
    answer = client.get("/api/v1/reports/monthly?month=2026-03", headers=as_("county_officer"))
    assert answer.status_code == 200
    assert {key: answer.json[key] for key in ("conclusions", "on_time", "closes",
                                              "satisfied")} == {
        "conclusions": 1, "on_time": 1, "closes": 0, "satisfied": 0}
    period = client.get("/api/v1/reports/period?from=2026-02&to=2026-03",
                        headers=as_("county_officer")).json
    # A period's ``concluded`` adds up its months' (each month's petitions concluded by its
    # end, docs/reports.md), so February's petition stays unconcluded there; its conclusion
    # is counted in ``conclusions``, with the on-time rate.
    assert (period["received"], period["concluded"], period["conclusions"]) == (1, 0, 1)
