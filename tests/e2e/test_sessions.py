"""Browser sessions end: after a working day, after an idle spell, at a password change and
at a deactivation.  API tokens are separate credentials: they outlive a password change and
end at a deactivation or a revocation."""

from __future__ import annotations

import time

import pytest

from casework.people.users import create_token, revoke_tokens, set_active, set_password
from e2e.conftest import login

OPERATOR = "hotline_operator_450330"


def signed_in(client) -> bool:
    return client.get("/api/v1/cases").status_code == 200


def test_a_session_times_out_after_its_lifetime_however_busy(client, app, people):
    login(client, OPERATOR)
    with client.session_transaction() as session:
        session["login_at"] = time.time() - app.permanent_session_lifetime.total_seconds() - 1
        session["seen_at"] = time.time()
    assert not signed_in(client)


def test_a_session_ends_after_an_idle_spell(client, app, people):
    login(client, OPERATOR)
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - idle + 120
    assert signed_in(client)  # still inside the limit; this request counts as activity
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5
        session["seen_at"] = time.time() - idle - 1
    assert not signed_in(client)
    assert client.get("/").status_code == 302  # the page sends her to log in again


def test_requests_within_a_minute_set_no_new_cookie(client, people):
    login(client, OPERATOR)
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_a_session_without_its_times_is_not_accepted(client, people):
    login(client, OPERATOR)
    with client.session_transaction() as session:
        session.pop("seen_at")
    assert not signed_in(client)


def test_the_idle_limit_comes_from_the_environment(monkeypatch):
    from webui.config import Config

    monkeypatch.setenv("CASEWORK_SESSION_IDLE_MINUTES", "15")
    assert Config("k").SESSION_IDLE_TIMEOUT.total_seconds() == 900


def test_a_password_change_ends_the_sessions_opened_before_it(client, cw, people):
    login(client, OPERATOR)
    assert signed_in(client)
    set_password(cw, by=None, username=OPERATOR, password="a new long password")
    assert not signed_in(client)
    assert login(client, OPERATOR, "a new long password").status_code == 302
    assert signed_in(client)


def test_a_deactivated_user_can_neither_log_in_nor_keep_her_session(client, cw, people):
    login(client, OPERATOR)
    set_active(cw, by=None, username=OPERATOR, active=False)
    assert not signed_in(client)
    assert login(client, OPERATOR).status_code == 401


@pytest.fixture
def token(cw, people) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(cw, OPERATOR, 'crm')}"}


def test_an_api_token_outlives_a_password_change(client, cw, token):
    set_password(cw, by=None, username=OPERATOR, password="a new long password")
    assert client.get("/api/v1/cases", headers=token).status_code == 200


def test_an_api_token_ends_with_a_deactivation(client, cw, token):
    set_active(cw, by=None, username=OPERATOR, active=False)
    assert client.get("/api/v1/cases", headers=token).status_code == 401


def test_an_api_token_ends_when_revoked(client, cw, token):
    assert revoke_tokens(cw, OPERATOR) == 1
    assert client.get("/api/v1/cases", headers=token).status_code == 401
    assert revoke_tokens(cw, OPERATOR) == 0
