"""The action path on the database driver: a case read, its versioned UPDATE and the event
INSERT, compiled once per dialect and run on the pooled DBAPI connection in one transaction.

Why not a Session or a Connection: on this path each SQLAlchemy statement costs ~15 us and each
transaction ~20 us on top of the database's own work, while the whole raw action (BEGIN
IMMEDIATE, SELECT, UPDATE, INSERT, COMMIT) costs ~25-130 us (bench/RESULTS.md).  The statements
are still SQLAlchemy's: compiled from the tables for the engine's dialect (its SQL, its
placeholders), and every value goes through the column type's own bind and result processors,
so rows are stored and read exactly as the ORM stores and reads them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import functools
import os
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import JSON, Engine, bindparam, event, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from casework.lifecycle.chain import utc_text
from casework.storage.db import UTCDateTime
from casework.storage.models import Case, Event

CASES = Case.__table__
EVENTS = Event.__table__
EVENT_COLUMNS = tuple(column.name for column in EVENTS.columns if column.name != "id")


@dataclass(slots=True, eq=False)
class CaseRow:
    """What an action reads of a case: what its checks, its deadline and its projection need,
    and the number the caller goes on with, not the petition itself.  Plain attributes in the
    order of the SELECT, not tracked by any session (nothing is flushed from it)."""

    id: int
    number: str
    village_code: str
    urgency: str
    level: str
    status: str
    entered_level_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    warning: bool
    overdue: bool
    extended: bool
    waiting_since: datetime | None
    concluded_at: datetime | None
    last_event_seq: int
    last_event_at: datetime
    last_hash: str | None
    version: int
    risk_level: str | None
    risk_assessed_at: datetime | None


CASE_COLUMNS = tuple(CaseRow.__dataclass_fields__)


class Statement:
    """One statement compiled for a dialect, with the bind processor of each parameter."""

    __slots__ = ("sql", "_binds", "_positional")

    def __init__(self, statement, dialect: Dialect, column_keys: tuple[str, ...]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys))
        self.sql = compiled.string
        self._positional = compiled.positional
        names = compiled.positiontup if compiled.positional else list(compiled.binds)
        self._binds = tuple((name, _bind_processor(compiled.binds[name].type, dialect))
                            for name in names)

    def params(self, values: dict):
        """The driver's parameters for ``values`` (Python values by parameter name)."""
        if self._positional:
            return [values[name] if process is None else process(values[name])
                    for name, process in self._binds]
        return {name: values[name] if process is None else process(values[name])
                for name, process in self._binds}


