"""Engine and sessions.  Services own transactions: ``with writing(engine) as session``.
(The action path, the hottest, runs its own on the driver: casework/lifecycle/_driver.py.)

SQLite: WAL, busy timeout, and ``BEGIN IMMEDIATE`` for write transactions, because a deferred
transaction that upgrades to a write gets SQLITE_BUSY at once and a read-modify-write under
threads silently loses updates (PITFALLS.md).  PostgreSQL: READ COMMITTED plus version checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

WRITE_OPTION = "casework_write"


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must carry a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def delete_in_batches(engine: Engine, model, where, batch: int = 1000) -> int:
    """Delete ``model``'s rows matching ``where``, ``batch`` a transaction, so a long upkeep
    never holds SQLite's one write lock for long (PITFALLS.md); how many were deleted."""
    deleted = 0
    while True:
        with writing(engine) as session:
            ids = session.execute(select(model.id).where(where).order_by(model.id)
                                  .limit(batch)).scalars().all()
            if not ids:
                return deleted
            session.execute(delete(model).where(model.id.in_(ids)))
            deleted += len(ids)


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the per-database settings Casework relies on.

    Statement parameters are hidden from error messages: they can be a petitioner's name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("", "psycopg2"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from the sqlite3 module, which starts none before a
        # SELECT; we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _write_engine(engine: Engine) -> Engine:
    """The engine with the write option set, made once (it costs a copy of the options)."""
    writer = engine.__dict__.get("_casework_writer")
    if writer is None:
        writer = engine.__dict__["_casework_writer"] = engine.execution_options(
            **{WRITE_OPTION: True})
    return writer


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    with Session(_write_engine(engine), expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work; nothing it does is committed.

    Closing (not rolling back) ends the transaction without expiring what was loaded, so the
    objects stay readable after the block."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def count_by(engine: Engine, column) -> dict:
    """How many rows hold each value of ``column`` (e.g. each data key's id, for
    ``casework keys status``)."""
    with reading(engine) as session:
        rows = session.execute(select(column, func.count()).group_by(column)).all()
    return {value: count for value, count in rows}


def change_one_at_a_time(engine: Engine, pick, change: Callable[[Session, object], None]) -> int:
    """Apply ``change`` to the first row ``pick`` (a select of one model) finds, each in its own
    transaction, until it finds none; returns how many were changed.  A change must take its
    row out of what ``pick`` finds.  One row per transaction: a row may hold a 20 MB file, and
    a run stopped half-way keeps what it did (``casework keys rotate`` is re-run)."""
    done = 0
    while True:
        with writing(engine) as session:
            row = session.execute(pick.limit(1)).scalar_one_or_none()
            if row is None:
                return done
            change(session, row)
        done += 1
