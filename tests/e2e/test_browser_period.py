"""The report over a period in a real browser (Playwright + Debian's chromium): a shortcut
click, the charts, the Excel download, and the print layout on A4 portrait paper."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from conftest import petition
from openpyxl import load_workbook

from casework.lifecycle.intake import receive
from casework.scheduling.deadlines import SHANGHAI
from tests.e2e.browser import open_page
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
# A4 at 96 CSS pixels an inch, less the page's margins (reports.css: 12 mm each side).
A4_PRINTABLE_WIDTH = round((210 - 24) / 25.4 * 96)


def test_a_leader_prints_the_year_so_far_on_a4_portrait_and_downloads_it(
        chromium, live_server, people, cw, tmp_path):
    for _ in range(3):
        receive(cw, people["operator"], petition())
    page = open_page(chromium, live_server)
    log_in(page, live_server, people["leader"].username)
    page.goto(f"{live_server.url}/reports/period")
    year = datetime.now(SHANGHAI).year
    page.get_by_role("link", name="全年").first.click()
    page.wait_for_load_state("networkidle")
    assert f"from={year}-01" in page.url
    assert page.locator("#figure-received").inner_text() == "3"
    assert page.locator("svg.chart").count() == 3
    with page.expect_download() as download:
        page.locator("a[href*='format=xlsx']").click()
    path = tmp_path / "period.xlsx"
    download.value.save_as(path)
    assert load_workbook(path).sheetnames == ["Summary", "By area", "By month", "Protection"]

    # On paper: nothing wider than the printable width of A4 portrait, no forms or buttons.
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_PRINTABLE_WIDTH
    assert not page.locator("form").first.is_visible()
    assert not page.locator(".period-shortcuts").is_visible()
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}
    assert live_server.outside == []
