"""On a phone (contract: "On a phone"): Playwright driving Debian's chromium as a touch phone
at 390x844 and 360x740.  Every page of tests/e2e/page_table.py, as every role that opens it:
nothing wider than the screen, and every button and button-like link in the page's content a
tap target of 44x44 px or more.  A village cadre accepts and resolves a case with her thumb.

Runs on SQLite only: this is about the pages.  docs/phones.md says what a phone user sees.
"""

from __future__ import annotations

import pytest
from conftest import petition

from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from tests.e2e.browser import open_page
from tests.e2e.conftest import PASSWORD
from tests.e2e.page_table import ANONYMOUS, EVERYONE, visits

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONES = {"390x844": {"width": 390, "height": 844}, "360x740": {"width": 360, "height": 740}}
TOUCH = {"has_touch": True, "is_mobile": True, "device_scale_factor": 2}
TAP = 44  # CSS px, WCAG 2.5.5

# Every element whose right edge passes the window's, but for what is inside a box that scrolls
# on its own (a wide data table, WCAG 1.4.10's exception): the lists of cases are cards, so
# theirs are looked at too.
TOO_WIDE = """() => {
  const width = window.innerWidth, found = [];
  if (document.documentElement.scrollWidth > width)
    found.push(`the page: ${document.documentElement.scrollWidth} px`);
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // not shown, or visually hidden
    const scroller = element.parentElement.closest('.table-responsive');
    if (scroller && !scroller.querySelector('table.case-cards')) continue;
    if (box.right > width + 0.5 || box.left < -0.5)
      found.push(`${element.outerHTML.slice(0, 90)} (${Math.round(box.left)}..` +
                 `${Math.round(box.right)} px)`);
  }
  return found.slice(0, 8);
}"""

# Buttons and what looks like one in the page's content (a link inside a sentence is exempt in
# WCAG 2.5.5, and is not looked at), visible ones only.
SMALL_TARGETS = """(tap) => {
  const found = [];
  const targets = document.querySelectorAll(
    'main button, main a.btn, main .page-link, main summary.btn, main input[type=submit], ' +
    'main table.case-cards a');
  for (const element of targets) {
    if (!element.checkVisibility()) continue;
    const box = element.getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;  // visually hidden
    if (box.width < tap || box.height < tap)
      found.push(`${element.outerHTML.slice(0, 90)} (${Math.round(box.width)}x` +
                 `${Math.round(box.height)})`);
  }
  return found;
}"""


def phone_as(chromium, live_server, people, role: str, screen: dict):
    """A phone's browser page of ``role`` (logged in, unless anonymous)."""
    page = open_page(chromium, live_server, viewport=screen, **TOUCH)
    if role != ANONYMOUS:
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", people[role].username)
        page.fill("input[name=password]", PASSWORD)
        page.tap("main form button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
    return page


def visit(page, live_server, path: str) -> None:
    answer = page.goto(f"{live_server.url}{path}")
    if answer.status >= 400:  # a refused form or an error page, meant to be: not a page error
        expected = f"{page.url}: Failed to load resource: the server responded with a status " \
                   f"of {answer.status}"
        live_server.console_errors[:] = [error for error in live_server.console_errors
                                         if not error.startswith(expected)]


@pytest.mark.parametrize("screen", PHONES)
@pytest.mark.parametrize("role", EVERYONE)
def test_every_page_fits_a_phone_and_its_buttons_take_a_thumb(
        chromium, live_server, people, cases, role, screen):
    page = phone_as(chromium, live_server, people, role, PHONES[screen])
    found, seen = [], 0
    for path in visits(role, cases):
        visit(page, live_server, path)
        where = f"{path} at {screen} as {role}"
        found += [f"{where}: wider than the screen: {what}" for what in page.evaluate(TOO_WIDE)]
        found += [f"{where}: a tap target under {TAP} px: {what}"
                  for what in page.evaluate(SMALL_TARGETS, TAP)]
        seen += 1
    assert seen >= 1
    assert not found, f"{len(found)} problems on a phone:\n" + "\n".join(found)
    assert live_server.outside == []


def test_the_worklist_is_cards_with_the_deadline_mark_and_a_masked_phone(
        chromium, live_server, people, cases):
    page = phone_as(chromium, live_server, people, "village_a1", PHONES["390x844"])
    card = page.locator(f"table.case-cards tr:has(a[href='/cases/{cases['overdue']}'])")
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    assert page.locator("table.case-cards thead").is_hidden()
    text = card.inner_text()
    assert "逾期" in text and "138****5678" in text and "13812345678" not in text
    assert card.locator("[data-mark=overdue]").is_visible()
    # The same markup is still the table on a desktop.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert card.evaluate("row => getComputedStyle(row).display") == "table-row"
    assert page.locator("table.case-cards thead").is_visible()


def test_a_case_page_on_a_phone_shows_the_actions_above_the_facts_and_timeline(
        chromium, live_server, people, cases):
    page = phone_as(chromium, live_server, people, "village_a1", PHONES["360x740"])
    page.goto(f"{live_server.url}/cases/{cases['overdue']}")
    top = [page.locator(heading).bounding_box()["y"]
           for heading in ("#actions-title", "#facts-title", "#timeline-title")]
    assert top == sorted(top)
    assert page.locator("button[name=action][value=accept]").bounding_box()["y"] < 740


def test_the_intake_button_stays_under_the_thumb(chromium, live_server, people):
    page = phone_as(chromium, live_server, people, "operator", PHONES["390x844"])
    page.goto(f"{live_server.url}/cases/new")
    button = page.locator("form#intake button[type=submit]")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 844 and box["y"] > 844 / 2  # in view, at the bottom
    assert box["width"] > 300


def test_a_village_cadre_accepts_and_resolves_a_case_by_tapping(
        chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition(summary="婆媳矛盾，请求调解"))
    page = phone_as(chromium, live_server, people, "village_a1", PHONES["390x844"])
    # Anywhere on the card opens the case (the number's link covers it): here its village line.
    card = page.locator(f"table.case-cards tr:has(a[href='/cases/{case.number}'])")
    village = card.locator("td[data-label]").nth(2).bounding_box()
    page.touchscreen.tap(village["x"] + village["width"] / 2, village["y"] + village["height"] / 2)
    page.wait_for_url(f"**/cases/{case.number}")
    with page.expect_navigation():
        page.tap("button[name=action][value=accept]")
    resolve = page.locator("form:has(button[name=action][value=resolve])")
    for select in resolve.locator("select").all():
        select.select_option(index=1)
    for box in resolve.locator("textarea").all():
        box.tap()
        box.fill("已入户调解，双方达成一致")
    with page.expect_navigation():
        resolve.locator("button[name=action][value=resolve]").tap()
    detail = case_detail(cw, people["county_officer"], case.number)
    assert detail["status"] == "resolved"
    assert [e["action"] for e in detail["events"]][-2:] == ["accept", "resolve"]
    assert live_server.outside == []
