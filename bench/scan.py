"""The deadline scan over many open cases: its time must follow the newly flagged cases.

Each database holds ``open`` open cases in one county, of which the same ``overdue`` cases are
newly overdue (their warning already recorded; a tenth are mailbox letters, which escalate by
themselves) and the same ``warned`` cases newly due a warning.  The rest are what a busy
province has open: most with deadlines ahead, some already flagged overdue long ago (the scan
must not read them again), some waiting on the petitioner with their clock stopped.  Every case
row is the fold of its events (``casework.lifecycle.projection.project``).

Per database: the query plans of the scan's own statements (EXPLAIN QUERY PLAN on SQLite,
EXPLAIN ANALYZE on PostgreSQL), the time to find the due cases (the scan's paged queries,
read-only, median of ``runs``), and one full ``casework.scheduling.scan.scan`` as the scheduler runs
it, whose flags are then counted.  Sizes in one run; the ratio is largest over smallest.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from bench import pg
from bench.common import DATA, WORKFLOW, data_key, empty_schema, median, remove_db, say, timed_cpu
from bench.rows import CASE_COLUMNS, EVENT_COLUMNS, Ev, case_row, chain, pg_value, sqlite_value
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.lifecycle.projection import project
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.scan import due_cases, scan
from casework.storage.db import reading
from casework.storage.models import Case, Event

NOW = datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI).astimezone(UTC)
COUNTY = "450121"
VILLAGES = [f"{COUNTY}{100 + t:03d}{201 + v:03d}" for t in range(10) for v in range(10)]
FLAGGED_SHARE, WAITING_SHARE = 0.05, 0.02


@dataclass
class ScanMeasure:
    database: str
    open_cases: int
    build_seconds: float
    find_runs: list[float]
    due: dict[str, int]
    scan_seconds: float
    scan_cpu: float
    warned: int
    overdue: int
    escalated: int
    failed: int
    plans: dict[str, list[str]] = field(default_factory=dict)

    @property
    def find(self) -> float:
        return median(self.find_runs)


def _events(kind: str, village: str, rng: random.Random) -> list[Ev]:
    """One open case's events, by the part it plays in the scan."""
    operator, cadre = (1, "operator"), (2 + VILLAGES.index(village), f"v{village}")
    level, mailbox = "village_congress", False
    if kind == "overdue":
        due = NOW - timedelta(seconds=rng.randrange(1, 3600))
        mailbox = rng.random() < 0.1
        level = "village_mailbox" if mailbox else level
    elif kind == "warned":
        due = NOW + timedelta(days=1) - timedelta(seconds=rng.randrange(1, 3600))
    elif kind in ("flagged", "waiting"):
        due = NOW - timedelta(hours=rng.uniform(1, 60 * 24))
    else:
        due = NOW + timedelta(hours=rng.uniform(25, 20 * 24))
    warn = due - timedelta(days=1)
    received = due - timedelta(days=7 if not mailbox else 1)
    events: list[Ev] = []

    def add(action, at, actor, status, met=None, data="{}"):
        last = events[-1] if events else None
        events.append(Ev(len(events) + 1, action, last and last.to_level,
                         last and last.to_status, level, status, actor[0], actor[1], at, "",
                         data, due, warn, met))

    add("intake", received, cadre if mailbox else operator, "pending",
        data='{"channel": "%s"}' % ("mailbox" if mailbox else "hotline_12338"))
    if not mailbox:
        add("accept", received + timedelta(hours=3), cadre, "in_progress")
    if kind == "waiting":
        add("wait", received + timedelta(days=2), cadre, "waiting",
            data='{"reason": "当事人外出务工"}')
    if kind in ("overdue", "flagged"):
        add("warn", warn + timedelta(seconds=40), (None, "system"), events[-1].to_status)
    if kind == "flagged":
        add("overdue", due + timedelta(seconds=40), (None, "system"), events[-1].to_status)
    return events


def _kinds(open_cases: int, overdue: int, warned: int) -> list[str]:
    flagged, waiting = int(open_cases * FLAGGED_SHARE), int(open_cases * WAITING_SHARE)
    ahead = open_cases - overdue - warned - flagged - waiting
    if ahead < 0:
        raise ValueError(f"{open_cases} open cases cannot hold {overdue + warned} due ones")
    kinds = (["overdue"] * overdue + ["warned"] * warned + ["flagged"] * flagged
             + ["waiting"] * waiting + ["ahead"] * ahead)
    random.Random(7).shuffle(kinds)
    return kinds


