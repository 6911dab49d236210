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

import weakref
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine import Dialect

from casework.db import UTCDateTime
from casework.models import Case, Event

CASES = Case.__table__
EVENTS = Event.__table__
# What an action reads of a case: what its checks, its deadline and its projection need, and
# the number the caller goes on with.  Not the petition itself.
CASE_COLUMNS = ("id", "number", "village_code", "urgency", "level", "status",
                "entered_level_at", "due_at", "warn_at", "warning", "overdue", "extended",
                "waiting_since", "concluded_at", "last_event_seq", "last_event_at", "version")
EVENT_COLUMNS = tuple(column.name for column in EVENTS.columns if column.name != "id")


class CaseRow:
    """The columns of a case an action needs, as read by the driver: plain attributes, not
    tracked by any session (nothing is flushed from it)."""

    __slots__ = CASE_COLUMNS

    def __init__(self, values) -> None:
        setter = CaseRow.__setattr__
        for name, value in zip(CASE_COLUMNS, values, strict=True):
            setter(self, name, value)

    def __repr__(self) -> str:
        return f"CaseRow(number={self.number!r}, version={self.version!r})"


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
        self.case_by_number = Statement(
            select(*(CASES.c[name] for name in CASE_COLUMNS))
            .where(CASES.c.number == bindparam("number")), dialect, ())
        self.case_results = tuple(_result_processor(CASES.c[name].type, dialect)
                                  for name in CASE_COLUMNS)
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


_STATEMENTS: weakref.WeakKeyDictionary[Dialect, Statements] = weakref.WeakKeyDictionary()


def statements(dialect: Dialect) -> Statements:
    found = _STATEMENTS.get(dialect)
    if found is None:
        found = _STATEMENTS[dialect] = Statements(dialect)
    return found


# -- UTCDateTime on SQLite ---------------------------------------------------------------------
# SQLAlchemy turns an aware datetime into SQLite's text through three Python functions and a
# %-format of a dict (~2 us), four times an action.  These do the same in one step; they are
# used only when they give exactly SQLAlchemy's values for the samples below (checked once per
# dialect), so a change of storage format falls back to SQLAlchemy's own processors.

def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; times must carry a zone")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_datetime(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


SAMPLES = (datetime(2026, 3, 2, 9, 30, 1, 5, tzinfo=timezone(timedelta(hours=8))),
           datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
           datetime(2100, 1, 1, tzinfo=UTC), None)


def _bind_processor(type_, dialect: Dialect):
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    if (isinstance(type_, UTCDateTime) and dialect.name == "sqlite" and process is not None
            and all(process(value) == _sqlite_text(value) for value in SAMPLES)):
        return _sqlite_text
    return process


def _result_processor(type_, dialect: Dialect):
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    bind = _bind_processor(type_, dialect)
    if bind is _sqlite_text and all(
            process(bind(value)) == _sqlite_datetime(bind(value)) for value in SAMPLES):
        return _sqlite_datetime
    return process


class DriverTransaction:
    """``with DriverTransaction(engine) as tx``: one write transaction on a pooled DBAPI
    connection, committed on success and rolled back on any error.

    SQLite: ``BEGIN IMMEDIATE`` as in casework.db (a deferred transaction that later writes
    fails at once with SQLITE_BUSY under concurrency).  PostgreSQL: the driver opens the
    transaction at the first statement; the versioned UPDATE guards the read-modify-write."""

    __slots__ = ("_engine", "_pooled", "driver", "statements")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> DriverTransaction:
        engine = self._engine
        self._pooled = engine.raw_connection()
        self.driver = self._pooled.driver_connection
        self.statements = statements(engine.dialect)
        if engine.dialect.name == "sqlite":
            try:
                self.driver.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._pooled.close()
                raise
        return self

    def __exit__(self, kind, _value, _traceback) -> None:
        try:
            if kind is None:
                self.driver.commit()
            else:
                self.driver.rollback()
        finally:
            self._pooled.close()  # back to the pool, which rolls back anything left

    def case_by_number(self, number: str) -> CaseRow | None:
        st = self.statements
        row = self.driver.execute(st.case_by_number.sql,
                                  st.case_by_number.params({"number": number})).fetchone()
        if row is None:
            return None
        return CaseRow([value if process is None or value is None else process(value)
                        for process, value in zip(st.case_results, row, strict=True)])

    def update_case(self, case_id: int, version: int, changed: dict) -> int:
        """Set ``changed`` on the case if it is still at ``version``; the rows updated."""
        statement = self.statements.update_case(tuple(changed))
        values = {**changed, "_id": case_id, "_version": version}
        return self.driver.execute(statement.sql, statement.params(values)).rowcount

    def insert_event(self, event: dict) -> None:
        statement = self.statements.insert_event
        self.driver.execute(statement.sql, statement.params(event))
