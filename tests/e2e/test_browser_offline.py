"""A village cadre's own phone with a signal that comes and goes, in chromium (DESIGN.md, "On a
phone"): the worklist and an opened case read with no network under the offline banner, a
note taken offline arrives once when the network returns (also when the first answer was
lost), a note on a case changed meanwhile is shown to redo, and logout or an unticked login
leaves nothing in the browser's Cache Storage or IndexedDB."""

from __future__ import annotations

import pytest
from conftest import petition
from sqlalchemy import select

from casework.lifecycle import actions
from casework.lifecycle.cases import event_json
from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import Event
from tests.e2e.browser import log_out_on_a_phone, open_page
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
KEPT = """async () => {
  const out = {caches: await caches.keys(), pages: [], databases: [], workers: 0};
  if (out.caches.includes('casework-pages')) {
    const cache = await caches.open('casework-pages');
    out.pages = (await cache.keys()).map((r) => r.url);
  }
  out.databases = (await indexedDB.databases()).map((d) => d.name);
  out.workers = (await navigator.serviceWorker.getRegistrations()).length;
  return out;
}"""

KEPT_PAGE_TEXT = """async () => {
  const cache = await caches.open('casework-pages');
  const texts = await Promise.all((await cache.keys()).map(
    async (request) => (await cache.match(request)).text()));
  return texts.join('\\n');
}"""


def log_in(page, server, username: str, *, own_phone: bool) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if own_phone:
        page.check("#own_device")
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")


def kept(page) -> dict:
    return page.evaluate(KEPT)


def until(page, predicate, what: str) -> dict:
    """Poll what the browser kept until ``predicate`` holds (the service worker and app.js
    work in the background); fail naming ``what`` after about 15 s."""
    for _ in range(150):
        now = kept(page)
        if predicate(now):
            return now
        page.wait_for_timeout(100)
    raise AssertionError(f"{what}: {now}")


def notes(cw, text: str) -> int:
    """How many note events say ``text`` (notes are sealed at rest: opened to compare)."""
    with reading(cw.engine) as session:
        events = session.execute(select(Event).where(Event.action == "note")).scalars().all()
        return sum(event_json(event, cw.keyring)["note"] == text for event in events)


def open_own_phone(chromium, live_server, people, case) -> tuple:
    """The cadre on her own phone, with the worklist and ``case`` kept; the page and URLs."""
    page = open_page(chromium, live_server, **PHONE)
    log_in(page, live_server, people["village_a1"].username, own_phone=True)
    worklist, case_url = f"{live_server.url}/", f"{live_server.url}/cases/{case.number}"
    page.goto(case_url)
    page.wait_for_load_state("networkidle")
    until(page, lambda k: {worklist, case_url} <= set(k["pages"]),
          "the worklist and the case page are kept")
    return page, worklist, case_url


def add_note_offline(page, case_url: str, text: str) -> None:
    page.context.set_offline(True)
    page.goto(case_url)
    assert page.locator("#offline-banner").is_visible()
    page.fill("#action-note textarea[name=note]", text)
    page.click("#action-note button[name=action]")
    page.wait_for_selector("#offline-waiting:not([hidden])")
    assert text in page.locator("#offline-waiting").inner_text()


def test_an_own_phone_reads_offline_and_its_note_arrives_once(chromium, live_server, people,
                                                             cw):
    case = receive(cw, people["operator"], petition())
    page, worklist, case_url = open_own_phone(chromium, live_server, people, case)
    page.context.set_offline(True)
    page.goto(worklist)
    assert page.locator("#offline-banner").is_visible()
    assert "离线" in page.locator("#offline-banner").inner_text()
    assert case.number in page.content()
    page.reload()
    assert case.number in page.content() and page.locator("#offline-banner").is_visible()
    add_note_offline(page, case_url, "没有信号时记下的回访情况")
    assert notes(cw, "没有信号时记下的回访情况") == 0
    page.context.set_offline(False)
    page.wait_for_selector("#offline-waiting", state="hidden")
    assert notes(cw, "没有信号时记下的回访情况") == 1
    assert page.locator("#offline-banner").is_hidden()
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(".timeline .event .note", has_text="没有信号时记下的回访情况").count() == 1
    assert notes(cw, "没有信号时记下的回访情况") == 1
    assert live_server.outside == []


