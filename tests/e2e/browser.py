"""Playwright (Python) driving Debian's chromium against the app served on loopback.

Every request the page makes is checked: anything not addressed to the test server is aborted
and recorded, and the test fails if there was any (the pages must work with no internet).
Every console error and uncaught script error is recorded too, and fails the test: chromium
reports each thing the content security policy blocks (an inline script, a style attribute)
as a console error.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, with no network beyond loopback: no sandbox, and no background calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps"]


@dataclass
class LiveServer:
    url: str
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextmanager
def demo_county_served(secret_key: str) -> Iterator[tuple[object, str]]:
    """(the Casework, its address): the demo county (300 cases) in a temporary database,
    served on loopback for chromium, all of it gone afterwards.  For the screenshots
    (scripts/screenshots.py) and the weight of the pages (bench/pages.py)."""
    from casework.bootstrap import bootstrap
    from casework.config import Settings
    from casework.entrypoints.demo import build_demo
    from casework.privacy.crypto import generate_key
    from casework.storage.schema import upgrade
    from webui import create_app

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="casework-demo-") as folder:
        cw = bootstrap(Settings(database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
                                workflow_path=root / "workflows.yaml", secret_key=secret_key,
                                data_key=generate_key()))
        try:
            upgrade(cw.engine)
            build_demo(cw, cases=300)
            with served_on_loopback(create_app(casework=cw)) as url:
                yield cw, url
        finally:
            cw.engine.dispose()


def answered_whole(app):
    """The app, each answer read whole and closed before the server sends it.

    werkzeug's development server skips an answer's close() when the browser drops the
    connection mid-answer (a page left before its icon arrived), and the file sent stays open
    for the collector; gunicorn, which serves Casework, closes it whatever happens.  The pages
    stream nothing, so the browser sees the same answers."""
    def whole(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return whole


@contextmanager
def served_on_loopback(app) -> Iterator[str]:
    """The app's address while werkzeug serves it from a thread of its own."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    with served_on_loopback(answered_whole(app)) as url:
        live = LiveServer(url=url)
        yield live
    assert live.console_errors == [], ("the pages logged errors in the browser's console:\n"
                                       + "\n".join(live.console_errors))


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(chromium, live_server: LiveServer, locale: str = "zh-CN", **options):
    """A fresh browser context whose every request must stay on the test server (``options``:
    more of Playwright's context options, e.g. a viewport or a device scale factor)."""
    context = chromium.new_context(locale=locale, accept_downloads=True,
                                   extra_http_headers={"Accept-Language": locale}, **options)
    page = context.new_page()

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            live_server.outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda message: message.type == "error"
            and live_server.console_errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: live_server.console_errors.append(
        f"{page.url}: {error}"))
    return page


def log_out_on_a_phone(page) -> None:
    """Unfold the phone's menu and press 登出. The menu slides open: a tap while it is still
    moving can land beside the button (Playwright clicks where the button was a frame before),
    so the tap waits for the menu to have opened, as her eye does."""
    if not page.locator("#nav-links.collapse.show").count():
        page.click("button.navbar-toggler")
        page.wait_for_selector("#nav-links.collapse.show")
    page.click("form[action='/logout'] button")
