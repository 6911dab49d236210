"""WCAG 2.1 AA in a real browser: axe-core on every page, as every role that can open it, at a
desktop's 1280 px and a phone's 390 px; no sideways scrolling at 320 px and at 200% zoom; a
visible focus on every Tab stop; the case page's action buttons in order by keyboard.

One browser (the session's chromium), one server and one login per role: the pages are
visited in a loop, and every finding of the loop is reported together, each naming the page,
the width and the element.  docs/accessibility.md says what this covers and what it does not.
"""

from __future__ import annotations

import pytest

from tests.e2e.a11y import (
    axe_violations,
    colour_alone,
    invisible_focus,
    sideways_scroll,
    tab_stops,
)
from tests.e2e.browser import open_page
from tests.e2e.conftest import PASSWORD
from tests.e2e.page_table import ANONYMOUS, EVERYONE, PAGES, page_routes, visits

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DESKTOP, PHONE, NARROWEST = 1280, 390, 320  # CSS px; 320 is WCAG 1.4.10's (1280 at 400%)
HEIGHT = 800


def page_as(chromium, live_server, people, role: str, **options):
    """A browser page of ``role`` (logged in, unless anonymous)."""
    page = open_page(chromium, live_server, **options)
    if role != ANONYMOUS:
        page.goto(f"{live_server.url}/login")
        page.fill("input[name=username]", people[role].username)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(lambda url: "/login" not in url)
    return page


def visit(page, live_server, path: str) -> None:
    """Open ``path`` (waiting for the load event: the page's scripts have run)."""
    answer = page.goto(f"{live_server.url}{path}")
    if answer.status >= 400:
        # A page that shows a refused form (422) or an error page is meant to: chromium's
        # console notes the status, which is not an error of the page.
        expected = f"{page.url}: Failed to load resource: the server responded with a status " \
                   f"of {answer.status}"
        live_server.console_errors[:] = [error for error in live_server.console_errors
                                         if not error.startswith(expected)]


# -- the table of pages is the app's -----------------------------------------------------------
def test_every_page_route_is_in_the_accessibility_table(app):
    missing = page_routes(app) - set(PAGES)
    assert not missing, (f"pages with no entry in tests/e2e/page_table.py PAGES (who can open "
                         f"them?), so axe never sees them: {sorted(missing)}")
    assert set(PAGES) <= page_routes(app), "PAGES names routes the app no longer has"


def test_a_page_added_without_an_entry_in_the_table_is_found_missing(app):
    app.add_url_rule("/notices", "notices", lambda: "a page nobody put in the table")
    app.add_url_rule("/api/v1/notices", "api.notices", lambda: {})  # the API: not a page
    assert page_routes(app) - set(PAGES) == {"/notices"}


def test_the_table_names_exactly_the_roles_that_can_open_each_page(app, people, cases):
    wrong = []
    for rule, entry in PAGES.items():
        path = entry.paths(cases)[0]
        for role in EVERYONE:
            client = app.test_client()
            if role != ANONYMOUS:
                client.post("/login", data={"username": people[role].username,
                                            "password": PASSWORD})
            opens = client.get(path).status_code == 200
            if opens != (role in entry.roles):
                wrong.append(f"{rule} ({path}) as {role}: "
                             f"{'opens' if opens else 'does not open'}")
    assert not wrong, "the table's roles differ from the app's:\n" + "\n".join(wrong)


# -- axe-core and the focus, at a desktop's and a phone's width ---------------------------------
@pytest.mark.parametrize("role", EVERYONE)
def test_every_page_a_role_opens_passes_axe_and_shows_the_focus_at_every_tab_stop(
        chromium, live_server, people, cases, role):
    """axe-core's WCAG 2.1 A and AA rules, no tinted row without a mark in words (1.4.1), and
    a visible focus on every Tab stop (2.4.7), at 1280 and 390 px: one login, one loop."""
    page = page_as(chromium, live_server, people, role,
                   viewport={"width": DESKTOP, "height": HEIGHT})
    found, seen = [], 0
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        for path in visits(role, cases):
            visit(page, live_server, path)
            where = f"{path} at {width} px as {role}"
            found += axe_violations(page, where) + colour_alone(page, where)
            found += invisible_focus(page, where)
            seen += 1
    assert seen >= 2
    assert not found, f"{len(found)} WCAG 2.1 A/AA failures:\n" + "\n".join(found)
    assert live_server.outside == []


