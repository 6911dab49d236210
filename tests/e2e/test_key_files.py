"""The session secret from its file (DESIGN.md, "Set-up with nothing exported"): a browser
session survives a restart of the web app, and holds across workers, with nothing exported."""

from __future__ import annotations

import pytest
from conftest import DATA_KEY, WORKFLOW

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.privacy.keyfiles import write_new_key_file
from e2e.conftest import login
from webui import create_app


@pytest.fixture
def start_app(database_url, people, monkeypatch, tmp_path):
    """A new web app from the environment each call: what a restart, or another worker, is."""
    monkeypatch.delenv("CASEWORK_SECRET_KEY", raising=False)
    env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
           "CASEWORK_DATA_KEY": DATA_KEY,
           "CASEWORK_SECRET_KEY_FILE": str(tmp_path / "instance" / "secret.key")}
    made = []

    def start():
        cw = bootstrap(Settings.from_env(env))
        made.append(cw)
        return create_app({"WTF_CSRF_ENABLED": False}, casework=cw)

    yield start
    for cw in made:
        cw.engine.dispose()


def cookie_survives_a_restart(start_app, people) -> bool:
    before = start_app().test_client()
    assert login(before, people["operator"].username).status_code == 302
    assert before.get("/").status_code == 200
    cookie = before.get_cookie("casework_session")
    after = start_app().test_client()
    after.set_cookie("casework_session", cookie.value)
    return after.get("/").status_code == 200


def test_a_session_survives_a_restart_with_the_secret_from_its_file(start_app, people,
                                                                    tmp_path):
    assert write_new_key_file(tmp_path / "instance" / "secret.key", "a" * 64)
    assert cookie_survives_a_restart(start_app, people)


def test_without_a_secret_file_a_restart_ends_the_session(start_app, people):
    assert not cookie_survives_a_restart(start_app, people)
