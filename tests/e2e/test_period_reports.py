"""The report over a period through HTTP: the API in every format, and the page with its
shortcuts, charts, downloads and print layout; bad input is a 422 naming the field, never a
500."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime

import pytest
from conftest import COUNTY, TOWN_A, TOWN_B, VILLAGE_B1, petition
from openpyxl import load_workbook

from casework.lifecycle import actions, intake
from casework.scheduling.deadlines import SHANGHAI
from e2e.conftest import login

API = "/api/v1/reports/period"
PAGE = "/reports/period"
ENGLISH = {"Accept-Language": "en"}
JANUARY = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
THIS_MONTH = datetime.now(SHANGHAI).strftime("%Y-%m")


@pytest.fixture
def quarter(cw, people):
    """The first quarter of 2026: two petitions in January (one resolved there), three in
    March (one in township B)."""
    first = intake.receive(cw, people["operator"], petition(), now=JANUARY).number
    intake.receive(cw, people["operator"], petition(), now=JANUARY)
    cadre = people["village_a1"]
    actions.perform(cw, cadre, first, {"action": "accept", "version": 1}, now=JANUARY)
    actions.perform(cw, cadre, first, {"action": "resolve", "version": 2,
                                       "outcome": "mediated", "note": "调解成功"}, now=JANUARY)
    for village in (None, None, VILLAGE_B1):
        body = petition(village_code=village) if village else petition()
        intake.receive(cw, people["operator"], body, now=MARCH)


def page(answer) -> str:
    return answer.get_data(as_text=True)


# -- API --------------------------------------------------------------------------------------
def test_the_quarter_as_json_adds_up_its_months(client, as_, quarter):
    answer = client.get(f"{API}?from=2026-01&to=2026-03", headers=as_("leader"))
    assert answer.status_code == 200
    report = answer.json
    assert (report["from"], report["to"], report["months"]) == ("2026-01", "2026-03", 3)
    assert (report["received"], report["concluded"], report["handling_rate"]) == (5, 1, 0.2)
    assert [(p["month"], p["received"]) for p in report["by_month"]] == [
        ("2026-01", 2), ("2026-02", 0), ("2026-03", 3)]
    assert report["by_area"][TOWN_A]["received"] == 4
    assert report["by_area"][TOWN_B]["received"] == 1
    assert report["levels"]["village_congress"]["open_end"] == 4
    assert "trend" not in report and "month" not in report


def test_a_township_cadre_reads_her_own_township(client, as_, quarter):
    answer = client.get(f"{API}?from=2026-01&to=2026-03", headers=as_("township_a"))
    assert answer.status_code == 200
    assert answer.json["area"]["code"] == TOWN_A and answer.json["received"] == 4
    outside = client.get(f"{API}?from=2026-01&to=2026-03&area={TOWN_B}",
                         headers=as_("township_a"))
    assert (outside.status_code, outside.json["error"]) == (404, "not_found")


def test_a_village_cadre_may_not_read_reports_over_a_period(client, as_, people):
    answer = client.get(f"{API}?from=2026-01&to=2026-03", headers=as_("village_a1"))
    assert (answer.status_code, answer.json["error"]) == (403, "forbidden")


@pytest.mark.parametrize("query, field", [
    ("", "from"), ("from=2026-01", "to"), ("to=2026-03", "from"),
    ("from=2026-03&to=2026-01", "from"),  # from after to
    ("from=2015-01&to=2026-01", "to"),  # over ten years
    ("from=2026-01&to=2100-12", "to"),  # in the future
    ("from=2026-1&to=2026-03", "from"), ("from=2026-01&to=march", "to"),
    ("from=2026-01&to=2026-03&format=pdf", "format"),
    (f"from=2026-01&to=2026-03&area={COUNTY}999", "area"),
])
def test_bad_input_answers_422_naming_the_field(client, as_, people, query, field):
    answer = client.get(f"{API}?{query}", headers=as_("county_officer"))
    assert answer.status_code == 422
    assert answer.json["error"] == "invalid" and field in answer.json["fields"]
    assert answer.json["message"]


@pytest.mark.parametrize("query", ["from=2026-01&to=%00", "from=%FF%FE&to=2026-01",
                                   "from=" + "9" * 5000 + "&to=2026-01"])
def test_garbage_in_the_query_is_a_4xx_never_a_500(client, as_, people, query):
    answer = client.get(f"{API}?{query}", headers=as_("county_officer"))
    assert 400 <= answer.status_code < 500 and answer.json["error"]


def test_the_period_downloads_as_csv_and_as_excel_with_native_charts(client, as_, quarter):
    answer = client.get(f"{API}?from=2026-01&to=2026-03&format=csv", headers=as_("leader"))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="casework-report-2026-01-2026-03-{COUNTY}.csv"')
    lines = answer.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[1].startswith(f"{COUNTY},平乐县,5,1,0.2000,")
    answer = client.get(f"{API}?from=2026-01&to=2026-03&format=xlsx", headers=as_("leader"))
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.data))
    assert book.sheetnames == ["Summary", "By area", "By month", "Protection"]
    assert all(len(sheet._charts) == 1 for sheet in book.worksheets)
    summary = book["Summary"]
    assert [summary.cell(row=r, column=1).value for r in (1, 2)] == ["妇联维权案件报告", "期间"]
    assert summary.cell(row=2, column=2).value == "2026-01 – 2026-03"
    months = book["By month"]
    assert [months.cell(row=r, column=1).value for r in (2, 3, 4)] == [
        "2026-01", "2026-02", "2026-03"]
    assert months.cell(row=2, column=4).value == 0.5


def test_the_openapi_document_describes_the_period_report(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/reports/period"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "area", "format"}
    assert "PeriodReport" in spec["components"]["schemas"]


# -- the page ---------------------------------------------------------------------------------
def test_the_page_shows_the_quarter_with_charts_links_and_downloads(client, people, quarter):
    login(client, people["county_officer"].username)
    answer = client.get(f"{PAGE}?from=2026-01&to=2026-03", headers=ENGLISH)
    assert answer.status_code == 200
    text = page(answer)
    assert 'id="figure-received">5<' in text and 'id="figure-handling_rate">20.0%<' in text
    assert "3 months" in text
    assert text.count('<svg class="chart"') == 3  # by level, by township, month by month
    assert "Open at the period&#39;s end" in text or "Open at the period's end" in text
    links = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', text)]
    assert f"/reports/monthly?month=2026-02&area={COUNTY}" in links  # each month's report
    assert f"/reports/period?area={TOWN_A}&from=2026-01&to=2026-03" in links
    assert f"/api/v1/reports/period?area={COUNTY}&format=xlsx&from=2026-01&to=2026-03" in links
    assert "data-print" in text


def test_the_page_offers_quarters_half_years_and_years(client, people, quarter):
    login(client, people["county_officer"].username)
    text = page(client.get(f"{PAGE}?from=2025-01&to=2025-06", headers=ENGLISH))
    links = {html.unescape(href) for href in re.findall(r'href="([^"]+)"', text)}
    for first, last in (("2025-01", "2025-03"), ("2025-10", "2025-12"), ("2025-01", "2025-06"),
                        ("2025-07", "2025-12"), ("2025-01", "2025-12"), ("2024-01", "2024-12")):
        assert f"/reports/period?area={COUNTY}&from={first}&to={last}" in links
    assert re.search(r'aria-current="page">First half<', text)  # the period shown


def test_the_page_without_a_period_shows_the_year_so_far(client, people):
    login(client, people["township_a"].username)
    answer = client.get(PAGE)
    assert answer.status_code == 200
    assert f'name="from" value="{THIS_MONTH[:4]}-01"' in page(answer)
    assert f'name="to" value="{THIS_MONTH}"' in page(answer)
    assert f'<option value="{TOWN_A}" selected>' in page(answer)


@pytest.mark.parametrize("query, field", [
    ("from=2026-03&to=2026-01", "From month"), ("from=2010-01&to=2026-01", "To month"),
    ("from=2026-01&to=2100-01", "To month"), ("from=x&to=2026-01", "From month"),
    (f"from=2026-01&to=2026-02&area={COUNTY}999", "Area"),
])
def test_a_bad_period_on_the_page_shows_the_reason_never_a_500(client, people, query, field):
    login(client, people["county_officer"].username)
    answer = client.get(f"{PAGE}?{query}", headers=ENGLISH)
    assert (answer.status_code, answer.mimetype) == (422, "text/html")
    assert 'role="alert"' in page(answer) and f"<li>{field}:" in page(answer)
    assert 'name="from"' in page(answer)


def test_the_page_is_in_chinese_by_default(client, people, quarter):
    login(client, people["county_officer"].username)
    text = page(client.get(f"{PAGE}?from=2026-01&to=2026-06"))
    for words in ("期间报告", "上半年", "逐月情况", "期末在办"):
        assert words in text, words


def test_the_print_layout_is_a4_portrait(client):
    css = client.get("/static/reports/reports.css").get_data(as_text=True)
    assert "@page { size: A4 portrait;" in css


def test_the_navigation_links_the_period_report_for_report_readers(client, people):
    login(client, people["leader"].username)
    assert 'href="/reports/period"' in page(client.get("/reports/monthly"))