# -- overdue and due soon, never by colour alone (WCAG 1.4.1) ---------------------------------
OVERDUE, DUE_SOON = "逾期", "临期"  # the marks' words in Chinese, the pages' default


@pytest.mark.parametrize("path", ["/", "/cases?per_page=50"])
def test_overdue_and_due_soon_rows_say_so_in_words_a_screen_reader_reads(
        chromium, live_server, people, cases, path):
    page = page_as(chromium, live_server, people, "village_a1")
    visit(page, live_server, path)
    rows = {kind: page.locator(f"tr:has(a[href='/cases/{number}'])")
            for kind, number in cases.items()}
    # aria_snapshot is what assistive technology gets: the words must be in it.
    overdue, warned = rows["overdue"].aria_snapshot(), rows["warned"].aria_snapshot()
    assert OVERDUE in overdue and DUE_SOON not in overdue
    assert DUE_SOON in warned and OVERDUE not in warned
    assert rows["in_progress"].locator("[data-mark]").count() == 0
    # The icon is for the eye: hidden from screen readers, so the word alone is the name.
    assert rows["overdue"].locator("[data-mark] svg").get_attribute("aria-hidden") == "true"
    assert colour_alone(page, path) == []


def test_the_case_page_says_overdue_and_due_soon_in_words_beside_the_deadline(
        chromium, live_server, people, cases):
    page = page_as(chromium, live_server, people, "village_a1")
    for kind, word in (("overdue", OVERDUE), ("warned", DUE_SOON)):
        visit(page, live_server, f"/cases/{cases[kind]}")
        assert word in page.locator("dl.facts").aria_snapshot()
    visit(page, live_server, f"/cases/{cases['in_progress']}")
    assert page.locator("[data-mark]").count() == 0


