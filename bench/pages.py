"""``python -m bench pages``: the bytes a page moves over the wire, first and repeat visit.

The demo county (casework/entrypoints/demo.py, 300 cases) in a temporary SQLite database,
served on loopback by the app itself; Playwright drives Debian's chromium as a 390x844 touch
phone.  Each page is opened by the user who works in it, in a fresh browser (empty cache),
logged in through the login form's HTTP calls outside the page, so that the login page's own
files are not already cached.  Chromium's DevTools protocol reports every response's bytes as
received from the network (headers and the compressed body: ``encodedDataLength``) and the
body once decoded.  The repeat visit opens the same address again from a link (not a reload,
which revalidates): files under hashed names come from the browser's cache and move nothing.

Contract ("On a phone"): the worklist's first visit at most 150 KB, a later visit at most 15 KB.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

KB = 1000
FIRST_TARGET, REPEAT_TARGET = 150 * KB, 15 * KB
SCREEN = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
          "device_scale_factor": 2}


@dataclass
class Visit:
    requests: int = 0
    wire: int = 0  # bytes received, headers included, bodies as sent (compressed)
    decoded: int = 0  # the bodies once decoded
    cached: int = 0  # responses the browser took from its cache
    files: list[str] = field(default_factory=list)


@dataclass
class Measured:
    page: str
    user: str
    address: str
    first: Visit
    repeat: Visit


def watch(page) -> tuple[object, dict]:
    """A DevTools session on ``page`` adding each response's bytes to the current visit."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    state: dict = {"visit": Visit(), "urls": {}}

    def response(event):
        state["urls"][event["requestId"]] = event["response"]["url"]

    def data(event):
        state["visit"].decoded += event["dataLength"]

    def finished(event):
        visit, url = state["visit"], state["urls"].get(event["requestId"], "?")
        if url.startswith("data:"):
            return  # an image inside the CSS: no request
        if not event["encodedDataLength"]:
            visit.cached += 1  # taken from the browser's cache: nothing moved
            return
        visit.requests += 1
        visit.wire += int(event["encodedDataLength"])
        visit.files.append(re.sub(r"^https?://[^/]+", "", url))

    session.on("Network.responseReceived", response)
    session.on("Network.dataReceived", data)
    session.on("Network.loadingFinished", finished)
    return session, state


def measure(browser, url: str, user: str, password: str, address: str, name: str) -> Measured:
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"},
                                  **SCREEN)
    login = context.request.get(f"{url}/login").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    context.request.post(f"{url}/login", form={"username": user, "password": password,
                                                "csrf_token": token}, max_redirects=0)
    page = context.new_page()
    _, state = watch(page)
    page.goto(f"{url}{address}", wait_until="networkidle")
    first, state["visit"] = state["visit"], Visit()
    # The repeat visit: a link to the same page, as when she comes back to it later.
    page.goto(f"{url}/account", wait_until="networkidle")
    state["visit"] = Visit()
    page.goto(f"{url}{address}", wait_until="networkidle")
    repeat = state["visit"]
    context.close()
    return Measured(name, user, address, first, repeat)


def bench_pages() -> list[Measured]:
    from playwright.sync_api import sync_playwright

    from bench.common import say
    from casework.entrypoints.demo import DEMO_PASSWORD
    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, demo_county_served

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line a request otherwise
    results = []
    with demo_county_served("bench-pages") as (_, url), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        number = first_case(browser, url, DEMO_PASSWORD)
        for name, user, address in (
                ("worklist", "village", "/"),
                ("case page", "village", f"/cases/{number}"),
                # A long list: the demo village's worklist holds a few cases only.
                ("case list, 50 a page", "county", "/cases?per_page=50"),
                ("intake", "hotline", "/cases/new"),
                ("monthly report", "county", "/reports/monthly?area=450330")):
            say(f"pages: {name}")
            results.append(measure(browser, url, user, DEMO_PASSWORD, address, name))
        browser.close()
    return results


def first_case(browser, url: str, password: str) -> str:
    """The first case of the village cadre's worklist (the one she would open)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "village")
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    href = page.locator("table a[href^='/cases/']").first.get_attribute("href")
    context.close()
    return href.rsplit("/", 1)[1]


def pages_section(results: list[Measured], run: str) -> str:
    def kb(n: int) -> str:
        return f"{n / KB:.1f}"

    lines = [
        "## Bytes a page moves on a phone: first and repeat visit (issue 13)",
        "",
        run,
        "",
        "The demo county (300 cases) served on loopback by the app; Debian's chromium as a "
        "390x844 touch phone through Playwright; bytes as received from the network "
        "(DevTools' `encodedDataLength`: headers and compressed bodies), and the bodies once "
        "decoded.  First visit: a fresh browser, empty cache, logged in outside the page.  "
        "Repeat visit: the same address again from a link; files under hashed names come "
        "from the browser's cache.  1 KB = 1,000 bytes.  `bench/pages.py`.",
        "",
        "| page | user | first visit: requests | KB moved | KB decoded "
        "| repeat visit: requests | KB moved | files from the cache |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.page} | {r.user} | {r.first.requests} | {kb(r.first.wire)} | "
                     f"{kb(r.first.decoded)} | {r.repeat.requests} | {kb(r.repeat.wire)} | "
                     f"{r.repeat.cached} |")
    worklist = next((r for r in results if r.page == "worklist"), None)
    if worklist:
        first_ok = worklist.first.wire <= FIRST_TARGET
        repeat_ok = worklist.repeat.wire <= REPEAT_TARGET
        lines += ["", f"Contract, the worklist: first visit {kb(worklist.first.wire)} KB against "
                  f"150 KB ({'met' if first_ok else 'NOT met'}); repeat visit "
                  f"{kb(worklist.repeat.wire)} KB against 15 KB "
                  f"({'met' if repeat_ok else 'NOT met'})."]
        lines += ["", "The worklist's first visit, file by file: "
                  + ", ".join(f"`{f.split('?')[0]}`" for f in worklist.first.files) + "."]
    return "\n".join(lines)
