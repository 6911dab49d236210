"""Passwords: 10 characters or more and hard to guess by zxcvbn (score 3+, with the user's
name and her areas as words a guesser tries first), refused in one sentence (exit 1 on the
command line, 422 on the pages); argon2id with OWASP's parameters, scrypt hashes upgraded at the
next login; each user changes her own; an administrator's reset must be changed at next login."""

from __future__ import annotations

import base64
import hashlib
import html
import re

import pytest
from click.testing import CliRunner
from conftest import COUNTY, DATA_KEY, WORKFLOW
from sqlalchemy import func, select, update

from casework.entrypoints.cli import main
from casework.people.account_changes import set_password
from casework.storage.db import reading, writing
from casework.storage.models import User
from e2e.conftest import PASSWORD, login

OPERATOR = "hotline_operator_450330"
GOOD = "plum orchard 12338 dusk"
ENGLISH = {"Accept-Language": "en"}


def stored_hash(cw, username: str) -> str:
    with reading(cw.engine) as session:
        return session.execute(select(User.password_hash)
                               .where(User.username == username)).scalar_one()


def user_count(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(User)).scalar_one()


@pytest.fixture
def run(database_url):
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": DATA_KEY}
    return lambda *args, input=None: CliRunner().invoke(main, list(args), env=env, input=input)


@pytest.mark.parametrize("password, reason", [
    ("password", "at least 10 characters"),
    ("12345678", "at least 10 characters"),
    ("password12345", "too easy to guess"),
    ("qwertyuiop", "too easy to guess"),
    ("wangxiaohong2026", "too easy to guess"),  # her own name
    ("pinglexian2026", "too easy to guess"),  # her county, as typed in pinyin
])
def test_users_add_refuses_a_weak_password_in_one_sentence(run, cw, county, password, reason):
    before = user_count(cw)
    result = run("users", "add", "wangxiaohong", "--role", "hotline_operator", "--area", COUNTY,
                 input=password + "\n")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and reason in lines[0] and lines[0].endswith(".")
    assert user_count(cw) == before


def test_the_same_words_pass_for_someone_they_do_not_name(run, county):
    assert run("users", "add", "li", "--role", "hotline_operator", "--area", "450330",
               input="wangxiaohong2026\n").exit_code == 0


def test_passwords_are_hashed_with_argon2id_at_owasps_parameters(cw, people):
    assert stored_hash(cw, OPERATOR).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def scrypt_hash(password: str) -> str:
    """A hash as Casework stored them before argon2id."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "$".join(("scrypt", str(2**14), "8", "1", base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()))


def test_an_scrypt_hash_becomes_argon2id_at_the_next_login(client, cw, people):
    with writing(cw.engine) as session:
        session.execute(update(User).where(User.username == OPERATOR)
                        .values(password_hash=scrypt_hash(PASSWORD)))
    assert login(client, "hotline_operator_450330", "not it at all").status_code == 401
    assert stored_hash(cw, OPERATOR).startswith("scrypt$")  # a wrong password changes nothing
    assert login(client, OPERATOR).status_code == 302
    assert stored_hash(cw, OPERATOR).startswith("$argon2id$")
    client.post("/logout")
    assert login(client, OPERATOR).status_code == 302


def password_form(client, current=PASSWORD, new=GOOD, confirm=None):
    return client.post("/account/password", headers=ENGLISH, data={
        "current_password": current, "password": new,
        "confirm": new if confirm is None else confirm})


def field_error(answer, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', answer.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("who", ["operator", "village_a1", "admin", "leader"])
def test_every_user_changes_her_own_password(app, client, people, who):
    login(client, people[who].username)
    assert client.get("/account/password").status_code == 200
    assert password_form(client).status_code == 303
    assert login(app.test_client(), people[who].username).status_code == 401
    assert login(app.test_client(), people[who].username, GOOD).status_code == 302


@pytest.mark.parametrize("form, field, reason", [
    ({"current": "not my password"}, "current_password", "current password is not right"),
    ({"new": "short one"}, "password", "at least 10 characters"),
    ({"new": "hotline_operator_4503301"}, "password", "too easy to guess"),
    ({"confirm": "something else entirely"}, "confirm", "differ"),
    ({"new": PASSWORD}, "password", "must differ"),
])
def test_a_refused_change_says_why_and_changes_nothing(cw, client, people, form, field,
                                                       reason):
    login(client, OPERATOR)
    before = stored_hash(cw, OPERATOR)
    answer = password_form(client, **form)
    assert answer.status_code == 422
    assert reason in field_error(answer, field)
    assert stored_hash(cw, OPERATOR) == before


def test_an_admins_reset_must_be_changed_at_the_next_login(app, client, cw, people):
    admin = app.test_client()
    login(admin, people["admin"].username)
    answer = admin.post(f"/admin/users/{OPERATOR}/password", data={"password": GOOD})
    assert answer.status_code == 303
    signed_in = login(client, OPERATOR, GOOD)
    assert (signed_in.status_code, signed_in.headers["Location"]) == (302, "/account/password")
    assert client.get("/").headers["Location"] == "/account/password"
    assert client.get("/cases/new").headers["Location"] == "/account/password"
    refused = client.get("/api/v1/cases")
    assert (refused.status_code, refused.json["error"]) == (403, "forbidden")
    assert password_form(client, current=GOOD, new="lantern river copper kite").status_code == 303
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/cases").status_code == 200


def test_a_reset_to_a_weak_password_is_refused_on_the_page(client, cw, people):
    login(client, people["admin"].username)
    before = stored_hash(cw, OPERATOR)
    answer = client.post(f"/admin/users/{OPERATOR}/password", data={"password": "1234567890"},
                         headers=ENGLISH)
    assert answer.status_code == 422 and "too easy to guess" in answer.get_data(as_text=True)
    assert stored_hash(cw, OPERATOR) == before


def test_the_command_lines_reset_is_one_time_too(run, client, cw, people):
    assert run("users", "reset-password", OPERATOR, input=GOOD + "\n").exit_code == 0
    assert login(client, OPERATOR, GOOD).headers["Location"] == "/account/password"
    weak = run("users", "reset-password", OPERATOR, input="short\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.stderr


def test_the_readme_and_demo_example_passwords_pass(cw, county):
    from pathlib import Path

    from casework.entrypoints.demo import DEMO_PASSWORD
    from casework.people.password_policy import password_problem

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    examples = re.findall(r"echo '([^']+)' \| casework users", readme)
    assert examples
    for password in [*examples, DEMO_PASSWORD]:
        assert password_problem(password, ["wang", "hotline", "450330"]) is None, password


def test_set_password_by_the_core_checks_the_policy_too(cw, people):
    from casework.errors import Invalid

    with pytest.raises(Invalid) as refused:
        set_password(cw, by=None, username=OPERATOR, password="password")
    assert refused.value.fields == {"password": "a password needs at least 10 characters"}