class Statements:
    """The action path's statements for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.dbapi_error = dialect.loaded_dbapi.Error
        self.case_by_number = Statement(
            select(*(CASES.c[name] for name in CASE_COLUMNS))
            .where(CASES.c.number == bindparam("number")), dialect, ())
        # (position, processor) of the columns whose driver values need converting
        self.case_results = tuple(
            (index, process) for index, name in enumerate(CASE_COLUMNS)
            if (process := _result_processor(CASES.c[name].type, dialect)) is not None)
        self.insert_event = Statement(EVENTS.insert(), dialect, EVENT_COLUMNS)
        self._updates: dict[tuple[str, ...], Statement] = {}

    def update_case(self, columns: tuple[str, ...]) -> Statement:
        """``UPDATE cases SET <columns> WHERE id = :_id AND version = :_version``, made once
        per set of columns."""
        statement = self._updates.get(columns)
        if statement is None:
            statement = self._updates[columns] = Statement(
                CASES.update().where(CASES.c.id == bindparam("_id"),
                                     CASES.c.version == bindparam("_version")),
                self.dialect, columns)
        return statement


def statements(dialect: Dialect) -> Statements:
    """The statements of ``dialect``, compiled at its first action (kept on the dialect, which
    lives as long as its engine)."""
    found = dialect.__dict__.get("_casework_statements")
    if found is None:
        found = dialect.__dict__["_casework_statements"] = Statements(dialect)
    return found


# -- conversions ---------------------------------------------------------------------------
# SQLAlchemy turns an aware datetime into SQLite's text through three Python functions and a
# %-format of a dict (~2 us), four times an action, and most events carry an empty ``data``
# that json.dumps takes ~1 us for.  The functions below do the same in one step, and remember
# recent datetimes (the deadlines of a day's cases are the same few instants; an action's time
# is both the event's and the case's).  They are used only when they give exactly SQLAlchemy's
# values for the samples below (checked once per dialect); otherwise SQLAlchemy's own are.

# The hash chain formats an event's times the same way, through this same remembered function
# (casework/lifecycle/chain.py), so an action's time is formatted once for both.
_sqlite_text = utc_text


@functools.lru_cache(maxsize=4096)
def _sqlite_datetime(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text + "+00:00")


SAMPLES = {
    UTCDateTime: (datetime(2026, 3, 2, 9, 30, 1, 5, tzinfo=timezone(timedelta(hours=8))),
                  datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
                  datetime(2100, 1, 1, tzinfo=UTC), None),
    JSON: ({}, {"outcome": "mediated"}, {"天": [1, None]}),
}


def _bind_processor(type_, dialect: Dialect):
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    if isinstance(type_, UTCDateTime) and dialect.name == "sqlite":
        fast = _sqlite_text
    elif isinstance(type_, JSON) and not type_.none_as_null:
        def fast(value, process=process):
            return "{}" if value == {} else process(value)
    else:
        return process
    samples = SAMPLES[UTCDateTime if isinstance(type_, UTCDateTime) else JSON]
    return fast if all(fast(value) == process(value) for value in samples) else process


def _result_processor(type_, dialect: Dialect):
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    if _bind_processor(type_, dialect) is _sqlite_text and all(
            process(text) == _sqlite_datetime(text)
            for text in map(_sqlite_text, SAMPLES[UTCDateTime])):
        return _sqlite_datetime
    return process


class _Kept:
    """The idle SQLite connection the action path keeps checked out of the engine's pool
    between actions (at most one).

    A checkout and check-in through SQLAlchemy's pool costs ~50 Python calls (~9 us), a third
    of what an action costs above the raw floor; an action takes a kept connection instead.
    Only committed, idle connections are kept; they go back to the pool when the engine is
    disposed, and a forked child forgets its parent's (never touching them).  Not for
    PostgreSQL, whose connections the pool pings before each use."""

    __slots__ = ("connections", "limit", "__weakref__")

    def __init__(self, engine: Engine) -> None:
        self.connections: list = []
        # A pool that hands each thread its own connection (SQLite :memory:) keeps nothing.
        self.limit = 1 if isinstance(engine.pool, QueuePool) else 0


_ALL_KEPT: weakref.WeakSet[_Kept] = weakref.WeakSet()


def _kept(engine: Engine) -> _Kept:
    kept = engine.__dict__.get("_casework_kept")
    if kept is None:
        kept = engine.__dict__["_casework_kept"] = _Kept(engine)
        _ALL_KEPT.add(kept)
        event.listen(engine, "engine_disposed", lambda _engine: _release(kept.connections))
    return kept


def _release(connections: list) -> None:
    while connections:
        connections.pop().invalidate()  # closed now: it belongs to a pool that is gone


def _forget_after_fork() -> None:
    for kept in list(_ALL_KEPT):
        kept.connections.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


class DriverTransaction:
    """``with DriverTransaction(engine) as tx``: one write transaction on a pooled DBAPI
    connection, committed on success and rolled back on any error.

    SQLite: ``BEGIN IMMEDIATE`` as in casework.storage.db (a deferred transaction that later writes
    fails at once with SQLITE_BUSY under concurrency).  PostgreSQL: the driver opens the
    transaction at the first statement; the versioned UPDATE guards the read-modify-write.
    The driver's errors are raised as SQLAlchemy's (``OperationalError`` and so on, parameters
    hidden), as on every other path: the web app answers a locked or unreachable database with
    503, not 500."""

    __slots__ = ("_engine", "_kept", "_pooled", "driver", "statements")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    def __enter__(self) -> DriverTransaction:
        engine = self._engine
        self.statements = statements(engine.dialect)
        if self.statements.sqlite:
            self._kept = _kept(engine)
            try:
                self._pooled = self._kept.connections.pop()
            except IndexError:
                self._pooled = engine.raw_connection()
            self.driver = self._pooled.driver_connection
            try:
                self._execute("BEGIN IMMEDIATE")
            except BaseException:
                self._pooled.close()
                raise
        else:
            self._kept = None
            self._pooled = engine.raw_connection()
            self.driver = self._pooled.driver_connection
        return self

    def __exit__(self, kind, _value, _traceback) -> None:
        pooled, kept, keep = self._pooled, self._kept, False
        try:
            if kind is not None:
                # the error on its way out says more; the pool discards a broken connection
                with contextlib.suppress(self.statements.dbapi_error):
                    self.driver.rollback()
            elif kept is None:
                self._execute(None)
            else:
                # sqlite3's commit() prepares its COMMIT anew each time; this one is cached
                self._execute("COMMIT")
                keep = len(kept.connections) < kept.limit
        finally:
            if keep:
                kept.connections.append(pooled)
            else:
                pooled.close()  # back to the pool, which rolls back anything left

    def _execute(self, sql: str | None, params=()):
        """The driver's ``execute`` (``commit`` for None), its errors as SQLAlchemy's."""
        try:
            return self.driver.commit() if sql is None else self.driver.execute(sql, params)
        except self.statements.dbapi_error as exc:
            raise DBAPIError.instance(sql, None, exc, self.statements.dbapi_error,
                                      hide_parameters=True,
                                      dialect=self.statements.dialect) from exc

    def case_by_number(self, number: str) -> CaseRow | None:
        st = self.statements
        row = self._execute(st.case_by_number.sql,
                            st.case_by_number.params({"number": number})).fetchone()
        if row is None:
            return None
        values = list(row)
        for index, process in st.case_results:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return CaseRow(*values)

    def update_case(self, case_id: int, version: int, changed: dict) -> int:
        """Set ``changed`` on the case if it is still at ``version``; the rows updated."""
        statement = self.statements.update_case(tuple(changed))
        values = {**changed, "_id": case_id, "_version": version}
        return self._execute(statement.sql, statement.params(values)).rowcount

    def insert_event(self, event: dict) -> None:
        statement = self.statements.insert_event
        self._execute(statement.sql, statement.params(event))