def _rows(open_cases: int, overdue: int, warned: int):
    """(case rows, event rows) in the neutral form of bench.rows, in blocks."""
    rng = random.Random(open_cases)
    # The due cases draw from their own generator: the same ones at every size.
    due_rng = random.Random(12338)
    kinds = _kinds(open_cases, overdue, warned)
    for start in range(0, open_cases, 50_000):
        cases, events = [], []
        for index in range(start, min(start + 50_000, open_cases)):
            case_id = index + 1
            village = VILLAGES[index % len(VILLAGES)]
            kind = kinds[index]
            evs = _events(kind, village, due_rng if kind in ("overdue", "warned") else rng)
            state = {"warning": False, "overdue": False, "extended": False,
                     "waiting_since": None, "concluded_at": None}
            year = evs[0].at.astimezone(SHANGHAI).year
            number = f"{COUNTY}-{year}-{case_id:07d}"
            last_hash = chain(number, village, evs)
            for ev in evs:
                state = project(state, ev)
                events.append(ev.row(case_id, village))
            cases.append(case_row(case_id, number, COUNTY, year, case_id, "hotline_12338",
                                  "marriage_family", "normal", "", 1, village, evs[0].at, state,
                                  last_hash))
        yield cases, events


def _areas_and_users() -> tuple[list[tuple], list[tuple]]:
    areas = [(COUNTY, "县", None, "county", "", "")]
    areas += [(f"{COUNTY}{100 + t:03d}", "镇", COUNTY, "township", "", "") for t in range(10)]
    areas += [(v, "村", v[:9], "village", "", "") for v in VILLAGES]
    users = [(1, "operator", "hotline_operator", COUNTY)]
    users += [(2 + i, f"v{v}", "village_cadre", v) for i, v in enumerate(VILLAGES)]
    return areas, users


