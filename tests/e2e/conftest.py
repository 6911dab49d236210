"""The app around the shared ``cw`` fixture, its test client, and ways to be somebody."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from casework.people.users import create_token
from casework.storage.db import reading
from casework.storage.models import Case, Event
from e2e.case_pages import as_user, cases, english, new_case, unexpected  # noqa: F401  (page tests)
from tests.e2e.browser import chromium, live_server  # noqa: F401  (browser test fixtures)
from webui import create_app
from webui.config import TestConfig

PASSWORD = "correct horse battery"


@pytest.fixture
def app(cw):
    return create_app(TestConfig(), casework=cw)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(cw):
    """An app that checks CSRF tokens, as in production."""
    config = TestConfig()
    config.WTF_CSRF_ENABLED = True
    return create_app(config, casework=cw)


@pytest.fixture
def as_(cw, people):
    """``as_("operator")``: request headers carrying a bearer token of that person."""
    tokens: dict[str, str] = {}

    def headers(who: str) -> dict[str, str]:
        if who not in tokens:
            tokens[who] = create_token(cw, people[who].username)
        return {"Authorization": f"Bearer {tokens[who]}"}

    return headers


def login(client, username: str, password: str = PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def csrf_token_of(client) -> str:
    """The token a page gives this browser (every page carries it in a meta tag)."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def counts(cw) -> tuple[int, int]:
    """(cases, events): a refused request must leave both as they were."""
    with reading(cw.engine) as session:
        cases = session.execute(select(func.count()).select_from(Case)).scalar_one()
        events = session.execute(select(func.count()).select_from(Event)).scalar_one()
    return cases, events
