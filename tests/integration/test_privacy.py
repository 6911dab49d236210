"""Petitioners' data at rest (issue 6): nothing of a petitioner's name, phone or ID number in
the database file or rows, the caller still found by phone, key errors in one sentence, key
rotation, and migration 0007 on a database that held plaintext."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from conftest import DATA_KEY, TABLES, VILLAGE_A1, VILLAGE_B1, WORKFLOW, petition
from sqlalchemy import inspect, select, text

from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.entrypoints.cli import main
from casework.imports.ledger import COLUMNS, import_ledger
from casework.lifecycle import cases, intake
from casework.privacy.crypto import DataKeyError, generate_key
from casework.privacy.narrative_keys import narratives_by_key, rotate_narratives
from casework.privacy.petitioners import (
    check_keys,
    count_by_key,
    open_petitioner,
    rotate,
    with_phone,
)
from casework.storage.db import reading
from casework.storage.models import Petitioner
from casework.storage.schema import alembic_config, upgrade

NAME, PHONE, ID_NUMBER = "欧阳秀英", "13912345678", "11010519491231002X"
SECRETS = (NAME, PHONE, "139-1234-5678", "1234-5678", ID_NUMBER, "491231002X")


def secret_petition(**overrides) -> dict:
    return petition(petitioner={"name": NAME, "phone": "139-1234-5678", "id_number": ID_NUMBER,
                                "gender": "female", "age_group": "35_59"}, **overrides)


def plaintext_found(cw) -> list[str]:
    """Every secret that can be read in the stored data: the raw bytes of the SQLite files
    (database, WAL, shared memory), or every row of every table on PostgreSQL."""
    if cw.engine.dialect.name == "sqlite":
        base = Path(cw.engine.url.database)
        stored = b"".join(path.read_bytes() for path in base.parent.glob(base.name + "*"))
    else:
        with cw.engine.connect() as connection:
            # A test that migrated down reads the tables of that revision.
            present = set(inspect(connection).get_table_names())
            stored = "\n".join(
                row for table in TABLES if table in present
                for row in connection.execute(text(f"SELECT t::text FROM {table} t")).scalars()
            ).encode()
    return [secret for secret in SECRETS if secret.encode() in stored]


@pytest.fixture
def other_key_casework(cw):
    """``other_key_casework(key)``: the same database under other keys (its engine disposed
    with the test)."""
    made = []

    def make(key: str | None, older: str | None = None):
        made.append(bootstrap(Settings(database_url=cw.settings.database_url,
                                       workflow_path=WORKFLOW, data_key=key,
                                       old_data_keys=older)))
        return made[-1]

    yield make
    for casework in made:
        casework.engine.dispose()


def test_an_intake_stores_no_name_phone_or_id_number_in_clear(cw, people):
    case = intake.receive(cw, people["operator"], secret_petition())
    shown = cases.reveal_phone(cw, people["operator"], case.number)
    detail = cases.case_detail(cw, people["operator"], case.number)
    assert shown == {"phone": PHONE, "id_number": ID_NUMBER}
    assert detail["petitioner"] == {"name": NAME, "phone": "139****5678",
                                    "id_number": "110105********002X", "gender": "female",
                                    "age_group": "35_59"}
    assert plaintext_found(cw) == []
    # A phone typed into the summary is sealed with it (issue 18) ...
    intake.receive(cw, people["operator"], petition(summary=f"回电 {PHONE}"))
    assert plaintext_found(cw) == []
    # ... and the check can fail: a phone written in clear is found.
    with cw.engine.begin() as connection:
        connection.execute(text("UPDATE areas SET name = :phone WHERE code = :code"),
                           {"phone": PHONE, "code": VILLAGE_B1})
    assert PHONE in plaintext_found(cw)


def test_a_caller_is_found_by_phone_in_any_spelling_and_only_inside_the_area(cw, people):
    first = intake.receive(cw, people["operator"], secret_petition()).number
    again = intake.receive(cw, people["operator"], secret_petition(village_code=VILLAGE_B1))
    intake.receive(cw, people["operator"], petition())  # another caller
    for spelling in ("13912345678", "139 1234 5678", "139-1234-5678"):
        found = cases.caller_cases(cw, people["operator"], spelling)
        assert [c["number"] for c in found] == [again.number, first]
    assert [c["number"] for c in cases.caller_cases(cw, people["village_a1"], PHONE)] == [first]
    assert cases.caller_cases(cw, people["operator"], "13900000000") == []


def test_a_wrong_key_is_one_sentence_naming_both_keys(cw, people, other_key_casework):
    number = intake.receive(cw, people["operator"], secret_petition()).number
    wrong = other_key_casework(generate_key())
    with pytest.raises(DataKeyError, match=f"sealed with key {cw.keyring.current.key_id}"):
        cases.case_detail(wrong, people["operator"], number)
    with pytest.raises(DataKeyError):
        check_keys(wrong.keyring, wrong.engine)
    with pytest.raises(DataKeyError, match="CASEWORK_DATA_KEY is not set"):
        cases.case_detail(other_key_casework(None), people["operator"], number)
    check_keys(cw.keyring, cw.engine)  # the right key passes


def test_an_altered_row_is_caught_not_shown(cw, people):
    number = intake.receive(cw, people["operator"], secret_petition()).number
    other = intake.receive(cw, people["operator"], petition()).number
    with cw.engine.begin() as connection:  # someone with the database swaps two names
        rows = connection.execute(text("SELECT id, name_sealed FROM petitioners ORDER BY id"))
        (a, name_a), (b, _) = rows.all()
        connection.execute(text("UPDATE petitioners SET phone_sealed = :v WHERE id = :i"),
                           {"v": name_a, "i": b})
    cases.case_detail(cw, people["operator"], number)
    with pytest.raises(DataKeyError, match="altered or moved"):
        cases.case_detail(cw, people["operator"], other)


def test_rotation_reseals_every_row_and_the_caller_is_found_throughout(cw, people,
                                                                   other_key_casework):
    numbers = [intake.receive(cw, people["operator"], secret_petition()).number for _ in range(3)]
    old_id, new_key = cw.keyring.current.key_id, generate_key()
    rotated = other_key_casework(new_key, f"{generate_key()},{DATA_KEY}")
    # During the rotation both keys are configured: old rows open, lookups find them.
    assert len(cases.caller_cases(rotated, people["operator"], PHONE)) == 3
    new = intake.receive(rotated, people["operator"], secret_petition()).number
    assert len(cases.caller_cases(rotated, people["operator"], PHONE)) == 4
    assert rotate(rotated.keyring, rotated.engine, batch=2) == 3
    assert count_by_key(rotated.engine) == {rotated.keyring.current.key_id: 4}
    assert rotate(rotated.keyring, rotated.engine) == 0
    # The summaries too (issue 18): three under the old key, the new case's under the new.
    assert rotate_narratives(rotated.keyring, rotated.engine, batch=2) == 3
    assert narratives_by_key(rotated.engine) == {rotated.keyring.current.key_id: 4}
    assert rotate_narratives(rotated.keyring, rotated.engine) == 0
    alone = other_key_casework(new_key)
    assert len(cases.caller_cases(alone, people["operator"], PHONE)) == 4
    for number in [*numbers, new]:
        assert cases.case_detail(alone, people["operator"], number)["petitioner"]["name"] \
            == NAME
    assert plaintext_found(cw) == []
    with pytest.raises(DataKeyError, match=rotated.keyring.current.key_id):
        check_keys(cw.keyring, cw.engine)  # the old key alone no longer opens them
    assert old_id != rotated.keyring.current.key_id


def _migrate(cw, verb: str, revision: str) -> None:
    config = alembic_config(cw.engine)
    config.attributes["casework_keys"] = lambda: cw.keyring
    with cw.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def _revision(cw) -> str:
    with cw.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_migration_0007_seals_plaintext_rows_and_refuses_without_a_key(cw, monkeypatch):
    head = _revision(cw)
    _migrate(cw, "downgrade", "0006")
    try:
        with cw.engine.begin() as connection:
            connection.execute(text("INSERT INTO petitioners (name, phone, gender, age_group) "
                                    "VALUES (:n, :p, 'female', '')"),
                               [{"n": NAME, "p": PHONE}, {"n": "王某", "p": ""}])
        assert NAME in plaintext_found(cw)
        monkeypatch.delenv("CASEWORK_DATA_KEY", raising=False)
        with pytest.raises(DataKeyError, match="CASEWORK_DATA_KEY is not set"):
            upgrade(cw.engine)
        assert _revision(cw) == "0006"  # refused before anything changed
        upgrade(cw.engine, lambda: cw.keyring)
        assert plaintext_found(cw) == []
        with reading(cw.engine) as session:
            rows = session.execute(select(Petitioner).order_by(Petitioner.id)).scalars().all()
            found = session.execute(select(Petitioner.id)
                                    .where(with_phone(cw.keyring, PHONE))).scalars().all()
        assert [open_petitioner(cw.keyring, row).name for row in rows] == [NAME, "王某"]
        assert found == [rows[0].id] and rows[1].phone_hash is None
        _migrate(cw, "downgrade", "0006")  # and back: the plaintext returns
        with cw.engine.connect() as connection:
            assert connection.execute(text("SELECT name, phone FROM petitioners ORDER BY id")
                                      ).all() == [(NAME, PHONE), ("王某", "")]
    finally:
        with cw.engine.begin() as connection:
            connection.execute(text("DELETE FROM petitioners"))
        upgrade(cw.engine, lambda: cw.keyring)
    assert _revision(cw) == head


def test_an_imported_ledger_is_sealed_and_its_callers_found(cw, people, tmp_path):
    path = tmp_path / "ledger.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerow({"received_at": "2026-03-02 09:00", "village_code": VILLAGE_A1,
                         "category": "marriage_family", "channel": "visit", "summary": "台账",
                         "petitioner_name": NAME, "petitioner_phone": "139-1234-5678"})
    assert import_ledger(cw, path) == 1
    found = cases.caller_cases(cw, people["operator"], PHONE)
    assert [c["petitioner"]["name"] for c in found] == [NAME]
    assert plaintext_found(cw) == []


def test_the_demo_county_is_sealed_and_its_callers_found(cw):
    from casework.entrypoints.demo import build_demo
    from casework.people.users import actor_of
    from casework.storage.models import User

    build_demo(cw, cases=12)
    with reading(cw.engine) as session:
        row = session.execute(select(Petitioner).limit(1)).scalar_one()
        operator = actor_of(session.execute(select(User).where(User.username == "hotline"))
                            .scalar_one())
    phone = open_petitioner(cw.keyring, row).phone
    assert phone and cases.caller_cases(cw, operator, phone)


@pytest.fixture
def cli(database_url):
    def invoke(*args, key: str | None = DATA_KEY):
        env = {"CASEWORK_DATABASE_URL": database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
               "CASEWORK_DATA_KEY": key or "", "CASEWORK_OLD_DATA_KEYS": ""}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def sentence(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casework: ")
    return lines[0]


def test_commands_touching_petitioners_refuse_without_a_key_and_others_run(cli, cw, people,
                                                                          tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(",".join(COLUMNS) + "\n", "utf-8")
    for args in (["import", "ledger", str(ledger)], ["keys", "status"], ["keys", "rotate"],
                 ["serve", "--port", "1"]):
        assert "CASEWORK_DATA_KEY is not set" in sentence(cli(*args, key=None))
    assert "CASEWORK_DATA_KEY must be 32 random bytes" in sentence(
        cli("import", "ledger", str(ledger), key="secret"))
    assert cli("report", "monthly", "--month", "2026-10", "--format", "json",
               key=None).exit_code == 0
    assert cli("tick", key=None).exit_code == 0


def test_serve_refuses_a_key_that_cannot_open_the_stored_petitioners(cli, cw, people):
    intake.receive(cw, people["operator"], secret_petition())
    assert "sealed with key" in sentence(cli("serve", "--port", "1", key=generate_key()))


def test_keys_generate_status_and_rotate(cli, cw, people, other_key_casework):
    intake.receive(cw, people["operator"], secret_petition())
    new = cli("keys", "generate").output.strip()
    assert other_key_casework(new).keyring.current.key_id  # a key it accepts
    assert f"{cw.keyring.current.key_id}: 1 petitioners, 1 case texts (current)" in cli(
        "keys", "status").output
    env_old = {"CASEWORK_OLD_DATA_KEYS": DATA_KEY}
    result = CliRunner().invoke(main, ["keys", "rotate"], env={
        "CASEWORK_DATABASE_URL": cw.settings.database_url, "CASEWORK_WORKFLOW": str(WORKFLOW),
        "CASEWORK_DATA_KEY": new, **env_old}, catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(
        "1 petitioners, 0 attachments, 1 case texts and 0 ledger uploads re-sealed")
    assert "sealed with key" in sentence(cli("keys", "rotate"))  # old key alone: refused
