"""Logging in and out, cookies, CSRF, tokens (throttling and expiry have their own files)."""

from __future__ import annotations

import pytest

from e2e.conftest import csrf_token_of, login
from webui import config, create_app

OPERATOR = "hotline_operator_450330"

@pytest.fixture(autouse=True)
def english(client):
    """These tests read the pages' English texts; Chinese is tested in test_translations."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"



def test_the_login_page_has_the_contract_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page


def test_logging_in_opens_a_session_the_api_accepts(client, people):
    answer = login(client, OPERATOR)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert client.get("/api/v1/cases").status_code == 200


def test_a_wrong_password_answers_401_and_opens_no_session(client, people):
    answer = login(client, OPERATOR, "wrong horse battery")
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.get_data(as_text=True)
    assert client.get("/api/v1/cases").status_code == 401
    assert login(client, "nobody_at_all").status_code == 401


def test_an_empty_login_form_answers_400(client, people):
    assert client.post("/login", data={"username": OPERATOR}).status_code == 400


def test_login_sends_one_only_to_pages_of_this_site(client, people):
    assert login(client, OPERATOR, next="/cases/new").headers["Location"] == "/cases/new"
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert login(client, OPERATOR, next=elsewhere).headers["Location"] == "/"


def test_session_cookies_are_httponly_and_samesite_lax(client, people):
    cookie = login(client, OPERATOR).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_when_the_site_is_https(cw, people, monkeypatch):
    monkeypatch.setenv("CASEWORK_SECURE_COOKIES", "1")
    client = create_app(config.TestConfig(), casework=cw).test_client()
    assert "Secure" in login(client, OPERATOR).headers["Set-Cookie"]


def test_logout_is_a_post_and_ends_the_session(client, people):
    login(client, OPERATOR)
    assert client.get("/logout").status_code == 405
    assert client.get("/api/v1/cases").status_code == 200
    answer = client.post("/logout")
    assert (answer.status_code, answer.headers["Location"]) == (302, "/login")
    assert client.get("/api/v1/cases").status_code == 401


def test_login_and_logout_need_the_csrf_token(csrf_app, people):
    client = csrf_app.test_client()
    refused = login(client, OPERATOR)
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert client.get("/api/v1/cases").status_code == 401
    assert login(client, OPERATOR, csrf_token=csrf_token_of(client)).status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.get("/api/v1/cases").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_token_of(client)}).status_code == 302
    assert client.get("/api/v1/cases").status_code == 401


def test_a_browser_session_api_post_needs_the_csrf_header(csrf_app, people):
    from conftest import petition

    client = csrf_app.test_client()
    login(client, OPERATOR, csrf_token=csrf_token_of(client))
    refused = client.post("/api/v1/cases", json=petition())
    assert (refused.status_code, refused.json["error"]) == (400, "csrf")
    answer = client.post("/api/v1/cases", json=petition(),
                         headers={"X-CSRFToken": csrf_token_of(client)})
    assert answer.status_code == 201


def test_a_bearer_token_api_post_needs_no_csrf_token(csrf_app, cw, people):
    from conftest import petition

    from casework.people.users import create_token

    token = create_token(cw, OPERATOR)
    answer = csrf_app.test_client().post("/api/v1/cases", json=petition(),
                                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201


def test_a_bearer_header_is_never_topped_up_by_a_session_cookie(client, people):
    login(client, OPERATOR)
    answer = client.get("/api/v1/cases", headers={"Authorization": "Bearer cw_wrong"})
    assert answer.status_code == 401


def test_a_session_cookie_carried_to_another_browser_is_dropped(client, people):
    login(client, OPERATOR)
    answer = client.get("/api/v1/cases", headers={"User-Agent": "another browser"})
    assert answer.status_code == 401


@pytest.mark.parametrize("who", ["operator", "village_a1", "admin"])
def test_an_api_token_acts_as_its_user(client, as_, who, people):
    answer = client.get("/api/v1/workflow", headers=as_(who))
    assert answer.status_code == 200


def test_a_bearer_request_sets_no_cookie(client, as_):
    answer = client.get("/api/v1/cases", headers=as_("operator"))
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
