"""Browser sessions live on the server: logout, an idle spell, the 8 hours, a password change,
a deactivation, the user herself and an administrator end them there, so a copy of the cookie
taken before opens nothing afterwards.  API tokens are separate credentials: they outlive a
password change and end at a deactivation, a revocation or their expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from alembic import command
from sqlalchemy import select, update

from casework.people.account_changes import set_active, set_password
from casework.people.users import create_token, revoke_tokens
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import ApiToken, UserSession
from casework.storage.schema import alembic_config, upgrade
from e2e.conftest import PASSWORD, login

OPERATOR = "hotline_operator_450330"
NEW_PASSWORD = "plum orchard 12338 dusk"


def signed_in(client) -> bool:
    return client.get("/api/v1/cases").status_code == 200


def copy_of(client, app):
    """Another browser holding a copy of ``client``'s cookies (a stolen cookie)."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def test_a_copied_cookie_opens_nothing_after_logout(client, app, people):
    login(client, OPERATOR)
    thief = copy_of(client, app)
    assert signed_in(thief)
    client.post("/logout")
    assert not signed_in(client)
    assert not signed_in(thief)
    assert thief.get("/").status_code == 302  # the page sends it to log in


def test_the_cookie_carries_the_sessions_id_not_the_user(client, cw, people):
    login(client, OPERATOR)
    with client.session_transaction() as session:
        carried = dict(session)
    assert OPERATOR not in str(carried) and "login_at" not in carried
    with reading(cw.engine) as db:
        row = db.execute(select(UserSession)).scalar_one()
    assert row.user_id == people["operator"].id and row.ended_at is None
    assert row.id_hash != carried["_user_id"]  # only a hash of the id is stored


def test_a_session_ends_after_an_idle_spell_on_the_server(client, app, people):
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    with time_machine.travel(utcnow(), tick=False) as traveller:
        login(client, OPERATOR)
        thief = copy_of(client, app)
        traveller.shift(idle - timedelta(minutes=2))
        assert signed_in(client)  # still inside the limit; this request counts as activity
        traveller.shift(idle - timedelta(minutes=2))
        assert signed_in(client)
        traveller.shift(idle + timedelta(minutes=1))
        assert not signed_in(thief)
        assert not signed_in(client)


def test_a_session_ends_eight_hours_after_login_however_busy(client, app, people):
    with time_machine.travel(utcnow(), tick=False) as traveller:
        login(client, OPERATOR)
        for _ in range(17):
            traveller.shift(timedelta(minutes=30))
            if not signed_in(client):
                break
        assert not signed_in(client)
    assert app.permanent_session_lifetime == timedelta(hours=8)


def test_the_idle_limit_comes_from_the_environment(monkeypatch):
    from webui.config import Config

    monkeypatch.setenv("CASEWORK_SESSION_IDLE_MINUTES", "15")
    assert Config("k" * 40).SESSION_IDLE_TIMEOUT.total_seconds() == 900


def test_requests_within_a_minute_set_no_new_cookie(client, people):
    login(client, OPERATOR)
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


def test_a_password_reset_ends_every_session_and_its_copies(client, app, cw, people):
    login(client, OPERATOR)
    thief = copy_of(client, app)
    set_password(cw, by=None, username=OPERATOR, password=NEW_PASSWORD)
    assert not signed_in(client) and not signed_in(thief)
    assert login(client, OPERATOR, NEW_PASSWORD).status_code == 302


def test_a_deactivation_ends_her_sessions_and_her_logins(client, app, cw, people):
    login(client, OPERATOR)
    thief = copy_of(client, app)
    set_active(cw, by=None, username=OPERATOR, active=False)
    assert not signed_in(client) and not signed_in(thief)
    assert login(client, OPERATOR).status_code == 401


def test_a_user_sees_her_sessions_and_ends_another(app, cw, people):
    office, phone = app.test_client(), app.test_client()
    login(office, OPERATOR)
    phone.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Linux; Android 14) Mobile"
    login(phone, OPERATOR)
    assert signed_in(phone)
    page = office.get("/account").get_data(as_text=True)
    assert "Android 14" in page and page.count('id="session-') == 2
    with reading(cw.engine) as db:
        other = db.execute(select(UserSession.id).where(
            UserSession.browser.contains("Android"))).scalar_one()
    assert office.post(f"/account/sessions/{other}/end").status_code == 303
    assert not signed_in(phone)
    assert signed_in(office)


