"""Real browser (Playwright + Debian's chromium) through the pages people work in.

Runs on SQLite only: the database is covered elsewhere; this is about the pages.  Set
CASEWORK_SCREENSHOTS=docs/screenshots to refresh the README's screenshots while they run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import VILLAGE_A1, petition
from openpyxl import load_workbook

from casework.lifecycle.intake import receive
from tests.e2e.browser import open_page
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SHOTS = os.environ.get("CASEWORK_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def log_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def test_logging_in_shows_the_worklist_in_chinese_by_default(chromium, live_server, people, cw):
    receive(cw, people["operator"], petition())
    page = open_page(chromium, live_server, "zh-CN")
    page.goto(f"{live_server.url}/login")
    assert page.locator("html").get_attribute("lang").startswith("zh")
    shot(page, "login")
    log_in(page, live_server, people["village_a1"].username)
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("table").count() >= 1
    shot(page, "worklist")
    assert live_server.outside == []


def test_the_pages_speak_english_when_the_browser_asks_for_it(chromium, live_server, people):
    page = open_page(chromium, live_server, "en-US")
    log_in(page, live_server, people["operator"].username)
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{live_server.url}/workflow")
    assert "Escalate" in page.content()
    shot(page, "workflow-en")
    assert live_server.outside == []


def test_a_hotline_call_is_logged_with_the_callers_earlier_cases_popping_up(
        chromium, live_server, people, cw):
    earlier = receive(cw, people["operator"], petition(summary="去年反映过的家暴问题"))
    page = open_page(chromium, live_server)
    log_in(page, live_server, people["operator"].username)
    page.goto(f"{live_server.url}/cases/new")
    page.focus("input[name=petitioner_phone]")
    page.keyboard.type("13812345678")
    page.wait_for_selector(f"#caller-cases :text('{earlier.number}')", timeout=10000)
    page.fill("input[name=petitioner_name]", "李某")
    page.fill("input[name=village_code]", "dlc")
    page.wait_for_selector("#village-options li", timeout=10000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("input[name=village_code]") == VILLAGE_A1
    page.select_option("select[name=channel]", "hotline_12338")
    page.select_option("select[name=category]", "domestic_violence")
    page.fill("textarea[name=summary]", "丈夫再次动手，求助")
    shot(page, "intake")
    page.click("form#intake button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/cases/450330-" in page.url
    assert "丈夫再次动手" in page.content()
    assert live_server.outside == []


def test_a_village_cadre_accepts_and_escalates_with_the_case_buttons(
        chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page = open_page(chromium, live_server)
    log_in(page, live_server, people["village_a1"].username)
    page.goto(f"{live_server.url}/cases/{case.number}")
    assert page.locator("button[name=action][value=resolve]").count() == 0
    page.click("button[name=action][value=accept]")
    page.wait_for_load_state("networkidle")
    escalate = page.locator("form:has(button[name=action][value=escalate])")
    escalate.locator("textarea[name=note]").fill("需要乡镇妇联协调")
    shot(page, "case-detail")
    escalate.locator("button[name=action][value=escalate]").click()
    page.wait_for_load_state("networkidle")
    from casework.lifecycle.cases import case_detail

    detail = case_detail(cw, people["county_officer"], case.number)
    assert (detail["level"], detail["status"]) == ("township_federation", "pending")
    assert [e["action"] for e in detail["events"]][-2:] == ["accept", "escalate"]
    assert live_server.outside == []


def test_the_monthly_report_shows_charts_and_downloads_excel(chromium, live_server, people, cw,
                                                              tmp_path):
    receive(cw, people["operator"], petition())
    page = open_page(chromium, live_server)
    log_in(page, live_server, people["county_officer"].username)
    month = datetime.now(UTC).strftime("%Y-%m")
    page.goto(f"{live_server.url}/reports/monthly?month={month}&area=450330")
    assert page.locator("svg").count() >= 3
    shot(page, "report")
    with page.expect_download() as download:
        page.locator("a[href*='format=xlsx']").click()
    path = tmp_path / "report.xlsx"
    download.value.save_as(path)
    assert {"Summary", "Trend"} <= set(load_workbook(path).sheetnames)
    assert live_server.outside == []
