"""Bulk loading of simulated cases: numbered, with petitioners, into SQLite or PostgreSQL.

SQLite: ``executemany`` in one big transaction with the journal off and the indexes dropped
(built again at the end).  PostgreSQL: COPY through psycopg 3 into tables whose secondary
indexes are dropped, then rebuilt, the id sequences moved past the loaded rows, and ANALYZE.
Both get the same rows: the row builder is shared and only the values' form differs.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import time
from datetime import UTC, datetime

from bench import pg
from bench.generate.shapes import SUMMARIES, SURNAMES, Users
from bench.rows import (
    CASE_COLUMNS,
    EVENT_COLUMNS,
    PETITIONER_COLUMNS,
    case_row,
    chain,
    pg_value,
    sqlite_value,
)
from casework.crypto import DataKey
from casework.deadlines import SHANGHAI
from casework.passwords import hash_password
from casework.petitioners import SEALED, PetitionerData, sealed_columns
from casework.projection import replay

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
        self.db.executemany(_insert(table, columns),
                            [tuple(map(sqlite_value, row)) for row in rows])
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
        pg.copy_rows(self.db, table, columns, (tuple(map(pg_value, row)) for row in rows))
        self.seconds += time.perf_counter() - started

    def finish(self) -> None:
        started = time.perf_counter()
        self.db.commit()  # the rows first: index builds then run as their own statements
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
    """Numbers cases gaplessly per county and year, in received order, and writes each block
    of simulated cases to every sink."""

    def __init__(self, sinks: list, rng: random.Random, total: int, key: DataKey):
        self.sinks, self.rng, self.key = sinks, rng, key
        self.case_id = 0
        self.sequences: dict[tuple[str, int], int] = {}
        self.events = 0
        self.progress = Progress(total)
        self.recent_phones: list[int] = []

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        for sink in self.sinks:
            sink.write(table, columns, rows)

    def start(self, areas: list[tuple], users: Users) -> None:
        self.write("areas", AREA_COLUMNS, areas)
        hashed = hash_password("bench-password")
        created = datetime(2015, 12, 1, tzinfo=UTC)
        self.write("users", USER_COLUMNS, [(uid, name, hashed, role, area, None, True,
                                            f"{uid:032x}", created)
                                           for uid, name, role, area in users.rows])

    def store(self, block: list[tuple]) -> None:
        """Write one block of simulated cases (sorted by received time), events in time order."""
        rng = self.rng
        cases, petitioners, events = [], [], []
        for received, village, fields, evs in block:
            self.case_id += 1
            case_id = self.case_id
            county = village[:6]
            year = received.astimezone(SHANGHAI).year
            seq = self.sequences.get((county, year), 0) + 1
            self.sequences[(county, year)] = seq
            if self.recent_phones and rng.random() < 0.05:
                phone = rng.choice(self.recent_phones)  # a caller who called before
            else:
                phone = 13000000000 + rng.randrange(10**9)
                self.recent_phones.append(phone)
                if len(self.recent_phones) > 5000:
                    self.recent_phones.pop(0)
            sealed = sealed_columns(self.key, PetitionerData(name=rng.choice(SURNAMES) + "某",
                                                             phone=str(phone)))
            petitioners.append((case_id, sealed["key_id"],
                                *(sealed[f"{name}_sealed"] for name in SEALED),
                                sealed["phone_hash"],
                                "female" if rng.random() < 0.95 else "male",
                                rng.choice(("18_34", "35_59", "60_plus"))))
            number = f"{county}-{year}-{seq:06d}"
            last_hash = chain(number, village, evs)
            for event in evs:
                events.append(event.row(case_id, village))
            cases.append(case_row(case_id, number, county, year, seq,
                                  fields["channel"], fields["category"], fields["urgency"],
                                  rng.choice(SUMMARIES), case_id, village, received,
                                  replay(evs), last_hash))
        events.sort(key=lambda row: row[9])  # by time, as the engine would have inserted them
        self.write("petitioners", PETITIONER_COLUMNS, petitioners)
        self.write("cases", CASE_COLUMNS, cases)
        self.write("events", EVENT_COLUMNS, events)
        self.events += len(events)
        self.progress.update(self.events, self.case_id)

    def finish(self) -> dict[str, float]:
        self.write("case_number_sequences", ("county_code", "year", "last"),
                   [(county, year, last) for (county, year), last in self.sequences.items()])
        for sink in self.sinks:
            sink.finish()
        self.progress.update(self.events, self.case_id, final=True)
        return {sink.name: sink.seconds for sink in self.sinks}