class LoseTheFirstAnswer:
    """The server does the first action sent, but its answer never reaches the phone: the
    proxy gave up waiting (a 504), as happens on a weak signal."""

    def __init__(self, app) -> None:
        self.inner, self.lost = app.wsgi_app, []

    def __call__(self, environ, start_response):
        if (environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/actions")
                and not self.lost):
            self.lost.append(environ["PATH_INFO"])
            b"".join(self.inner(environ, lambda *args: None))
            start_response("504 Gateway Timeout", [("Content-Type", "text/plain")])
            return [b"the upstream took too long"]
        return self.inner(environ, start_response)


def expected_errors(live_server, *statuses: str) -> None:
    """The browser logs each refused answer the queue met; these were the test's point."""
    seen = [line for line in live_server.console_errors
            if any(f"status of {status}" in line for status in statuses)]
    assert seen, live_server.console_errors
    live_server.console_errors[:] = [e for e in live_server.console_errors if e not in seen]


def lost_on_the_way(live_server) -> None:
    """The browser logs each post that got no answer; on a weak signal that is the point."""
    seen = [line for line in live_server.console_errors if "net::ERR_" in line]
    assert seen, live_server.console_errors
    live_server.console_errors[:] = [e for e in live_server.console_errors if e not in seen]


def test_a_note_whose_answer_was_lost_is_not_sent_twice(app, chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    add_note_offline(page, case_url, "信号断断续续")
    proxy = LoseTheFirstAnswer(app)
    app.wsgi_app = proxy
    page.context.set_offline(False)
    until(page, lambda k: proxy.lost, "the first try went out")
    assert notes(cw, "信号断断续续") == 1
    page.wait_for_selector("#offline-waiting:not([hidden])")  # no answer: still waiting
    page.reload()  # the next try: 409, and the note is found already there
    page.wait_for_selector("#offline-waiting", state="hidden")
    assert page.locator("#offline-redo").is_hidden()
    assert notes(cw, "信号断断续续") == 1
    expected_errors(live_server, "504", "409")


def test_a_note_on_a_case_changed_meanwhile_is_shown_to_redo(chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    add_note_offline(page, case_url, "她说下周再谈")
    actions.perform(cw, people["operator"], case.number,
                    {"action": "note", "version": case.version, "note": "热线又接到她的电话"})
    page.context.set_offline(False)
    page.wait_for_selector("#offline-redo:not([hidden])")
    redo = page.locator("#offline-redo").inner_text()
    assert case.number in redo and "她说下周再谈" in redo and "需要重做" in redo
    assert page.locator("#offline-waiting").is_hidden()
    assert notes(cw, "她说下周再谈") == 0  # never applied blindly
    page.reload()
    page.wait_for_load_state("networkidle")
    assert "她说下周再谈" in page.locator("#offline-redo").inner_text()  # and never dropped
    expected_errors(live_server, "409")


def test_logout_wipes_what_the_phone_kept(chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, _case_url = open_own_phone(chromium, live_server, people, case)
    before = until(page, lambda k: "casework-offline" in k["databases"], "the queue exists")
    assert "casework-static" in before["caches"] and before["workers"] == 1
    log_out_on_a_phone(page)
    page.wait_for_url("**/login")
    until(page, lambda k: k == {"caches": [], "pages": [], "databases": [], "workers": 0},
          "nothing kept after logout")


def test_a_login_without_the_tick_keeps_nothing(chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page = open_page(chromium, live_server, **PHONE)
    log_in(page, live_server, people["village_a1"].username, own_phone=False)
    page.goto(f"{live_server.url}/cases/{case.number}")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    assert kept(page) == {"caches": [], "pages": [], "databases": [], "workers": 0}
    assert page.locator("#offline-banner").is_hidden()
    # A shared phone's action stays a plain post: nothing is kept to send later.
    page.goto(f"{live_server.url}/cases/{case.number}")
    posts = []
    page.route(f"**/cases/{case.number}",
               lambda route: (posts.append(route.request.resource_type), route.continue_()))
    page.fill("#action-note textarea[name=note]", "共用手机上的备注")
    with page.expect_navigation():
        page.click("#action-note button[name=action]")
    assert posts[0] == "document" and notes(cw, "共用手机上的备注") == 1
    assert kept(page)["databases"] == []


def test_logging_out_with_items_unsent_asks_first(chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    add_note_offline(page, case_url, "还没发出去的备注")
    asked = []

    def decline(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    log_out_on_a_phone(page)
    until(page, lambda k: asked, "she was asked")
    assert "1" in asked[0] and "丢失" in asked[0]
    assert page.url == case_url and page.locator("#offline-waiting").is_visible()
    page.context.set_offline(False)  # the signal returns: it is sent, and logout asks nothing
    page.wait_for_selector("#offline-waiting", state="hidden")
    log_out_on_a_phone(page)
    page.wait_for_url("**/login")
    assert notes(cw, "还没发出去的备注") == 1 and len(asked) == 1


def weak_signal(page, number: str) -> list:
    """The browser still says online, but every action posted (the form's and the queue's)
    is lost on the way; returns the routes to release."""
    lost: list = []

    def lose(route):
        if route.request.method == "POST":
            lost.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    patterns = [f"**/cases/{number}", f"**/api/v1/cases/{number}/actions"]
    for pattern in patterns:
        page.route(pattern, lose)
    return [patterns, lost]


def test_a_note_sent_on_a_weak_signal_is_queued_and_arrives_once(chromium, live_server, people,
                                                                 cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    patterns, lost = weak_signal(page, case.number)
    page.fill("#action-note textarea[name=note]", "信号很弱时写下的备注")
    page.click("#action-note button[name=action]")
    page.wait_for_selector("#action-note .offline-queued")
    page.wait_for_selector("#offline-waiting:not([hidden])")
    assert "信号很弱时写下的备注" in page.locator("#offline-waiting").inner_text()
    assert page.url == case_url and lost and notes(cw, "信号很弱时写下的备注") == 0
    for pattern in patterns:
        page.unroute(pattern)
    # The sender tries again on its own (15 s after the failed try), with no page change.
    page.wait_for_selector("#offline-waiting", state="hidden", timeout=60_000)
    assert page.locator("#offline-redo").is_hidden()
    assert notes(cw, "信号很弱时写下的备注") == 1
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator(".timeline .event .note", has_text="信号很弱时写下的备注").count() == 1
    lost_on_the_way(live_server)


def test_an_answer_on_a_good_signal_shows_as_a_plain_post_would(chromium, live_server, people,
                                                                cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    page.fill("#action-note textarea[name=note]", "网络正常时的备注")
    page.click("#action-note button[name=action]")
    page.wait_for_selector(".alert-success")  # the "Done" of the page the redirect led to
    assert page.url == case_url and notes(cw, "网络正常时的备注") == 1
    actions.perform(cw, people["operator"], case.number,
                    {"action": "note", "version": case.version + 1, "note": "热线的备注"})
    page.fill("#action-note textarea[name=note]", "案件已变时的备注")
    page.click("#action-note button[name=action]")
    page.wait_for_selector("text=您查看期间案件已被他人更改")  # the server's 409 page
    assert page.locator("#action-note textarea[name=note]").input_value() == "案件已变时的备注"
    assert page.locator("#offline-waiting").is_hidden()
    assert notes(cw, "案件已变时的备注") == 0
    expected_errors(live_server, "409")


def test_the_full_number_offline_says_it_needs_a_signal(chromium, live_server, people, cw):
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    button = page.locator("form.reveal-phone button")
    assert button.is_enabled() and page.locator(".reveal-needs-signal").is_hidden()
    page.context.set_offline(True)
    page.goto(case_url)
    page.wait_for_selector(".reveal-needs-signal:not([hidden])")
    assert "显示完整号码需要网络" in page.locator(".reveal-needs-signal").inner_text()
    assert button.is_disabled() and page.url == case_url
    assert page.locator("#full-phone").count() == 0
    page.context.set_offline(False)
    page.wait_for_selector(".reveal-needs-signal", state="hidden")
    assert button.is_enabled()
    # A weak signal: the browser says online, but the post is lost on the way.
    patterns, lost = weak_signal(page, f"{case.number}/phone")
    button.click()
    page.wait_for_selector(".reveal-needs-signal:not([hidden])")
    assert lost and page.url == case_url and page.locator("#full-phone").count() == 0
    for pattern in patterns:
        page.unroute(pattern)
    button.click()  # the signal is back: the server's answer shows the number
    page.wait_for_selector("#full-phone")
    full = page.locator("#full-phone").inner_text()
    assert full and page.url == case_url
    kept_text = page.evaluate(KEPT_PAGE_TEXT)
    assert case.number in kept_text and full not in kept_text  # the phone never keeps it
    lost_on_the_way(live_server)


def test_a_post_that_arrived_but_hung_is_not_done_twice(chromium, live_server, people, cw):
    """The server did the note, but its answer never came back within the phone's wait: the
    note is queued, and the queue's try finds it already in the case (a 409, then her event)."""
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    held = []

    def arrive_then_hang(route):
        if route.request.method != "POST":
            route.continue_()
            return
        held.append(route.fetch())  # the server answers; the phone never hears it

    page.route(f"**/cases/{case.number}", arrive_then_hang)
    page.fill("#action-note textarea[name=note]", "回答一直没有回来")
    page.click("#action-note button[name=action]")
    page.wait_for_selector("#offline-waiting:not([hidden])", timeout=60_000)
    assert held and notes(cw, "回答一直没有回来") == 1
    page.wait_for_selector("#offline-waiting", state="hidden", timeout=60_000)
    assert page.locator("#offline-redo").is_hidden()
    assert notes(cw, "回答一直没有回来") == 1
    expected_errors(live_server, "409")  # a post the phone gave up on logs nothing


def test_a_gateways_error_queues_the_note_and_later_ones_wait_behind_it(chromium, live_server,
                                                                          people, cw):
    """A proxy's 502 is no answer from Casework: the note is queued, not lost behind an error
    page; a second note taken meanwhile goes behind it, and both arrive once, in order."""
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    patterns = [f"**/cases/{case.number}", f"**/api/v1/cases/{case.number}/actions"]

    def bad_gateway(route):
        if route.request.method == "POST":
            route.fulfill(status=502, body="<html><body>502 Bad Gateway</body></html>",
                          content_type="text/html")
        else:
            route.continue_()

    for pattern in patterns:
        page.route(pattern, bad_gateway)
    page.fill("#action-note textarea[name=note]", "网关出错时的第一条")
    page.click("#action-note button[name=action]")
    page.wait_for_selector("#offline-waiting:not([hidden])")
    assert page.url == case_url and "Bad Gateway" not in page.content()
    page.fill("#action-note textarea[name=note]", "排在后面的第二条")
    page.click("#action-note button[name=action]")
    for _ in range(150):  # the page's CSP allows no evaluated script: poll from here
        if page.locator("#offline-waiting-list li").count() == 2:
            break
        page.wait_for_timeout(100)
    assert page.locator("#offline-waiting-list li").count() == 2
    assert notes(cw, "网关出错时的第一条") == notes(cw, "排在后面的第二条") == 0
    for pattern in patterns:
        page.unroute(pattern)
    page.wait_for_selector("#offline-waiting", state="hidden", timeout=60_000)
    assert page.locator("#offline-redo").is_hidden()
    with reading(cw.engine) as session:
        sent = [event_json(e, cw.keyring)["note"] for e in session.execute(
            select(Event).where(Event.case_id == case.id, Event.action == "note")
            .order_by(Event.seq)).scalars()]
    assert sent == ["网关出错时的第一条", "排在后面的第二条"]
    expected_errors(live_server, "502")


def test_a_danger_assessment_and_a_measure_taken_offline_arrive_once(chromium, live_server,
                                                                       people, cw):
    """Not only notes: an assessment's answers and a protective measure's stage taken with no
    signal are queued with the case's version and arrive once, with what she entered."""
    case = receive(cw, people["operator"], petition())
    page, _worklist, case_url = open_own_phone(chromium, live_server, people, case)
    page.context.set_offline(True)
    page.goto(case_url)
    assert page.locator("#offline-banner").is_visible()
    page.click("#action-assess >> xpath=.. >> summary")
    boxes = page.locator("#action-assess input[type=checkbox]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    page.click("#action-assess button[value=assess]")
    page.wait_for_selector("#offline-waiting:not([hidden])")
    page.click("#measures > details > summary")  # "Record a new measure"
    measure = page.locator("#measures > details form.measure-form").first
    for field in measure.locator("input[required]").all():
        if field.get_attribute("type") == "text" and not field.input_value():
            field.fill("城关镇妇女之家")
    measure.locator("button[value=measure]").click()
    for _ in range(150):  # the page's CSP allows no evaluated script: poll from here
        if page.locator("#offline-waiting-list li").count() == 2:
            break
        page.wait_for_timeout(100)
    assert page.locator("#offline-waiting-list li").count() == 2
    # The signal returns on this page, which sends both: a page loaded while this one's sender
    # is mid-way would send again what had already arrived (found there after a 409, as
    # test_a_note_whose_answer_was_lost_is_not_sent_twice shows).
    page.context.set_offline(False)
    page.wait_for_selector("#offline-waiting", state="hidden", timeout=60_000)
    page.reload()
    assert page.locator("#offline-redo").is_hidden()
    with reading(cw.engine) as session:
        taken = [event_json(e, cw.keyring) for e in session.execute(
            select(Event).where(Event.case_id == case.id,
                                Event.action.in_(("assess", "measure")))
            .order_by(Event.seq)).scalars()]
    assert [e["action"] for e in taken] == ["assess", "measure"]
    answers = taken[0]["data"]["answers"]
    assert sum(answers.values()) == 1 and len(answers) >= 2
