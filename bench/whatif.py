"""What would make the engine's action path faster: the same ``perform``, with parts of the
write path swapped in this process only (casework's files are not touched), measured against the
unchanged engine on copies of one database (``python -m bench profile --what-if``).

Variants, each adding to the one before:

1. ``core-writes``: ``casework.events.append`` writes with Core statements on the session's
   connection (the UPDATE built once per set of changed columns, with bound parameters; the
   INSERT the table's own), instead of an ORM-enabled ``update(Case)`` (which also synchronises
   the session's identity map by evaluating the WHERE clause in Python) and an ORM bulk
   ``insert(Event), [row]``.
2. ``+ prebuilt-select``: ``case_by_number`` executes one module-level
   ``select(Case).where(Case.number == bindparam("number"))`` instead of building the statement
   (and its cache key) on every call.
3. ``+ plain-event``: ``new_event`` builds a plain object with the event's attributes instead of
   an SQLModel ``Event`` table instance (which only becomes a dict for the INSERT anyway).
4. ``+ driver-sql``: the SELECT, UPDATE and INSERT go to the sqlite3 connection underneath the
   session (the statements of the raw floor), with the type conversions done by hand; the
   session is kept for the transaction (BEGIN IMMEDIATE, commit, rollback).
5. ``+ raw-transaction``: no Session at all: ``writing`` checks a DBAPI connection out of the
   engine's pool (``engine.raw_connection()``) and sends BEGIN IMMEDIATE / COMMIT itself.

The raw floor (bench/actions.py) is measured in the same run for reference.

Every variant must leave exactly the rows the unchanged engine leaves (checked).
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

import casework.actions  # noqa: F401  (patched by name below)
from bench.actions import check_same, mix_plan, note_plan, prepare, run_engine, run_raw
from bench.common import DATA, copy_db, median, say
from casework.errors import Invalid, StaleVersion
from casework.models import Case, Event
from casework.projection import PROJECTED, project, projected_columns

CASES, EVENTS = Case.__table__, Event.__table__
INSERT_EVENT = EVENTS.insert()
EVENT_COLUMNS = [c.name for c in EVENTS.columns if c.name != "id"]
_updates: dict[tuple[str, ...], object] = {}


def _update_for(names: tuple[str, ...]):
    statement = _updates.get(names)
    if statement is None:
        statement = _updates[names] = (
            update(CASES).where(CASES.c.id == bindparam("_id"),
                                CASES.c.version == bindparam("_version"))
            .values({name: bindparam(name) for name in names}))
    return statement


def _changes(case, event) -> dict:
    if event.at < case.last_event_at:
        raise Invalid({"at": "a case's events cannot be dated before its last event"})
    before = projected_columns(case)
    after = project(before, event)
    return {name: after[name] for name in PROJECTED if after[name] != before[name]}


def _stale(case):
    return StaleVersion("the case was changed by someone else; reload it",
                        version=case.version, allowed_actions=[])


def core_append(session, case, event):
    changed = _changes(case, event)
    connection = session.connection()
    result = connection.execute(_update_for(tuple(changed)),
                                {**changed, "_id": case.id, "_version": case.version})
    if result.rowcount != 1:
        raise _stale(case)
    connection.execute(INSERT_EVENT, {name: getattr(event, name) for name in EVENT_COLUMNS})
    for name, value in changed.items():
        set_committed_value(case, name, value)
    return event


CASE_BY_NUMBER = select(Case).where(Case.number == bindparam("number"))


def prebuilt_case_by_number(session, number):
    return session.execute(CASE_BY_NUMBER, {"number": number}).scalar_one_or_none()


class PlainEvent:
    __slots__ = tuple(EVENT_COLUMNS)

    def __init__(self, **values):
        for name in EVENT_COLUMNS:
            setattr(self, name, values.get(name))


def plain_new_event(case, *, action, actor, at, to_level, to_status, deadline, note="",
                    data=None, deadline_met=None, village_code=None):
    return PlainEvent(
        case_id=case.id if case else 0, seq=(case.last_event_seq + 1) if case else 1,
        action=action, from_level=case.level if case else None,
        from_status=case.status if case else None, to_level=to_level, to_status=to_status,
        actor_id=actor.id, actor=actor.username, at=at, note=note, data=data or {},
        due_at=deadline.due_at if deadline else None,
        warn_at=deadline.warn_at if deadline else None, deadline_met=deadline_met,
        village_code=case.village_code if case else village_code)


def _driver(session):
    if isinstance(session, RawSession):
        return session.driver
    return session.connection().connection.driver_connection


class RawSession:
    """A write transaction on a pooled DBAPI connection, begun and ended by hand."""

    def __init__(self, engine):
        self.pooled = engine.raw_connection()
        self.driver = self.pooled.driver_connection


@contextmanager
def raw_writing(engine):
    session = RawSession(engine)
    driver = session.driver
    try:
        driver.execute("BEGIN IMMEDIATE")
        try:
            yield session
            driver.execute("COMMIT")
        except BaseException:
            driver.execute("ROLLBACK")
            raise
    finally:
        session.pooled.close()  # back to the pool


SQL_CASE = (f"SELECT {', '.join(c.name for c in CASES.columns)} FROM cases WHERE number = ?")
SQL_INSERT = (f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
              f"VALUES ({', '.join('?' * len(EVENT_COLUMNS))})")
CASE_NAMES = [c.name for c in CASES.columns]
TIMES = {"received_at", "entered_level_at", "due_at", "warn_at", "waiting_since",
         "concluded_at", "last_event_at", "at"}
BOOLS = {"warning", "overdue", "extended", "deadline_met"}


def _to_db(name, value):
    if value is None:
        return None
    if name in TIMES:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    if name in BOOLS:
        return int(value)
    if name == "data":
        return json.dumps(value)
    return value


def _from_db(name, value):
    if value is None:
        return None
    if name in TIMES:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if name in BOOLS:
        return bool(value)
    return value


def driver_case_by_number(session, number):
    row = _driver(session).execute(SQL_CASE, (number,)).fetchone()
    if row is None:
        return None
    # A plain object carrying the row: the session does not track it (nothing is flushed).
    return SimpleNamespace(**{name: _from_db(name, value)
                              for name, value in zip(CASE_NAMES, row, strict=True)})


def driver_append(session, case, event):
    changed = _changes(case, event)
    names = tuple(changed)
    sql = (f"UPDATE cases SET {', '.join(f'{n}=?' for n in names)} "
           "WHERE cases.id = ? AND cases.version = ?")
    driver = _driver(session)
    cursor = driver.execute(sql, (*(_to_db(n, changed[n]) for n in names), case.id,
                                  case.version))
    if cursor.rowcount != 1:
        raise _stale(case)
    driver.execute(SQL_INSERT, tuple(_to_db(n, getattr(event, n)) for n in EVENT_COLUMNS))
    for name, value in changed.items():
        setattr(case, name, value)
    return event


VARIANTS = {
    "core-writes": {"casework.actions.append": core_append},
    "+ prebuilt-select": {"casework.actions.append": core_append,
                          "casework.actions.case_by_number": prebuilt_case_by_number},
    "+ plain-event": {"casework.actions.append": core_append,
                      "casework.actions.case_by_number": prebuilt_case_by_number,
                      "casework.actions.new_event": plain_new_event},
    "+ driver-sql": {"casework.actions.append": driver_append,
                     "casework.actions.case_by_number": driver_case_by_number,
                     "casework.actions.new_event": plain_new_event},
    "+ raw-transaction": {"casework.actions.append": driver_append,
                          "casework.actions.case_by_number": driver_case_by_number,
                          "casework.actions.new_event": plain_new_event,
                          "casework.actions.writing": raw_writing},
}


def what_if(*, cases: int, workloads: tuple[str, ...], rounds: int = 2) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA, prefix="whatif-") as work:
        work = Path(work)
        say(f"what-if: preparing {cases} cases ...")
        prepared = prepare(work / "template.db", cases)
        for name in workloads:
            plan = note_plan(prepared, cases * 5) if name == "note" else mix_plan(prepared)
            warmup = min(200, len(plan) // 10)
            print(f"\n## what-if, {name}: {len(plan) - warmup:,} timed actions, "
                  f"median of {rounds} rounds (wall; CPU)\n")
            raws = []
            for r in range(rounds):
                path = work / f"raw-{r}.db"
                copy_db(work / "template.db", path)
                raws.append(run_raw(path, plan, warmup, prepared.users))
            raw_wall, raw_cpu = median([w for w, _ in raws]), median([c for _, c in raws])
            print(f"  {'raw floor':22s} {raw_wall:8,.0f} actions/s  ({1e3 / raw_wall:.2f} ms; "
                  f"{raw_cpu:,.0f} per CPU second)")
            baseline = None
            for variant, patches in [("engine as it is", {}), *VARIANTS.items()]:
                walls, cpus = [], []
                for r in range(rounds):
                    path = work / f"{r}-{len(walls)}.db"
                    copy_db(work / "template.db", path)
                    with ExitStack() as stack:
                        for target, replacement in patches.items():
                            stack.enter_context(mock.patch(target, replacement))
                        wall, cpu = run_engine(path, plan, warmup)
                    walls.append(wall)
                    cpus.append(cpu)
                    if baseline is None:
                        baseline = path
                    elif r == 0:
                        check_same(baseline, path)
                wall, cpu = median(walls), median(cpus)
                print(f"  {variant:22s} {wall:8,.0f} actions/s  ({1e3 / wall:.2f} ms; "
                      f"{cpu:,.0f} per CPU second; {wall / raw_wall:.1%} of the raw floor, "
                      f"{cpu / raw_cpu:.1%} by CPU time)")
