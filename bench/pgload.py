"""PostgreSQL databases for the benchmarks: made, copied from a template, and filled from a
generated SQLite database with COPY."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.common import say
from casework.storage.db import make_engine
from casework.storage.schema import upgrade

# Parents before children (foreign keys); the order COPY fills them.
TABLES = ("areas", "users", "api_tokens", "petitioners", "case_number_sequences", "cases",
          "events", "scheduler_leases", "notifications")


def server_url() -> str | None:
    """CASEWORK_BENCH_DATABASE_URL, else the machine's own server where one answers."""
    configured = os.environ.get("CASEWORK_BENCH_DATABASE_URL")
    candidates = [configured] if configured else ["postgresql://postgres@127.0.0.1:5432/postgres"]
    for url in candidates:
        try:
            engine = make_engine(url)
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            return url
        except Exception as exc:  # noqa: BLE001  (any failure means: no PostgreSQL here)
            say(f"PostgreSQL at {make_url(url).render_as_string()} not usable "
                f"({type(exc).__name__}); SQLite only")
    return None


def _admin(url: str):
    return make_engine(url, isolation_level="AUTOCOMMIT")


def database_url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop(url: str, name: str) -> None:
    engine = _admin(url)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def create(url: str, name: str, template: str | None = None) -> str:
    """A new database ``name`` (a copy of ``template`` when given); its URL."""
    drop(url, name)
    engine = _admin(url)
    with engine.connect() as connection:
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    engine.dispose()
    target = database_url(url, name)
    if template is None:
        engine = make_engine(target)
        upgrade(engine)
        engine.dispose()
    return target


def copy_from_sqlite(source: Path, target_url: str) -> float:
    """Every row of the SQLite database ``source`` into the (migrated, empty) ``target_url``,
    with COPY; the id sequences moved past the copied ids.  Returns the seconds it took."""
    import psycopg

    started = time.perf_counter()
    lite = sqlite3.connect(source)
    url = make_url(target_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as pg:
        pg.execute("SET TIME ZONE 'UTC'")
        for table in TABLES:
            columns = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(columns)
            rows = lite.execute(f"SELECT {names} FROM {table}")
            copied = 0
            # Text COPY: SQLite's 0/1 are valid booleans, its naive UTC stamps valid timestamps.
            with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    copied += 1
            if "id" in columns:
                pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"GREATEST((SELECT max(id) FROM {table}), 1))")
            say(f"pgload: {table}: {copied:,} rows")
        pg.commit()
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")
    lite.close()
    return time.perf_counter() - started
