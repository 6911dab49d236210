"""The language switch and the browser's language, on the case pages."""

from __future__ import annotations

import pytest

from e2e.case_pages import text
from e2e.conftest import csrf_token_of

pytestmark = pytest.mark.usefixtures("english")  # English texts, unless marked ``chinese``


# -- language ---------------------------------------------------------------------------------
@pytest.mark.chinese
def test_the_language_switch_changes_the_page_language_and_sticks(as_user):
    client = as_user("village_a1")
    assert '<html lang="zh-CN">' in text(client.get("/"))
    answer = client.post("/language", data={"locale": "en", "next": "/cases?status=pending"})
    assert (answer.status_code, answer.headers["Location"]) == (303, "/cases?status=pending")
    page = text(client.get("/", headers={"Accept-Language": "zh-CN"}))
    assert '<html lang="en">' in page and "Worklist" in page
    for elsewhere in ("https://evil.example/", "/a\r\nSet-Cookie: x=1"):
        answer = client.post("/language", data={"locale": "zh_CN", "next": elsewhere})
        assert answer.headers["Location"] == "/"
    assert '<html lang="zh-CN">' in text(client.get("/", headers={"Accept-Language": "en"}))
    assert client.post("/language", data={"locale": "fr"}).status_code == 400


@pytest.mark.chinese
def test_without_a_choice_the_browser_language_is_used(client, people):
    assert '<html lang="en">' in text(client.get("/login", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-CN">' in text(client.get("/login"))


def test_the_language_switch_needs_the_csrf_token(csrf_app, people):
    client = csrf_app.test_client()
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    token = csrf_token_of(client)
    assert client.post("/language", data={"locale": "en", "csrf_token": token}).status_code == 303
    assert '<html lang="en">' in text(client.get("/login"))
