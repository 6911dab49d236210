"""Login throttling, counted in the database: the limits hold across app instances (gunicorn
workers) sharing one database, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from casework.people.login_attempts import key_hash
from casework.storage.db import reading
from casework.storage.models import LoginAttempt
from e2e.conftest import PASSWORD, login
from webui import config, create_app
from webui.throttle import LoginThrottle

OPERATOR = "hotline_operator_450330"


def app_with(cw, **settings):
    return create_app({**vars(config.TestConfig()), **settings}, casework=cw)


def stored_attempts(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(LoginAttempt)).scalar_one()


def test_ten_failed_logins_for_one_user_answer_429_even_with_the_right_password(
        client, people):
    for _ in range(10):
        assert login(client, OPERATOR, "guess").status_code == 401
    blocked = login(client, OPERATOR)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    api_client = client.post("/login", data={"username": OPERATOR, "password": PASSWORD},
                             headers={"Accept": "application/json"})
    assert (api_client.status_code, api_client.json["error"]) == (429, "too_many_requests")
    # Another user from the same address is not locked out by someone else's guesses.
    assert login(client, "county_officer_450330").status_code == 302


def test_two_workers_sharing_one_database_share_one_count(cw, people):
    first, second = (app_with(cw, LOGIN_FAILURES_PER_USER=4).test_client() for _ in range(2))
    for worker in (first, second, first, second):
        assert login(worker, OPERATOR, "guess").status_code == 401
    # Each worker saw two failures only; the limit of four holds for the pair.
    assert login(first, OPERATOR).status_code == 429
    assert login(second, OPERATOR).status_code == 429


def test_failed_logins_from_one_address_are_limited_across_user_names(cw, people):
    client = app_with(cw, LOGIN_FAILURES_PER_IP=3).test_client()
    for name in ("a_user", "b_user", "c_user"):
        assert login(client, name, "guess").status_code == 401
    assert login(client, OPERATOR).status_code == 429
    elsewhere = client.post("/login", data={"username": OPERATOR, "password": PASSWORD},
                            environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 302


def test_a_good_password_clears_the_user_count_but_not_the_address_count(cw, people):
    client = app_with(cw, LOGIN_FAILURES_PER_USER=3, LOGIN_FAILURES_PER_IP=4).test_client()
    for _ in range(2):
        login(client, OPERATOR, "guess")
    assert login(client, OPERATOR).status_code == 302
    client.post("/logout")
    login(client, OPERATOR, "guess")
    login(client, OPERATOR, "guess")  # the user's count starts again: 2 of 3
    assert login(client, OPERATOR).status_code == 429  # but the address has 4 of 4


def test_the_table_keeps_no_readable_user_name_and_no_address(cw, people):
    login(app_with(cw).test_client(), "typed-a-password-here", "guess")
    with reading(cw.engine) as session:
        keys = set(session.execute(select(LoginAttempt.key_hash)).scalars())
    assert keys == {key_hash("user:typed-a-password-here"), key_hash("ip:127.0.0.1")}
    assert all(len(key) == 64 and "typed" not in key for key in keys)


def test_failed_logins_are_forgotten_once_the_window_has_passed(cw):
    now = [datetime(2026, 10, 1, tzinfo=UTC).timestamp()]
    throttle = LoginThrottle(cw.engine, per_user=2, per_ip=100, window=900,
                             clock=lambda: now[0])
    throttle.failed("li", "10.0.0.1")
    throttle.failed("LI ", "10.0.0.2")  # the same user name, however it is typed
    assert throttle.blocked_for("li", "10.0.0.3") == 900
    now[0] += 899
    assert throttle.blocked_for("li", "10.0.0.3") == 1
    now[0] += 1
    assert throttle.blocked_for("li", "10.0.0.3") == 0


def test_old_failures_are_deleted_as_new_ones_come_in(cw):
    now = [datetime(2026, 10, 1, tzinfo=UTC).timestamp()]
    throttle = LoginThrottle(cw.engine, per_user=10, per_ip=100, window=900,
                             clock=lambda: now[0])
    for name in ("a", "b", "c"):
        throttle.failed(name, "10.0.0.1")
    assert stored_attempts(cw) == 6  # a user row and an address row per failure
    now[0] += timedelta(minutes=15, seconds=1).total_seconds()
    throttle.failed("d", "10.0.0.2")
    assert stored_attempts(cw) == 2


def test_behind_a_trusted_proxy_each_client_address_is_limited_apart(cw, people):
    client = app_with(cw, LOGIN_FAILURES_PER_IP=2, PROXIES=1).test_client()

    def attempt(address, password="guess"):
        return client.post("/login", data={"username": OPERATOR, "password": password},
                           headers={"X-Forwarded-For": address}).status_code

    assert [attempt("198.51.100.1"), attempt("198.51.100.1")] == [401, 401]
    assert attempt("198.51.100.1", PASSWORD) == 429
    assert attempt("198.51.100.2", PASSWORD) == 302
