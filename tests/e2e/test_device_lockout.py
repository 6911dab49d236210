"""A stranger's guesses never lock a user out of a browser she signed in from before (OWASP's
device cookies): failures from clients without her device cookie lock out only such clients;
the per-address limit stays for everyone."""

from __future__ import annotations

from sqlalchemy import select

from casework.storage.db import reading
from casework.storage.models import AccountEvent
from e2e.conftest import login
from webui import config, create_app
from webui.devices import COOKIE

OPERATOR = "hotline_operator_450330"
STRANGER = {"REMOTE_ADDR": "198.51.100.23"}


def browser(app, address: str = "192.0.2.10"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def her_own_browser(app):
    """A browser where the operator signed in, then logged out."""
    client = browser(app)
    assert login(client, OPERATOR).status_code == 302
    client.post("/logout")
    assert client.get_cookie(COOKIE, path="/login") is not None
    return client


def guesses(app, count: int, address: str = "198.51.100.23") -> list[int]:
    stranger = browser(app, address)
    return [login(stranger, OPERATOR, f"guess {n}").status_code for n in range(count)]


def test_a_strangers_guesses_do_not_lock_her_out_of_her_own_browser(app, people):
    hers = her_own_browser(app)
    assert guesses(app, 12) == [401] * 10 + [429] * 2
    assert login(browser(app, "203.0.113.5"), OPERATOR).status_code == 429  # any new client
    assert login(hers, OPERATOR).status_code == 302  # her browser still lets her in


def test_a_forged_or_copied_device_cookie_for_someone_else_does_not_help(app, people):
    hers = her_own_browser(app)
    guesses(app, 10)
    forged = browser(app)
    forged.set_cookie(COOKIE, "eyJob3RsaW5lIjoiYWJjIn0.forged.signature", path="/login")
    assert login(forged, OPERATOR).status_code == 429
    # Her cookie names her alone: the county officer's lockout is not lifted by it.
    for _ in range(10):
        login(browser(app, "198.51.100.24"), "county_officer_450330", "wrong")
    assert login(hers, "county_officer_450330").status_code == 429


def test_guesses_from_her_own_browser_lock_that_browser_only(app, people):
    hers = her_own_browser(app)
    for _ in range(10):
        assert login(hers, OPERATOR, "wrong").status_code == 401
    assert login(hers, OPERATOR).status_code == 429
    assert login(browser(app, "203.0.113.5"), OPERATOR).status_code == 302


def test_the_per_address_limit_still_holds_with_a_device_cookie(cw, people):
    settings = {**vars(config.TestConfig()), "LOGIN_FAILURES_PER_IP": 3}
    app = create_app(settings, casework=cw)
    hers = her_own_browser(app)
    for name in ("a_user", "b_user", "c_user"):
        login(hers, name, "guess")
    assert login(hers, OPERATOR).status_code == 429


def test_a_lockout_is_in_the_account_log_once(app, cw, people):
    guesses(app, 14)
    with reading(cw.engine) as session:
        locked = session.execute(select(AccountEvent).where(
            AccountEvent.kind == "locked")).scalars().all()
    assert [(e.username, e.address, e.detail) for e in locked] == [
        (OPERATOR, STRANGER["REMOTE_ADDR"], {"clients": "without_device_cookie"})]