# -- reflow: 320 px and 200% zoom (WCAG 1.4.4, 1.4.10) ------------------------------------------
# The narrow and enlarged views: (what it is, the browser context's options, 200% text?).
ENLARGED = [
    # WCAG 1.4.10's own measure: 320 CSS px, a 1280 px window at 400%.
    (f"{NARROWEST} px", {"viewport": {"width": NARROWEST, "height": HEIGHT}}, False),
    # A desktop browser zoomed to 200%: a 1280 px window lays the page out in 640 CSS px, each
    # drawn with two device pixels.
    (f"200% zoom of {DESKTOP} px", {"viewport": {"width": DESKTOP // 2, "height": HEIGHT // 2},
                                    "device_scale_factor": 2}, False),
    # A phone whose owner set her text to 200% (the system's font size): every rem doubles.
    (f"{PHONE} px with 200% text", {"viewport": {"width": PHONE, "height": HEIGHT}}, True),
]


@pytest.mark.parametrize("role", EVERYONE)
def test_no_page_scrolls_sideways_at_320_px_or_at_200_percent_zoom_in_chinese_or_english(
        chromium, live_server, people, cases, role):
    found = []
    for view, options, big_text in ENLARGED:
        page = page_as(chromium, live_server, people, role, **options)
        for path in visits(role, cases):
            visit(page, live_server, path)
            if big_text:
                page.evaluate("document.documentElement.style.fontSize = '200%'")
            found += sideways_scroll(page, f"{path} at {view} as {role}")
        page.context.close()
    # English words are longer than Chinese ones and break only between words: the pages in
    # English at 320 px, through axe too (the language of the page is marked as English).
    page = page_as(chromium, live_server, people, role, locale="en-US",
                   viewport={"width": NARROWEST, "height": HEIGHT})
    for path in visits(role, cases):
        visit(page, live_server, path)
        where = f"{path} in English at {NARROWEST} px as {role}"
        found += sideways_scroll(page, where) + axe_violations(page, where)
    assert not found, "pages scroll sideways or fail axe:\n" + "\n".join(found)


# -- the case page's actions by keyboard ------------------------------------------------------
@pytest.mark.parametrize("role", ["village_a1", "county_officer"])
@pytest.mark.parametrize("width", [DESKTOP, NARROWEST])
def test_the_case_pages_action_buttons_are_reached_by_tab_in_the_order_they_appear(
        chromium, live_server, people, cases, role, width):
    page = page_as(chromium, live_server, people, role,
                   viewport={"width": width, "height": HEIGHT})
    for number in cases.values():
        visit(page, live_server, f"/cases/{number}")
        # The order they appear in: top to bottom on the screen (one column of forms); a
        # button inside a folded section (a measure's next stage) is not on the screen yet.
        shown = [value for _, value in sorted(page.eval_on_selector_all(
            "button[name=action]",
            "all => all.filter(b => b.checkVisibility({contentVisibilityAuto: true}))"
            ".map(b => [b.getBoundingClientRect().top + window.scrollY, b.value])"))]
        reached = [stop["action"] for stop in tab_stops(page) if stop["action"]]
        assert shown, f"no action for {role} on case {number}: nothing to check"
        assert reached == shown, f"case {number} at {width} px as {role}"


def tab_to(page, selector: str, limit: int = 200) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is never reached by Tab")


def test_a_cadre_with_200_percent_text_on_a_phone_works_a_case_by_keyboard_alone(
        chromium, live_server, people, cases):
    page = page_as(chromium, live_server, people, "village_a1",
                   viewport={"width": PHONE, "height": HEIGHT})

    def zoomed(path: str) -> None:
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert sideways_scroll(page, path) == []

    visit(page, live_server, "/")
    zoomed("/")
    tab_to(page, f"a[href='/cases/{cases['in_progress']}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{cases['in_progress']}")
    zoomed("the case page")
    tab_to(page, "textarea#note-note")
    page.keyboard.type("电话回访，当事人情绪稳定")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "note"
    with page.expect_navigation():  # wait_for_load_state() alone may return before it starts
        page.keyboard.press("Enter")
    zoomed("the case page after the note")
    assert page.locator("li.event[data-action=note]").inner_text().count("电话回访") == 1


# -- refused forms -----------------------------------------------------------------------------
def test_refused_forms_come_back_with_no_axe_violation(chromium, live_server, people, cases):
    """The intake form sent empty and a case action sent without its note come back with their
    errors beside the fields: those pages pass axe as well (they are POST answers, which the
    page table's addresses cannot reach)."""
    page = page_as(chromium, live_server, people, "operator",
                   viewport={"width": PHONE, "height": HEIGHT})
    found = []
    visit(page, live_server, "/cases/new")
    with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
        page.click("form#intake button[type=submit]")
    assert sent.value.status == 422
    assert page.locator("#form-problems").count() == 1
    found += axe_violations(page, "the refused intake form")
    visit(page, live_server, f"/cases/{cases['in_progress']}")
    form = page.locator("form#action-note")
    form.locator("textarea").evaluate("box => box.removeAttribute('required')")
    with page.expect_response(lambda answer: answer.request.method == "POST") as sent:
        form.locator("button[name=action]").click()
    assert sent.value.status == 422
    assert page.locator("#action-problem").count() == 1
    found += axe_violations(page, "the refused note on a case")
    # chromium notes the 422 answers in its console: they are the point here, not errors.
    live_server.console_errors[:] = [error for error in live_server.console_errors
                                     if "status of 422" not in error]
    assert not found, "\n".join(found)
