"""The benchmarks' province generator (bench/generate): its rows are the engine's own.

The benchmarks' figures are only worth something if the generated history is one the engine
could have written: each case the replay of its events, hash chains intact, numbers gapless,
the same rows whatever the number of simulating processes and on either database."""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import PG_URL

import bench.common
from bench import pg
from bench.generate import Params, Shape, generate
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.lifecycle.audit import verify as verify_chain
from casework.privacy import narratives
from casework.privacy.crypto import Keyring, TamperedData
from casework.reporting.reports import monthly_report

SMALL = Params(events=6000, month_cases=60, shape=Shape(counties=2, townships=2, villages=3),
               notes=1.0, history_from=(2025, 3))
# The sealed name and phone carry random nonces, and so do sealed summaries and notes (compared
# opened, below); everything else must be the same.
COMPARED = {"cases": "SELECT * FROM cases ORDER BY id",
            "events": "SELECT * FROM events ORDER BY id",
            "petitioners": "SELECT id, key_id, phone_hash, gender, age_group FROM petitioners "
                           "ORDER BY id",
            "case_number_sequences": "SELECT * FROM case_number_sequences ORDER BY 1, 2"}


@pytest.fixture(autouse=True)
def bench_data(tmp_path, monkeypatch):
    """The bench keeps its data key beside its databases: here, in the test's folder."""
    monkeypatch.setattr(bench.common, "DATA", tmp_path)
    return tmp_path


TOKEN = re.compile(r"sealed:[0-9a-f]+:[A-Za-z0-9_-]+")


def rows(path) -> dict[str, list[tuple]]:
    """The compared rows, each sealed text shown opened: a seal's nonce differs every time."""
    keyring = Keyring.from_texts(bench.common.data_key())

    def opened(token: re.Match) -> str:
        for purpose in (narratives.SUMMARY, narratives.NOTE, narratives.data_purpose("reason")):
            try:
                return "opened:" + narratives.open_text(keyring, purpose, token.group(0))
            except TamperedData:
                continue
        raise AssertionError(f"a token no purpose opens: {token.group(0)[:30]}")

    db = sqlite3.connect(path)
    try:
        return {table: [tuple(TOKEN.sub(opened, value) if isinstance(value, str) else value
                              for value in row) for row in db.execute(sql)]
                for table, sql in COMPARED.items()}
    finally:
        db.close()


def test_the_rows_do_not_depend_on_the_number_of_simulating_processes(tmp_path):
    one = generate(tmp_path / "one.db", SMALL, verify_sample=50, workers=1)
    two = generate(tmp_path / "two.db", SMALL, verify_sample=50, workers=2)
    assert (one["events"], one["cases"]) == (two["events"], two["cases"])
    assert 4000 < one["events"] < 8000  # about the asked number
    assert rows(tmp_path / "one.db") == rows(tmp_path / "two.db")


def test_every_case_is_its_events_and_every_chain_is_intact(tmp_path):
    facts = generate(tmp_path / "p.db", SMALL, verify_sample=0)  # checked whole, below
    cw = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}",
                            workflow_path=bench.common.WORKFLOW,
                            data_key=bench.common.data_key()))
    problems: list[str] = []
    checked = verify_chain(cw.engine, report=problems.append)
    cw.engine.dispose()
    assert problems == []
    assert (checked.cases, checked.events, checked.problems) == (facts["cases"],
                                                                 facts["events"], 0)


@pytest.mark.postgres
def test_postgresql_gets_the_same_rows_and_the_same_reports(tmp_path):
    if not PG_URL:
        pytest.skip("PostgreSQL tests need CASEWORK_TEST_DATABASE_URL (not set here)")
    name = f"cw_generator_{tmp_path.name[-20:]}".lower().replace("-", "_")
    url = pg.database_url(PG_URL, name)
    try:
        generate([tmp_path / "p.db", url], SMALL, verify_sample=50)
        reports = []
        for target in (f"sqlite:///{tmp_path / 'p.db'}", url):
            cw = bootstrap(Settings(database_url=target, workflow_path=bench.common.WORKFLOW,
                                    data_key=bench.common.data_key()))
            reports.append([monthly_report(cw, month=month, area=area, now=SMALL.now)
                            for month in ("2025-11", "2026-09", "2026-10")
                            for area in (None, "450121", "450121100")])
            cw.engine.dispose()
        assert reports[0] == reports[1]
        assert reports[0][3]["received"] > 0
    finally:
        pg.drop_database(PG_URL, name)
