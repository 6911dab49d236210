"""Bulk loading of simulated months into SQLite or PostgreSQL.

SQLite: ``executemany`` in one big transaction with the journal off and the indexes dropped
(built again at the end).  PostgreSQL: COPY through psycopg 3 into tables whose secondary
indexes are dropped, then rebuilt, the id sequences moved past the loaded rows, and ANALYZE.
Both get the very same rows (bench/generate/work.py builds them in a form both accept).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from datetime import UTC, datetime

from bench import pg
from bench.generate.shapes import Users
from bench.generate.work import MonthRows
from bench.rows import CASE_COLUMNS, EVENT_COLUMNS, PETITIONER_COLUMNS, sqlite_value
from casework.people._passwords import hash_password

USER_COLUMNS = ("id", "username", "password_hash", "role", "area_code", "email", "active",
                "session_token", "created_at")
AREA_COLUMNS = ("code", "name", "parent_code", "kind", "pinyin", "initials")
TABLES = ("cases", "events", "petitioners")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class SqliteSink:
    name = "SQLite"

    def __init__(self, path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                       "cache_size=-400000", "temp_store=MEMORY"):
            self.db.execute(f"PRAGMA {pragma}")
        self.indexes = self.db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
            f"AND tbl_name IN {TABLES}").fetchall()
        self.db.execute("BEGIN")
        for name, _sql in self.indexes:
            self.db.execute(f'DROP INDEX "{name}"')
        self.seconds = 0.0

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        started = time.perf_counter()
        self.db.executemany(_insert(table, columns), rows)
        self.seconds += time.perf_counter() - started

    def finish(self) -> None:
        started = time.perf_counter()
        self.db.execute("COMMIT")
        for _name, sql in self.indexes:
            self.db.execute(sql)
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.close()
        self.seconds += time.perf_counter() - started


class PostgresSink:
    name = "PostgreSQL"

    def __init__(self, url: str) -> None:
        self.url = url
        self.db = pg.connect(url)
        self.dropped = pg.indexes_dropped(self.db, TABLES)
        self.dropped.__enter__()
        self.seconds = 0.0

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        started = time.perf_counter()
        pg.copy_rows(self.db, table, columns, rows)
        self.seconds += time.perf_counter() - started

    def finish(self) -> None:
        started = time.perf_counter()
        self.db.commit()  # the rows first: index builds then run as their own statements
        # A province's events are gigabytes: sort each index in memory, not in temp files.
        self.db.execute("SET maintenance_work_mem = '2GB'")
        self.dropped.__exit__(None, None, None)
        pg.reset_sequences(self.db, ("users", "petitioners", "cases", "events"))
        self.db.commit()
        self.db.close()
        with pg.connect(self.url) as db:
            db.autocommit = True
            db.execute("VACUUM ANALYZE")
        self.seconds += time.perf_counter() - started


class Progress:
    """A bar on stderr: redrawn in place on a terminal, a line every 15 s into a log."""

    def __init__(self, total: int, what: str = "events") -> None:
        self.total, self.what = total, what
        self.started = time.perf_counter()
        self.shown = -1e9
        self.tty = sys.stderr.isatty()

    def update(self, done: int, cases: int, final: bool = False) -> None:
        elapsed = time.perf_counter() - self.started
        if not final and elapsed - self.shown < (0.5 if self.tty else 15):
            return
        self.shown = elapsed
        share = min(done / self.total, 1) if self.total else 1
        bar = "#" * int(share * 30)
        rate = done / elapsed if elapsed else 0
        left = (self.total - done) / rate if rate and not final else 0
        line = (f"generate [{bar:<30}] {share:4.0%} {done:,} {self.what}, {cases:,} cases, "
                f"{elapsed:.0f} s, {rate:,.0f}/s" + (f", about {left:.0f} s left" if left else ""))
        print(("\r" + line) if self.tty else line, end="" if self.tty and not final else "\n",
              file=sys.stderr, flush=True)


class Loader:
    """Writes the areas and users, then each simulated month's rows, to every sink."""

    def __init__(self, sinks: list, total: int):
        self.sinks = sinks
        self.cases = self.events = 0
        self.progress = Progress(total)

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        for sink in self.sinks:
            sink.write(table, columns, rows)

    def start(self, areas: list[tuple], users: Users) -> None:
        self.write("areas", AREA_COLUMNS, areas)
        hashed = hash_password("bench-password")
        created = datetime(2015, 12, 1, tzinfo=UTC)
        self.write("users", USER_COLUMNS, [
            tuple(map(sqlite_value, (uid, name, hashed, role, area, None, True,
                                     f"{uid:032x}", created)))
            for uid, name, role, area in users.rows])

    def store(self, month: MonthRows) -> None:
        """Write one month's rows (their values already in the form both databases take)."""
        self.write("petitioners", PETITIONER_COLUMNS, month.petitioners)
        self.write("cases", CASE_COLUMNS, month.cases)
        self.write("events", EVENT_COLUMNS, month.events)
        self.cases += len(month.cases)
        self.events += len(month.events)
        self.progress.update(self.events, self.cases)

    def finish(self, sequences: dict[tuple[str, int], int]) -> dict[str, float]:
        self.write("case_number_sequences", ("county_code", "year", "last"),
                   [(county, year, last) for (county, year), last in sequences.items()])
        for sink in self.sinks:
            sink.finish()
        self.progress.update(self.events, self.cases, final=True)
        return {sink.name: sink.seconds for sink in self.sinks}