def test_a_user_cannot_end_someone_elses_session(app, cw, people):
    hers, mine = app.test_client(), app.test_client()
    login(hers, OPERATOR)
    login(mine, people["county_officer"].username)
    with reading(cw.engine) as db:
        theirs = db.execute(select(UserSession.id).where(
            UserSession.user_id == people["operator"].id)).scalar_one()
    assert mine.post(f"/account/sessions/{theirs}/end").status_code == 404
    assert signed_in(hers)


def test_an_admin_ends_all_of_a_users_sessions(app, people):
    office, phone, admin = app.test_client(), app.test_client(), app.test_client()
    login(office, OPERATOR)
    login(phone, OPERATOR)
    login(admin, people["admin"].username)
    assert admin.post(f"/admin/users/{OPERATOR}/sessions/end").status_code == 303
    assert not signed_in(office) and not signed_in(phone)


def test_changing_her_own_password_ends_her_other_sessions_and_keeps_her_in(app, people):
    office, phone = app.test_client(), app.test_client()
    login(office, OPERATOR)
    login(phone, OPERATOR)
    thief = copy_of(office, app)
    answer = office.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 303
    assert signed_in(office)
    assert not signed_in(phone) and not signed_in(thief)


@pytest.fixture
def token(cw, people) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(cw, OPERATOR, 'crm')}"}


def test_an_api_token_outlives_a_password_change(client, cw, token):
    set_password(cw, by=None, username=OPERATOR, password=NEW_PASSWORD)
    assert client.get("/api/v1/cases", headers=token).status_code == 200


def test_an_api_token_ends_with_a_deactivation(client, cw, token):
    set_active(cw, by=None, username=OPERATOR, active=False)
    assert client.get("/api/v1/cases", headers=token).status_code == 401


def test_an_api_token_ends_when_revoked(client, cw, token):
    assert revoke_tokens(cw, OPERATOR) == 1
    assert client.get("/api/v1/cases", headers=token).status_code == 401
    assert revoke_tokens(cw, OPERATOR) == 0


def test_an_expired_api_token_answers_401(client, cw, people):
    headers = {"Authorization": f"Bearer {create_token(cw, OPERATOR, 'crm', days=1)}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with time_machine.travel(utcnow() + timedelta(days=1, minutes=1), tick=False):
        answer = client.get("/api/v1/cases", headers=headers)
    assert answer.status_code == 401 and answer.json["error"] == "unauthorized"


def test_tokens_made_before_expiry_existed_are_given_one_by_migration_0018(client, cw, people):
    now = utcnow()
    old = create_token(cw, OPERATOR, "old-script")
    young = create_token(cw, OPERATOR, "new-script")
    with writing(cw.engine) as session:  # as migration 0015 left them: made, no expiry
        for label, made in (("old-script", now - timedelta(days=400)),
                            ("new-script", now - timedelta(days=10))):
            session.execute(update(ApiToken).where(ApiToken.label == label)
                            .values(created_at=made, expires_at=None))
    headers = {"Authorization": f"Bearer {old}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 401  # no expiry: expired
    config = alembic_config(cw.engine)
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")
    upgrade(cw.engine, lambda: cw.keyring)
    with reading(cw.engine) as session:
        expiry = dict(session.execute(select(ApiToken.label, ApiToken.expires_at)).all())
    assert timedelta(days=29) < expiry["old-script"] - now <= timedelta(days=30, minutes=1)
    assert abs(expiry["new-script"] - (now + timedelta(days=355))) < timedelta(minutes=1)
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    with time_machine.travel(now + timedelta(days=31), tick=False):
        assert client.get("/api/v1/cases", headers=headers).status_code == 401
        young_headers = {"Authorization": f"Bearer {young}"}
        assert client.get("/api/v1/cases", headers=young_headers).status_code == 200
