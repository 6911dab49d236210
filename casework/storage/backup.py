"""``casework backup FILE`` and ``casework restore FILE``.

SQLite: the online backup API copies every page in one step, inside one read transaction, so the
copy is the database as of one moment even while the server keeps writing (WAL lets writers go
on meanwhile).  PostgreSQL: ``pg_dump`` in its custom format, which also reads one snapshot;
``pg_restore --clean`` in one transaction puts it back.

A restore never lands on a database that holds data unless asked to (``--force``): the backup
is older than what it would replace, and the cases in between would be gone.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from casework.errors import CaseworkError
from casework.storage.db import is_sqlite

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Written by the schema itself, not by anybody's work: a database with only these is empty.
BOOKKEEPING = {"alembic_version", "scheduler_leases"}


class BackupError(CaseworkError):
    code = "backup_error"


def backup(engine: Engine, target: str | Path) -> Path:
    """Write a consistent copy of the database behind ``engine`` to ``target``."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup a file name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if is_sqlite(engine):
        _sqlite_backup(_sqlite_path(engine), target)
    else:
        _pg_dump(engine.url, target)
    return target


def restore(engine: Engine, source: str | Path, *, force: bool = False) -> None:
    """Put the backup at ``source`` into the database behind ``engine``."""
    source = Path(source)
    try:
        with source.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    sqlite = is_sqlite(engine)
    if sqlite and head != SQLITE_MAGIC:
        raise BackupError(f"{source.name} is not a SQLite backup made by `casework backup`")
    if not sqlite and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source.name} is not a pg_dump custom-format backup made by "
                          "`casework backup`")
    if not force and holds_data(engine):
        raise BackupError("the configured database already holds data; restore with --force to "
                          "replace it")
    if sqlite:
        _sqlite_restore(source, _sqlite_path(engine))
        engine.dispose()  # pooled connections still see the pages from before
    else:
        engine.dispose()  # our own idle connections would hold locks pg_restore must take
        _pg_restore(engine.url, source)


def holds_data(engine: Engine) -> bool:
    """True when any table but the schema's bookkeeping has a row."""
    if is_sqlite(engine) and not Path(_sqlite_path(engine)).exists():
        return False
    with engine.connect() as conn:
        tables = [name for name in inspect(conn).get_table_names() if name not in BOOKKEEPING]
        for name in tables:
            quoted = conn.dialect.identifier_preparer.quote(name)
            if conn.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first():
                return True
    return False


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up or restored")
    return database


def _sqlite_backup(database: str, target: Path) -> None:
    if not Path(database).is_file():
        raise BackupError(f"there is no database at {database}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # pages=-1: every page in one step, so one read transaction sees one moment.
        source.backup(copy, pages=-1)
        # One self-contained file, readable without its -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed its integrity check; nothing was written")
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from None
    finally:
        copy.close()
        source.close()
    # Renamed into place only when whole: an interrupted backup never looks like a good one.
    os.replace(partial, target)


def _sqlite_restore(source: Path, database: str) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = backup_db.execute("PRAGMA quick_check").fetchone()[0]
        tables = {row[0] for row in backup_db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if check != "ok" or not {"alembic_version", "cases", "events"} <= tables:
            raise BackupError(f"{source.name} is damaged or not a Casework database")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(database, timeout=30)
        try:
            # Through SQLite, not a file copy: it takes the write lock and goes through the WAL,
            # so a running reader never sees half a database.
            backup_db.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode=WAL")
        finally:
            live.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    finally:
        backup_db.close()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found on PATH; install the PostgreSQL client tools "
                          "of the server's version")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address without the password, which goes in the environment instead of the
    process list."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        why = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {why}")


def _pg_dump(url: URL, target: Path) -> None:
    tool = _pg_tool("pg_dump")
    address, env = _libpq(url)
    partial = target.with_name(target.name + ".partial")
    try:
        _run([tool, "--format=custom", "--no-owner", "--file", str(partial), "--dbname",
              address], env, "pg_dump")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(url: URL, source: Path) -> None:
    tool = _pg_tool("pg_restore")
    address, env = _libpq(url)
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", "--dbname", address, str(source)], env, "pg_restore")