def build_sqlite(path: Path, open_cases: int, overdue: int, warned: int) -> None:
    empty_schema(path)
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-400000"):
        db.execute(f"PRAGMA {pragma}")
    indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT "
                         "NULL AND tbl_name IN ('cases', 'events')").fetchall()
    db.execute("BEGIN")
    for name, _sql in indexes:
        db.execute(f'DROP INDEX "{name}"')
    areas, users = _areas_and_users()
    db.executemany("INSERT INTO areas (code, name, parent_code, kind, pinyin, initials) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   areas)
    db.executemany("INSERT INTO users (id, username, password_hash, role, area_code, active, "
                   "session_token, created_at) VALUES (?, ?, '-', ?, ?, 1, '-', ?)",
                   [(*u, sqlite_value(NOW)) for u in users])
    db.execute("INSERT INTO petitioners (id, key_id, name_sealed, phone_sealed, "
               "id_number_sealed, gender, age_group) VALUES (1, '-', '', '', '', '', '')")
    case_sql = _insert("cases", CASE_COLUMNS)
    event_sql = _insert("events", EVENT_COLUMNS)
    for cases, events in _rows(open_cases, overdue, warned):
        db.executemany(case_sql, [tuple(map(sqlite_value, row)) for row in cases])
        db.executemany(event_sql, [tuple(map(sqlite_value, row)) for row in events])
    db.execute("COMMIT")
    for _name, sql in indexes:
        db.execute(sql)
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def build_postgres(url: str, open_cases: int, overdue: int, warned: int) -> None:
    with pg.connect(url) as db:
        areas, users = _areas_and_users()
        pg.copy_rows(db, "areas", ("code", "name", "parent_code", "kind", "pinyin", "initials"),
                     areas)
        pg.copy_rows(db, "users", ("id", "username", "password_hash", "role", "area_code",
                                   "active", "session_token", "created_at"),
                     [(uid, name, "-", role, area, True, "-", pg_value(NOW))
                      for uid, name, role, area in users])
        db.execute("INSERT INTO petitioners (id, key_id, name_sealed, phone_sealed, "
                   "id_number_sealed, gender, age_group) VALUES (1, '-', '', '', '', '', '')")
        with pg.indexes_dropped(db, ("cases", "events")):
            for cases, events in _rows(open_cases, overdue, warned):
                pg.copy_rows(db, "cases", CASE_COLUMNS,
                             (tuple(map(pg_value, row)) for row in cases))
                pg.copy_rows(db, "events", EVENT_COLUMNS,
                             (tuple(map(pg_value, row)) for row in events))
        pg.reset_sequences(db, ("users", "petitioners", "cases", "events"))
    with pg.connect(url) as db:
        db.autocommit = True
        db.execute("VACUUM ANALYZE")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def find_due(cw, dialect: str) -> dict[str, int]:
    """Every case the scan would flag now, through its own paged queries (nothing written)."""
    found = {}
    for flag in ("warning", "overdue"):
        after, count = None, 0
        while True:
            with reading(cw.engine) as session:
                rows = session.execute(due_cases(flag, dialect, NOW, after)).all()
            if not rows:
                break
            after, count = tuple(rows[-1]), count + len(rows)
        found[flag] = count
    return found


def query_plans(cw, dialect: str) -> dict[str, list[str]]:
    """The plan of each of the scan's statements as the driver receives it: the first page,
    and a later page (after the first due case)."""
    plans = {}
    with cw.engine.connect() as connection:
        for flag in ("warning", "overdue"):
            first = connection.execute(due_cases(flag, dialect, NOW, limit=1)).first()
            for page, after in (("first page", None), ("next page", tuple(first))):
                sent = []

                def capture(_conn, _cursor, statement, parameters, _context, _many, sent=sent):
                    sent.append((statement, parameters))

                event.listen(connection, "before_cursor_execute", capture)
                connection.execute(due_cases(flag, dialect, NOW, after)).all()
                event.remove(connection, "before_cursor_execute", capture)
                statement, parameters = sent[0]
                explain = ("EXPLAIN QUERY PLAN " if dialect == "sqlite"
                           else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ")
                rows = connection.exec_driver_sql(explain + statement, parameters).all()
                lines = ([f"{'  ' * _depth(rows, r)}{r[-1]}" for r in rows]
                         if dialect == "sqlite" else [r[0] for r in rows])
                plans[f"{flag}, {page}: {' '.join(statement.split())}"] = lines
    return plans


def _depth(rows, row) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def measure(url: str, label: str, open_cases: int, build_seconds: float,
            runs: int) -> ScanMeasure:
    cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
    dialect = cw.engine.dialect.name
    plans = query_plans(cw, dialect)
    due = find_due(cw, dialect)
    find_runs = [timed_cpu(lambda: find_due(cw, dialect))[0] for _ in range(runs)]
    with reading(cw.engine) as session:
        before = session.execute(select(func.count()).select_from(Event)).scalar_one()
    wall, cpu, result = timed_cpu(lambda: scan(cw, NOW))
    with reading(cw.engine) as session:
        written = session.execute(select(Event.action, func.count()).where(Event.id > before)
                                  .group_by(Event.action)).all()
        left = session.execute(select(func.count()).select_from(Case).where(
            Case.overdue.is_(False), Case.status.in_(("pending", "in_progress")),
            Case.due_at <= NOW)).scalar_one()
    cw.engine.dispose()
    counts = dict(written)
    if (counts.get("overdue", 0), counts.get("warn", 0)) != (result.overdue, result.warned) or (
            left or result.overdue != due["overdue"]):
        raise AssertionError(f"{label}: the scan's events {counts} do not match its result "
                             f"{result} (due {due}, overdue left unflagged {left})")
    say(f"scan: {label}: {open_cases:,} open, find {median(find_runs) * 1e3:.1f} ms, scan "
        f"{wall:.2f} s ({result.warned} warned, {result.overdue} overdue, "
        f"{result.escalated} escalated)")
    return ScanMeasure(label, open_cases, build_seconds, find_runs, due, wall, cpu,
                       result.warned, result.overdue, result.escalated, len(result.failed),
                       plans)


def bench_scan(*, sizes: list[int], overdue: int, warned: int, runs: int,
               data: Path = DATA, postgres: bool = True) -> list[ScanMeasure]:
    found = []
    server = pg.server_url() if postgres else None
    if postgres and server is None:
        say("scan: no PostgreSQL server answers; SQLite only")
    for open_cases in sizes:
        path = data / f"scan-{open_cases}.db"
        started = time.perf_counter()
        build_sqlite(path, open_cases, overdue, warned)
        built = time.perf_counter() - started
        found.append(measure(f"sqlite:///{path}", "SQLite", open_cases, built, runs))
        remove_db(path)
        if server:
            name = f"bench_scan_{open_cases}"
            started = time.perf_counter()
            url = pg.fresh_database(server, name)
            build_postgres(url, open_cases, overdue, warned)
            built = time.perf_counter() - started
            found.append(measure(url, "PostgreSQL", open_cases, built, runs))
            pg.drop_database(server, name)
    return found
