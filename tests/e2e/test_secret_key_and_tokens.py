"""``serve`` refuses a short secret key or one printed in the documentation; API tokens carry a
label and an expiry (365 days unless told) and ``tokens list`` shows them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from conftest import DATA_KEY, WORKFLOW

from casework.entrypoints.cli import main
from casework.storage.db import utcnow

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "hotline_operator_450330"


def documented_secret_keys() -> set[str]:
    """Every CASEWORK_SECRET_KEY=VALUE the README and docs/ show."""
    found = set()
    for path in [ROOT / "README.md", *ROOT.joinpath("docs").rglob("*")]:
        if path.is_file() and path.suffix in ("", ".md", ".env", ".service", ".conf"):
            found |= set(re.findall(r"CASEWORK_SECRET_KEY=([^\s'\"`]+)", path.read_text()))
    return found


@pytest.fixture
def env(database_url):
    return {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
            "CASEWORK_DATA_KEY": DATA_KEY}


@pytest.mark.parametrize("key", ["change-me", "short-but-random-4f9a", "x" * 31,
                                 *sorted(documented_secret_keys())])
def test_serve_refuses_a_weak_or_documented_secret_key(env, key):
    result = CliRunner().invoke(main, ["serve", "--port", "1"],
                                env={**env, "CASEWORK_SECRET_KEY": key})
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "CASEWORK_SECRET_KEY" in lines[0]


def test_the_docs_show_at_least_one_secret_key_and_it_is_refused():
    from webui.config import secret_key_problem

    keys = documented_secret_keys()
    assert keys and all(secret_key_problem(key) for key in keys)
    assert secret_key_problem("4f9a" * 16) is None


def test_tokens_expire_after_the_days_given_and_are_listed(env, client, people):
    runner = CliRunner()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        short = runner.invoke(main, ["tokens", "create", OPERATOR, "--label", "crm",
                                     "--days", "30"], env=env).output.strip()
        default = runner.invoke(main, ["tokens", "create", OPERATOR, "--label", "sms"],
                                env=env).output.strip()
        headers = {"Authorization": f"Bearer {short}"}
        assert client.get("/api/v1/cases", headers=headers).status_code == 200
        listing = runner.invoke(main, ["tokens", "list", OPERATOR], env=env)
        assert listing.exit_code == 0
        crm = next(line for line in listing.output.splitlines() if line.startswith("crm"))
        sms = next(line for line in listing.output.splitlines() if line.startswith("sms"))
        created, expires = utcnow(), utcnow() + timedelta(days=30)
        assert crm.endswith("live") and expires.astimezone().strftime("%Y") in crm
        assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", crm)) == 3  # created, used, expires
        assert " - " in sms  # never used
        traveller.shift(timedelta(days=30, minutes=1))
        assert client.get("/api/v1/cases", headers=headers).status_code == 401
        assert client.get("/api/v1/cases",
                          headers={"Authorization": f"Bearer {default}"}).status_code == 200
        listing = runner.invoke(main, ["tokens", "list", OPERATOR], env=env).output
        assert "expired" in listing and created.strftime("%Y") in listing
        traveller.shift(timedelta(days=335))
        assert client.get("/api/v1/cases",
                          headers={"Authorization": f"Bearer {default}"}).status_code == 401


@pytest.mark.parametrize("days", ["0", "-5", "3651", "many"])
def test_a_bad_number_of_days_is_refused(env, people, days):
    result = CliRunner().invoke(main, ["tokens", "create", OPERATOR, "--days", days], env=env)
    assert result.exit_code in (1, 2) and "days" in result.stderr.lower()
