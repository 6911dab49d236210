"""``casework backup`` and ``casework restore``: a backup taken while cases are being worked
restores whole (every case the replay of its events, its hash chain intact as `casework audit
verify` checks it, nothing that committed before the backup missing), on SQLite and
PostgreSQL; bad requests are one sentence and write nothing."""

from __future__ import annotations

import random
import threading

import pytest
from click.testing import CliRunner
from conftest import PG_URL, VILLAGE_A2, WORKFLOW, petition
from consistency import examine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from casework.entrypoints.cli import main
from casework.lifecycle.actions import perform
from casework.lifecycle.cases import case_detail
from casework.lifecycle.intake import receive
from casework.storage.backup import BackupError, backup, holds_data, restore
from casework.storage.db import make_engine

ROUNDS = 3


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """An empty database of the same kind, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"{make_url(database_url).database}_restored"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Clerk(threading.Thread):
    """Logs petitions and notes on cases until told to stop, as a busy hotline would."""

    def __init__(self, cw, people, numbers: list[str]) -> None:
        super().__init__(daemon=True)
        self.cw, self.people, self.numbers = cw, people, numbers
        self.done = 0
        self.busy = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        chance = random.Random(6)
        try:
            while not self.stop.is_set():
                if chance.random() < 0.4:
                    village = chance.choice([petition()["village_code"], VILLAGE_A2])
                    case = receive(self.cw, self.people["operator"],
                                   petition(village_code=village))
                    self.numbers.append(case.number)
                else:
                    number = chance.choice(self.numbers)
                    version = self.cw_version(number)
                    perform(self.cw, self.people["operator"], number,
                            {"action": "note", "version": version, "note": "回访"})
                self.done += 1
                self.busy.set()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def cw_version(self, number: str) -> int:
        return case_detail(self.cw, self.people["operator"], number)["version"]


def test_a_backup_taken_while_cases_are_worked_restores_whole(cw, people, tmp_path, fresh_url):
    numbers = [receive(cw, people["operator"], petition()).number for _ in range(40)]
    clerk = Clerk(cw, people, numbers)
    clerk.start()
    clerk.busy.wait(30)
    target = make_engine(fresh_url)
    try:
        for round_ in range(ROUNDS):
            before = examine(cw.engine)
            writes_before = clerk.done
            file = backup(cw.engine, tmp_path / f"backup-{round_}")
            during = clerk.done - writes_before
            restore(target, file, force=round_ > 0)
            got = examine(target)
            assert not got.problems, got.problems[:5]
            after = examine(cw.engine)
            # Everything committed before the backup began is in it; nothing that never was.
            assert before.numbers <= got.numbers <= after.numbers
            assert before.events <= got.events <= after.events
            print(f"round {round_}: {len(got.numbers)} cases, {len(got.events)} events restored;"
                  f" {during} writes committed while the backup ran")
    finally:
        clerk.stop.set()
        clerk.join(30)
        target.dispose()
    assert clerk.error is None, clerk.error
    assert clerk.done > ROUNDS


def test_restore_refuses_a_database_that_holds_data(cw, people, tmp_path):
    receive(cw, people["operator"], petition())
    file = backup(cw.engine, tmp_path / "backup")
    before = examine(cw.engine)
    with pytest.raises(BackupError, match="already holds data.*--force"):
        restore(cw.engine, file)
    assert examine(cw.engine).events == before.events
    assert holds_data(cw.engine)


def test_restore_refuses_a_file_that_is_not_a_backup(cw, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100 if "sqlite" in str(cw.engine.url)
                     else b"PGDMP" + b"\xff" * 100)
    with pytest.raises(BackupError):
        restore(cw.engine, junk)
    with pytest.raises(BackupError, match="is not a"):
        restore(cw.engine, WORKFLOW)


def test_backup_and_restore_from_the_command_line(database_url, fresh_url, tmp_path, cw, people):
    receive(cw, people["operator"], petition())
    file = tmp_path / "casework.backup"

    def run(url, *args):
        env = {"CASEWORK_DATABASE_URL": url, "CASEWORK_WORKFLOW": str(WORKFLOW)}
        return CliRunner().invoke(main, list(args), env=env)

    made = run(database_url, "backup", str(file))
    assert made.exit_code == 0 and "backup written" in made.output
    assert run(fresh_url, "restore", str(file)).exit_code == 0
    again = run(fresh_url, "restore", str(file))
    assert again.exit_code == 1
    assert again.stderr.strip().splitlines() == [
        "casework: the configured database already holds data; restore with --force to "
        "replace it."]
    assert run(fresh_url, "restore", "--force", str(file)).exit_code == 0
    target = make_engine(fresh_url)
    assert examine(target).numbers == examine(cw.engine).numbers
    target.dispose()
    nowhere = run(database_url, "backup", str(tmp_path / "no" / "such" / "folder.db"))
    assert nowhere.exit_code == 1 and "does not exist" in nowhere.stderr


def test_pg_dump_missing_from_path_is_one_clear_sentence(cw, tmp_path, monkeypatch):
    if cw.engine.dialect.name != "postgresql":
        pytest.skip("pg_dump is for PostgreSQL")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backup(cw.engine, tmp_path / "backup")
    assert not list(tmp_path.iterdir())


def test_a_backup_holds_the_evidence_sealed_and_a_restore_gives_it_back(cw, people, tmp_path,
                                                                        fresh_url):
    import io
    import subprocess

    from conftest import DATA_KEY
    from evidence_files import PDF_MARK, jpeg, pdf

    from casework.bootstrap import bootstrap
    from casework.config import Settings
    from casework.evidence.attachments import Upload, add_attachment, read_attachment

    number = receive(cw, people["operator"], petition()).number
    name = "李秀英住院记录.pdf"
    document = pdf(pad=3 * 1024 * 1024)
    added = [add_attachment(cw, people["operator"], number, Upload(io.BytesIO(data), label))
             for data, label in ((document, name), (jpeg(), "伤情.jpg"))]
    file = backup(cw.engine, tmp_path / "with-evidence.backup")
    if cw.engine.dialect.name == "sqlite":
        shown = file.read_bytes()
    else:  # the custom format is compressed: read it as the SQL it restores
        shown = subprocess.run(["pg_restore", "--data-only", "-f", "-", str(file)],
                               capture_output=True, check=True).stdout
    for secret in (PDF_MARK, PDF_MARK.hex().encode(), name.encode(), b"%PDF-1.4"):
        assert secret not in shown, secret
    restore(make_engine(fresh_url), file)
    there = bootstrap(Settings(database_url=fresh_url, workflow_path=WORKFLOW,
                               data_key=DATA_KEY))
    try:
        opened = read_attachment(there, people["operator"], number, added[0]["id"])
        assert (opened.filename, b"".join(opened.chunks)) == (name, document)
        assert examine(there.engine).problems == []
    finally:
        there.engine.dispose()
