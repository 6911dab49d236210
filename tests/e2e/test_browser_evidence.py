"""The evidence form in a real browser (Playwright + Debian's chromium), at a phone's width:
several files chosen at once are sent one by one with a progress bar, the page then shows them
with their server-made thumbnails, a refused file is named in Chinese without losing the
others, and a file opens as a download.  SQLite only: the database is covered elsewhere."""

from __future__ import annotations

import pytest
from conftest import petition
from evidence_files import exe, jpeg, pdf

from casework.lifecycle.intake import receive
from tests.e2e.browser import open_page
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_cadre_adds_photos_and_a_record_from_her_phone(chromium, live_server, people, cw):
    number = receive(cw, people["operator"], petition()).number
    page = open_page(chromium, live_server, "zh-CN")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server, people["village_a1"].username)
    page.goto(f"{live_server.url}/cases/{number}")
    camera = page.locator("#evidence-camera")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    page.set_input_files("#evidence-files", [
        {"name": "伤情照片.jpg", "mimeType": "image/jpeg", "buffer": jpeg()},
        {"name": "诊断证明.pdf", "mimeType": "application/pdf",
         "buffer": pdf(pad=3 * 1024 * 1024)},
    ])
    page.fill("#evidence-note", "入户走访时拍摄")
    page.click("#evidence-form button[type=submit]")
    items = page.locator(".evidence-item")
    items.nth(1).wait_for()  # the page reloads once both are in
    assert items.count() == 2
    assert "伤情照片.jpg" in items.nth(0).inner_text() and "诊断证明.pdf" in page.content()
    thumb = page.locator(".evidence-thumb").first
    for _ in range(100):  # the thumbnail arrives after the page: wait for it to be decoded
        width = thumb.evaluate("image => image.complete ? image.naturalWidth : -1")
        if width >= 0:
            break
        page.wait_for_timeout(100)
    assert 0 < width <= 320  # the server's thumbnail, not the photo
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    with page.expect_download() as download:
        page.locator(".evidence-name", has_text="诊断证明.pdf").click()
    assert download.value.suggested_filename == "诊断证明.pdf"
    page.reload()
    assert page.locator('.event[data-action="view_attachment"]').count() == 1
    assert live_server.outside == []


def test_a_refused_file_is_named_and_the_others_still_go(chromium, live_server, people, cw):
    number = receive(cw, people["operator"], petition()).number
    page = open_page(chromium, live_server, "zh-CN")
    log_in(page, live_server, people["village_a1"].username)
    page.goto(f"{live_server.url}/cases/{number}")
    page.set_input_files("#evidence-files", [
        {"name": "照片.jpg", "mimeType": "image/jpeg", "buffer": exe()},
        {"name": "记录.pdf", "mimeType": "application/pdf", "buffer": pdf()},
    ])
    page.click("#evidence-form button[type=submit]")
    status = page.locator("#evidence-status")
    status.locator("text=已添加：记录.pdf").wait_for()
    refused = status.locator(".text-danger").inner_text()
    assert "照片.jpg 未能添加：这是一个程序，不是照片、文档或录音" in refused
    assert page.locator("#evidence-progress progress").get_attribute("value") == "100"
    page.reload()
    assert page.locator(".evidence-item").count() == 1
    assert live_server.outside == []
    # Chromium logs every 4xx answer to a script as a console error; this one was expected.
    expected = [line for line in live_server.console_errors if "status of 422" in line]
    assert len(expected) == 1
    live_server.console_errors[:] = [line for line in live_server.console_errors
                                     if line not in expected]
