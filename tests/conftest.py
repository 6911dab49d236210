"""Shared fixtures.

Every test that asks for ``cw`` runs on SQLite, and again on PostgreSQL where
CASEWORK_TEST_DATABASE_URL is set (each xdist worker gets a database of its own there).
The schema is made by the real migrations, once per session; each test starts empty.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from casework.bootstrap import Casework, bootstrap
from casework.config import Settings
from casework.people.access import Actor
from casework.privacy.crypto import generate_key
from casework.storage.db import make_engine, writing
from casework.storage.schema import upgrade

# Hypothesis's default 200 ms deadline per example is a timed assertion: on a shared, loaded
# machine a warm-up example (a calendar's first year, a first connection) misses it and the
# test fails for nothing it checks.  Speed is measured under bench/, never here.
settings.register_profile("casework", deadline=None)
settings.load_profile("casework")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows.yaml"
PG_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL")
# The tests' data key: a new one per test process, as a real deployment has its own.
DATA_KEY = generate_key()
TABLES = ("ledger_uploads", "protection_measures", "events", "cases", "petitioners",
          "case_number_sequences",
          "api_tokens", "users", "areas", "scheduler_leases", "notifications", "login_attempts",
          "closed_figures", "closed_months", "attachment_chunks", "attachments",
          "user_sessions", "account_events")

# A small county shaped like the field report's (平乐县): two townships of two villages each.
COUNTY = "450330"
TOWN_A, TOWN_B = "450330100", "450330101"
VILLAGE_A1, VILLAGE_A2 = "450330100201", "450330100202"
VILLAGE_B1, VILLAGE_B2 = "450330101201", "450330101202"
AREAS = [
    (COUNTY, "平乐县"), (TOWN_A, "平乐镇"), (TOWN_B, "二塘镇"),
    (VILLAGE_A1, "大李村"), (VILLAGE_A2, "沙子村"), (VILLAGE_B1, "新安村"), (VILLAGE_B2, "源头村"),
]


@pytest.fixture(autouse=True, scope="session")
def _no_key_files_from_the_checkout(tmp_path_factory):
    """Commands read ./instance/data.key when CASEWORK_DATA_KEY is unset: point them at a
    folder of the tests' own, so that a developer's `casework init` in the checkout does not
    hand the tests a key (tests of the key files set these themselves)."""
    folder = tmp_path_factory.mktemp("no-key-files")
    names = ("CASEWORK_DATA_KEY_FILE", "CASEWORK_SECRET_KEY_FILE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["CASEWORK_DATA_KEY_FILE"] = str(folder / "data.key")
    os.environ["CASEWORK_SECRET_KEY_FILE"] = str(folder / "secret.key")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True, scope="session")
def _one_slow_hash_per_password():
    """Fixture users share a few passwords: hash each once (scrypt is slow on purpose)."""
    import casework.people.users
    from casework.people._passwords import hash_password

    cache: dict[str, str] = {}
    original = casework.people.users.hash_password

    def remembered(password: str) -> str:
        if password not in cache:
            cache[password] = hash_password(password)
        return cache[password]

    casework.people.users.hash_password = remembered
    yield
    casework.people.users.hash_password = original


@pytest.fixture(autouse=True, scope="session")
def _test_clients_close_their_answers():
    """Every test client's answer is read whole and closed before the test sees it, as a WSGI
    server closes what it sent: a file the app sent and an upload werkzeug spooled to a
    temporary file are closed then, not left open for the garbage collector (ResourceWarning
    is an error here).  A test may still ask for ``buffered=False`` to read a stream."""
    from flask import Flask
    from flask.testing import FlaskClient

    class ClosingClient(FlaskClient):
        def open(self, *args, buffered: bool = True, **kwargs):
            answer = super().open(*args, buffered=buffered, **kwargs)
            # werkzeug closes the request's body with the answer only after following redirects
            if answer.request is not None and not answer.request.input_stream.closed:
                answer.call_on_close(answer.request.input_stream.close)
            if buffered:
                answer.close()
            return answer

    saved = Flask.test_client_class
    Flask.test_client_class = ClosingClient
    yield
    Flask.test_client_class = saved


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url(worker_id) -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need CASEWORK_TEST_DATABASE_URL (not set here)")
    base = make_url(PG_URL)
    # One database per test process, so parallel runs never drop each other's.
    name = f"{base.database}_cw_{worker_id}_{os.getpid()}"
    admin = make_engine(base.render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "casework.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def cw(database_url) -> Casework:
    casework = bootstrap(Settings(database_url=database_url, workflow_path=WORKFLOW,
                                  data_key=DATA_KEY))
    yield casework
    casework.engine.dispose()


@pytest.fixture
def county(cw) -> dict[str, str]:
    from casework.imports.areas import add_area

    with writing(cw.engine) as session:
        for code, name in AREAS:
            add_area(session, code, name)
    return dict(AREAS)


def make_actor(cw: Casework, role: str, area: str, username: str | None = None) -> Actor:
    from casework.people.users import actor_of, add_user

    user = add_user(cw, username=username or f"{role}_{area}", role=role, area_code=area,
                    password="correct horse battery")
    return actor_of(user)


@pytest.fixture
def people(cw, county) -> dict[str, Actor]:
    """One user of every role, named by what they are."""
    return {
        "operator": make_actor(cw, "hotline_operator", COUNTY),
        "county_officer": make_actor(cw, "county_officer", COUNTY),
        "township_a": make_actor(cw, "township_cadre", TOWN_A),
        "township_b": make_actor(cw, "township_cadre", TOWN_B),
        "village_a1": make_actor(cw, "village_cadre", VILLAGE_A1),
        "village_a2": make_actor(cw, "village_cadre", VILLAGE_A2),
        "admin": make_actor(cw, "admin", COUNTY),
        "leader": make_actor(cw, "leader", COUNTY),
    }


def petition(**overrides) -> dict:
    """An intake body that passes validation; override what a test is about."""
    body = {
        "channel": "hotline_12338", "village_code": VILLAGE_A1, "category": "domestic_violence",
        "urgency": "normal", "summary": "丈夫酗酒后打人，请求帮助",
        "petitioner": {"name": "李某", "phone": "13812345678", "gender": "female",
                       "age_group": "35_59"},
    }
    body.update(overrides)
    return body


# -- figures: tests record them (``record_property("figure:NAME", value)``) for the docs -------
_figures: list[tuple[str, str, object]] = []


# -- skips: every skip has a known reason, or the run fails ---------------------------------
# A skip must never hide our own code: only a missing outside tool or server, or a test that is
# about one database's own behaviour, may skip.  Anything else fails the run, by name.
KNOWN_SKIPS = {
    "PostgreSQL absent": re.compile(r"PostgreSQL tests need CASEWORK_TEST_DATABASE_URL"),
    "chromium absent": re.compile(r"Debian's chromium is not installed"),
    "a system tool absent": re.compile(
        r"no systemd-analyze here|no nginx \(scripts/nginx-for-tests"),
    "one database's own behaviour": re.compile(
        r"only SQLite connections|a write lock held by another connection is SQLite's"
        r"|SQLite's planner|PostgreSQL's planner|advisory locks? (are|is) PostgreSQL's"
        r"|PostgreSQL's advisory lock"
        r"|pg_dump is for PostgreSQL"),
}
_skips: dict[str, list[str]] = {}


def _skip_reason(report) -> str:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_runtest_logreport(report):
    # Runs in the controlling process under xdist too: the properties travel with the report.
    if report.when == "call":
        _figures.extend((report.nodeid, name.removeprefix("figure:"), value)
                        for name, value in report.user_properties
                        if name.startswith("figure:"))
    if report.skipped:
        _skips.setdefault(_skip_reason(report), []).append(report.nodeid)


def _unknown_skips() -> dict[str, list[str]]:
    return {reason: ids for reason, ids in _skips.items()
            if not any(known.search(reason) for known in KNOWN_SKIPS.values())}


def pytest_sessionfinish(session, exitstatus):
    if _unknown_skips() and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _skips:
        terminalreporter.section("skipped, by reason")
        for reason, ids in sorted(_skips.items(), key=lambda item: -len(item[1])):
            terminalreporter.write_line(f"{len(ids):5d}  {reason}")
        for reason, ids in _unknown_skips().items():
            terminalreporter.write_line(
                f"FAILED: a skip for an unknown reason hides tests ({reason!r}): "
                f"{', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}; fix the test, or add "
                "the reason to KNOWN_SKIPS in tests/conftest.py if it is a missing outside tool",
                red=True)
    if _figures:
        terminalreporter.section("figures (quoted in docs/reliability.md)")
        for nodeid, name, value in sorted(_figures, key=str):
            terminalreporter.write_line(f"{name}: {value}    [{nodeid}]")
