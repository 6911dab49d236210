"""CSRF on every state-changing route, found by walking the app's url_map (a route added
later is covered without editing this file): a POST without the token, or with a wrong one,
answers 400 and writes nothing.  API routes take a bearer token instead; with a session
cookie they want the token in the X-CSRFToken header."""

from __future__ import annotations

import re

from conftest import petition
from sqlalchemy import func, select

from casework.lifecycle.intake import receive
from casework.storage.db import reading
from casework.storage.models import Area, Case, Event, LoginAttempt, User, UserSession
from e2e.conftest import csrf_token_of, login

BY_ADMIN = ("admin.",)


def everything(cw) -> tuple:
    with reading(cw.engine) as session:
        rows = tuple(session.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Case, Event, User, Area, LoginAttempt))
        versions = session.execute(select(func.sum(Case.version))).scalar_one() or 0
        active = session.execute(select(func.count()).where(User.active.is_(True))).scalar_one()
        stamps = sorted(session.execute(select(User.session_token)).scalars())
        roles = sorted(session.execute(select(User.role, User.area_code)).all())
        ended = session.execute(select(func.count()).where(
            UserSession.ended_at.is_not(None))).scalar_one()
    return (*rows, versions, active, *stamps, *roles, ended)


def post_routes(app, values: dict[str, str]) -> dict[str, str]:
    """Every route that takes a POST, by endpoint, with its placeholders filled in."""
    def fill(match) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):
            return re.findall(r"\w+", converter[4:])[0]
        return values[name]

    return {rule.endpoint: re.sub(r"<(?:([^:>]+):)?([^>]+)>", fill, rule.rule)
            for rule in app.url_map.iter_rules() if "POST" in rule.methods}


def signed_in(csrf_app, username: str):
    client = csrf_app.test_client()
    assert login(client, username, csrf_token=csrf_token_of(client)).status_code == 302
    return client


def test_every_page_post_without_a_csrf_token_answers_400_and_writes_nothing(
        csrf_app, cw, people):
    case = receive(cw, people["operator"], petition())
    routes = post_routes(csrf_app, {"number": case.number, "record_id": "1",
                                    "username": people["leader"].username})
    pages = {endpoint: path for endpoint, path in routes.items()
             if not path.startswith("/api/")}
    before = everything(cw)
    tried = 0
    for endpoint, path in sorted(pages.items()):
        who = "admin" if endpoint.startswith(BY_ADMIN) else "operator"
        client = signed_in(csrf_app, people[who].username)
        for token in ({}, {"csrf_token": "forged"}):
            answer = client.post(path, data={"action": "note", "note": "x", "version": "1",
                                             "username": "new_user", "role": "leader",
                                             "area_code": "450330", "password": "x" * 12,
                                             "current_password": "correct horse battery",
                                             "confirm": "x" * 12,
                                             "locale": "en", **token})
            assert answer.status_code == 400, (path, token, answer.status_code)
            tried += 1
    assert everything(cw) == before
    # Logging in needs no session, but does need its token (a forged login is a CSRF too).
    anonymous = csrf_app.test_client()
    assert anonymous.post("/login", data={"username": people["operator"].username,
                                          "password": "correct horse battery"}
                          ).status_code == 400
    expected = {"auth.login", "auth.logout", "cases.act", "cases.reveal_phone",
                "cases.new_case", "locale.choose_language", "admin.add_user",
                "admin.import_areas", "admin.set_active", "admin.reset_password",
                "admin.change_user", "admin.end_sessions", "account.password",
                "account.end_session", "account.end_others"}
    assert expected <= set(pages)
    assert tried == 2 * len(pages)


def test_every_api_post_with_a_session_needs_the_csrf_header(csrf_app, cw, people):
    case = receive(cw, people["operator"], petition())
    routes = post_routes(csrf_app, {"number": case.number, "username": "nobody",
                                    "record_id": "1"})
    api = {endpoint: path for endpoint, path in routes.items() if path.startswith("/api/")}
    assert len(api) >= 3
    client = signed_in(csrf_app, people["operator"].username)
    before = everything(cw)
    for path in api.values():
        answer = client.post(path, json={"action": "note", "note": "x", "version": 1})
        assert (answer.status_code, answer.json["error"]) == (400, "csrf"), path
    assert everything(cw) == before
