"""A real browser on a phone's width: the hotline operator assesses a caller's danger during the
call, and the case page records a protection order; nothing scrolls sideways."""

from __future__ import annotations

import pytest
from conftest import VILLAGE_A1

from casework.lifecycle.cases import case_detail
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import utcnow
from tests.e2e.browser import open_page
from tests.e2e.test_browser import log_in, shot

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_operator_assesses_danger_on_the_phone_and_records_a_protection_order(
        chromium, live_server, people, cw):
    page = open_page(chromium, live_server)
    page.set_viewport_size(PHONE)
    log_in(page, live_server, people["operator"].username)
    page.goto(f"{live_server.url}/cases/new")
    page.fill("input[name=petitioner_phone]", "13912345678")
    page.fill("input[name=village_code]", VILLAGE_A1)
    page.select_option("select[name=category]", "domestic_violence")
    page.fill("textarea[name=summary]", "丈夫掐脖子，求助")
    # Asked during the call: she answers yes to the strangling question.
    page.check("input[name=risk_strangled]")
    page.check("input[name=risk_controlling]")
    assert no_sideways_scroll(page)
    shot(page, "intake-risk-phone")
    page.click("form#intake button[type=submit]")
    page.wait_for_load_state("networkidle")
    number = page.url.rsplit("/", 1)[1]
    assert "高危" in page.locator("h1 + p").inner_text()
    detail = case_detail(cw, people["operator"], number)
    assert (detail["risk_level"], detail["urgency"]) == ("high", "urgent")

    page.click("#measures > details > summary")
    form = page.locator("form#measure-protection_order-applied-new")
    form.locator("input[name=court]").fill("平乐县人民法院")
    form.locator("button[name=action]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("article.measure").count() == 1
    assert "法院应裁定期限" in page.locator("article.measure").inner_text()
    assert no_sideways_scroll(page)
    shot(page, "case-measures-phone")
    [order] = case_detail(cw, people["operator"], number)["measures"]
    assert (order["measure"], order["stage"], order["court"], order["on"]) == (
        "protection_order", "applied", "平乐县人民法院",
        utcnow().astimezone(SHANGHAI).date().isoformat())
    assert live_server.outside == []
