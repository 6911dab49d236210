"""PostgreSQL for the benchmarks: fresh databases made by the real migrations, COPY loading.

The server is the one of ``CASEWORK_BENCH_POSTGRES_URL`` (default: the machine's, as the tests
use it); benchmarks that find none say so and run on SQLite alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from casework.storage.db import make_engine
from casework.storage.schema import upgrade

DEFAULT = "postgresql://postgres@127.0.0.1/postgres"


def server_url() -> str | None:
    """The server's admin URL, or None when no server answers."""
    url = (os.environ.get("CASEWORK_BENCH_POSTGRES_URL")
           or os.environ.get("CASEWORK_TEST_DATABASE_URL") or DEFAULT)
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return url
    except psycopg.Error:
        return None


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def fresh_database(server: str, name: str) -> str:
    """Drop and create database ``name`` on ``server``, with the newest schema; its URL."""
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url(server, name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def clone_database(server: str, source: str, name: str) -> str:
    """A copy of database ``source`` (which must have no connections) as ``name``."""
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return database_url(server, name)


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(_libpq(url))


@contextmanager
def indexes_dropped(connection: psycopg.Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Bulk loads run faster into bare tables: drop the secondary indexes (not the keys and
    unique constraints) and build them again afterwards."""
    rows = connection.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname)", (list(tables),)).fetchall()
    for name, _definition in rows:
        connection.execute(f'DROP INDEX "{name}"')
    yield
    for _name, definition in rows:
        connection.execute(definition)


def copy_rows(connection: psycopg.Connection, table: str, columns: tuple[str, ...],
              rows: Iterable[tuple]) -> int:
    """COPY ``rows`` into ``table``; how many were written."""
    count = 0
    with connection.cursor().copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def reset_sequences(connection: psycopg.Connection, tables: tuple[str, ...]) -> None:
    """Rows loaded with explicit ids leave the serial sequences behind; move them past."""
    for table in tables:
        connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")
