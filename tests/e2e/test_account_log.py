"""The account log: accounts made and changed, passwords, tokens, logins, failures, logouts,
ended sessions and lockouts, for the admins of the area (API, page, command line); never a
password or a token in it.  An admin may not change her own role or area, and an account that
can read case files is mailed to the county's officers."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner
from conftest import COUNTY, DATA_KEY, VILLAGE_A1, WORKFLOW
from sqlalchemy import func, select

from casework.entrypoints.cli import main
from casework.imports.areas import add_area
from casework.people.users import add_user, create_token, revoke_tokens
from casework.storage.db import reading, writing
from casework.storage.models import AccountEvent, Notification, User
from e2e.conftest import PASSWORD, login

OPERATOR = "hotline_operator_450330"
NEW = "lantern river copper kite"
OFFICER_MAIL = "officer@pingle.example.org"


def log_of(client, headers=None, **query) -> dict:
    """The log as an outside system reads it (a client of its own: no browser cookie)."""
    answer = client.application.test_client().get(
        "/api/v1/account-events", query_string=query, headers=headers or {})
    assert answer.status_code == 200, answer.json
    return answer.json


def kinds(body: dict) -> list[tuple[str, str | None]]:
    return [(item["kind"], item["user"]) for item in body["items"]]


def stored_text(cw) -> str:
    with reading(cw.engine) as session:
        return " ".join(str(row) for row in session.execute(select(AccountEvent)).all()) + \
            " ".join(str(e.detail) for e in session.execute(select(AccountEvent)).scalars())


@pytest.fixture
def mailed(cw, people):
    """Mail configured, and the county officer has an address."""
    cw.settings = dataclasses.replace(cw.settings, smtp_url="smtp://127.0.0.1:2525")
    with writing(cw.engine) as session:
        officer = session.execute(select(User).where(
            User.username == people["county_officer"].username)).scalar_one()
        officer.email = OFFICER_MAIL
    return cw


def mails_to_officer(cw) -> list[Notification]:
    with reading(cw.engine) as session:
        return list(session.execute(select(Notification).where(
            Notification.recipient == OFFICER_MAIL)).scalars())


def test_logins_failures_and_logouts_are_logged_newest_first(app, client, as_, people):
    login(client, OPERATOR, "not the password")
    login(client, "nobody_at_all", "hunter2 hunter2")
    login(client, OPERATOR)
    client.post("/logout")
    body = log_of(client, as_("admin"), user=OPERATOR)
    assert kinds(body)[:3] == [("logout", OPERATOR), ("login", OPERATOR),
                               ("login_failed", OPERATOR)]
    assert body["items"][0]["address"] == "127.0.0.1" and body["items"][0]["actor"] == OPERATOR
    assert (body["page"], body["per_page"]) == (1, 50)


def test_a_failed_login_under_an_unknown_name_keeps_no_name_and_no_password(
        client, cw, people):
    login(client, "my secret pass 42", "hunter2 hunter2")
    login(client, OPERATOR, "not the password 17")
    text = stored_text(cw)
    assert "my secret pass 42" not in text and "hunter2" not in text
    assert "not the password 17" not in text and PASSWORD not in text


def test_account_changes_by_an_admin_are_logged_with_her_name_and_address(client, cw, as_,
                                                                          people):
    admin = as_("admin")
    client.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    login(client, people["admin"].username)
    environ = {"REMOTE_ADDR": "192.0.2.44"}
    assert client.post("/admin/users", environ_overrides=environ, data={
        "username": "li_na", "role": "village_cadre", "area_code": VILLAGE_A1,
        "password": NEW}).status_code == 303
    client.post("/admin/users/li_na/change", environ_overrides=environ,
                data={"role": "village_cadre", "area_code": "450330100202"})
    client.post("/admin/users/li_na/password", environ_overrides=environ,
                data={"password": "plum orchard 12338 dusk"})
    client.post("/admin/users/li_na/deactivate", environ_overrides=environ)
    token = create_token(cw, OPERATOR, "crm", actor="admin_450330")
    revoke_tokens(cw, OPERATOR, "crm")
    body = log_of(client, admin)
    mine = [item for item in body["items"] if item["user"] == "li_na"]
    assert [item["kind"] for item in mine] == ["user_changed", "password_reset",
                                              "user_changed", "user_created"]
    assert {(item["actor"], item["address"]) for item in mine} == {
        ("admin_450330", "192.0.2.44")}
    assert mine[0]["detail"] == {"active": [True, False]}
    assert mine[2]["detail"] == {"area": [VILLAGE_A1, "450330100202"]}
    assert kinds(body)[:2] == [("token_revoked", OPERATOR), ("token_created", OPERATOR)]
    text = stored_text(cw)
    assert token not in text and NEW not in text and "plum orchard" not in text


def test_a_user_changing_her_password_is_logged_and_her_sessions_ended(client, as_, people):
    login(client, OPERATOR)
    client.post("/account/password", data={"current_password": PASSWORD, "password": NEW,
                                           "confirm": NEW})
    assert kinds(log_of(client, as_("admin"), user=OPERATOR))[:4] == [
        ("login", OPERATOR), ("password_changed", OPERATOR), ("session_ended", OPERATOR),
        ("login", OPERATOR)]


@pytest.mark.parametrize("change", [{"role": "hotline_operator", "area_code": COUNTY},
                                   {"role": "admin", "area_code": "450330100"}])
def test_an_admin_may_not_change_her_own_role_or_area(client, cw, people, change):
    login(client, people["admin"].username)
    before = stored_text(cw)
    answer = client.post(f"/admin/users/{people['admin'].username}/change", data=change,
                         headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    assert "cannot change your own role or area" in answer.get_data(as_text=True)
    with reading(cw.engine) as session:
        me = session.get(User, people["admin"].id)
    assert (me.role, me.area_code) == ("admin", COUNTY)
    assert stored_text(cw) == before


def test_the_command_line_may_not_give_an_admin_her_own_change_either_way_but_can_change(cw,
                                                                                       people):
    from casework.people.account_changes import change_user

    user = change_user(cw, by=None, username=people["leader"].username, role="county_officer")
    assert user.role == "county_officer"


def test_a_new_account_that_reads_cases_is_mailed_to_the_county_officers(client, mailed,
                                                                         people):
    login(client, people["admin"].username)
    client.post("/admin/users", data={"username": "zhao_li", "role": "hotline_operator",
                                      "area_code": COUNTY, "password": NEW})
    client.post("/admin/users", data={"username": "sun_li", "role": "leader",
                                      "area_code": COUNTY, "password": NEW})
    mails = mails_to_officer(mailed)
    assert len(mails) == 1
    assert "zhao_li" in mails[0].subject and "admin_450330" in mails[0].body
    assert NEW not in mails[0].body


def test_a_role_change_to_one_that_reads_cases_is_mailed(client, mailed, people):
    login(client, people["admin"].username)
    leader = people["leader"].username
    client.post(f"/admin/users/{leader}/change", data={"role": "hotline_operator",
                                                      "area_code": COUNTY})
    mails = mails_to_officer(mailed)
    assert len(mails) == 1 and leader in mails[0].subject


def test_the_log_is_for_the_admins_of_the_area_only(client, cw, as_, people):
    with writing(cw.engine) as session:
        add_area(session, "450331", "恭城县")
    add_user(cw, username="other_admin", role="admin", area_code="450331", password=NEW)
    login(client, OPERATOR)
    client.post("/logout")
    theirs = client.application.test_client().get("/api/v1/account-events", headers={
        "Authorization": f"Bearer {create_token(cw, 'other_admin')}"}).json
    assert all(item["user"] in ("other_admin",) for item in theirs["items"])
    for who in ("operator", "county_officer", "leader", "village_a1"):
        answer = client.application.test_client().get("/api/v1/account-events",
                                                      headers=as_(who))
        assert (answer.status_code, answer.json["error"]) == (403, "forbidden")
    assert client.get("/api/v1/account-events").status_code == 401


@pytest.mark.parametrize("query, field", [({"per_page": "501"}, "per_page"),
                                          ({"per_page": "0"}, "per_page"),
                                          ({"page": "x"}, "page"), ({"user": "a" * 65}, "user")])
def test_bad_paging_is_a_422_naming_the_field(client, as_, query, field):
    answer = client.get("/api/v1/account-events", query_string=query, headers=as_("admin"))
    assert answer.status_code == 422 and field in answer.json["fields"]


def test_pages_of_up_to_500(client, as_, people):
    admin = as_("admin")
    for _ in range(3):
        login(client, OPERATOR, "wrong guess")
    body = log_of(client, admin, per_page=2, page=2)
    assert (body["page"], body["per_page"], len(body["items"])) == (2, 2, 2)
    assert log_of(client, admin, per_page=500)["per_page"] == 500
    assert body["total"] == log_of(client, admin)["total"]


def test_the_admin_page_lists_the_log(client, people):
    login(client, OPERATOR, "wrong guess")
    login(client, people["admin"].username)
    page = client.get("/admin/account-events", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "failed login" in text and OPERATOR in text
    login(client, people["leader"].username)
    assert client.get("/admin/account-events").status_code == 403


def test_users_log_on_the_command_line(database_url, cw, people):
    client_env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
                  "CASEWORK_DATA_KEY": DATA_KEY}
    runner = CliRunner()
    runner.invoke(main, ["tokens", "create", OPERATOR, "--label", "crm"], env=client_env)
    result = runner.invoke(main, ["users", "log", OPERATOR], env=client_env)
    assert result.exit_code == 0
    assert "token_created" in result.output and "console:" in result.output
    everyone = runner.invoke(main, ["users", "log"], env=client_env)
    assert everyone.output.count("user_created") == len(people)
    missing = runner.invoke(main, ["users", "log", "nobody"], env=client_env)
    assert missing.exit_code == 1 and "no user named nobody" in missing.stderr


def test_no_route_of_the_account_log_answers_500(client, as_):
    for query in ({"page": "99999999999"}, {"per_page": "-1"}, {"user": "\x00"},
                  {"user": "😀"}, {"page": "1e3"}):
        answer = client.get("/api/v1/account-events", query_string=query, headers=as_("admin"))
        assert answer.status_code < 500, query
    with reading(client.application.extensions["casework"].engine) as session:
        assert session.execute(select(func.count()).select_from(AccountEvent)).scalar_one() > 0
