"""The monthly report and the deadline scan on a generated province, on SQLite and PostgreSQL.

The province (bench/generate, ``province(years)``) is generated once into both databases and
kept (bench/data/province-*.db and PostgreSQL database ``bench_province_*``; the facts beside
them in a JSON file).  Then, as the scheduler does at its first start, every finished month is
closed (casework/reporting/closing.py; timed, once).  For the report of one county and of the whole
province, three ways: the month before ``now`` as a leader reads it (closed: from the stored
figures), the month in progress (computed from events, its trend from the stored figures), and
the month before computed from events all the same (``closed=False``: what closing saves, and
the worst case).  Each: the first call on a new engine and the median of ``runs`` more, beside
a baseline measured in the same run: the very SQL statements the report sent (captured at the
driver, parameters bound), run again straight through the driver (``sqlite3``, psycopg as psql
would send them) and fetched.  The difference is what the engine adds on top of the database's
own work.  Last, a deadline scan a day after the last one (the first a day after the
generator's ``now``: what a scheduler that was down a day finds); it writes only events after
the report months, so the databases are kept for the next run.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from bench import pg
from bench.common import DATA, WORKFLOW, data_key, median, say, timed, timed_cpu
from bench.generate import generate, province, shares, target_url
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.reporting.closing import close_month
from casework.reporting.months import month_index, month_label
from casework.reporting.reports import monthly_report
from casework.scheduling.scan import scan

# What a report is asked for: the label in the results, the month (relative to the report
# month), and whether stored figures may be used.
KINDS = (("closed month", 0, True), ("month in progress", 1, True),
         ("closed month, computed", 0, False))


@dataclass
class ReportMeasure:
    database: str
    area: str
    month: str
    kind: str
    first: float
    runs: list[float]
    raw_runs: list[float]
    statements: int
    received: int

    @property
    def warm(self) -> float:
        return median(self.runs)

    @property
    def raw(self) -> float:
        return median(self.raw_runs)


@dataclass
class ProvinceResult:
    facts: dict
    shares: dict = field(default_factory=dict)
    reports: list[ReportMeasure] = field(default_factory=list)
    scans: list[dict] = field(default_factory=list)
    closing: dict = field(default_factory=dict)  # database -> (months, seconds)


def facts_file(data: Path, params) -> Path:
    """Where the generated province's facts are kept, beside its SQLite file."""
    return data / f"province-{params.key()}.json"


def database_label(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def databases(years: float, counties: int, data: Path, regenerate: bool) -> tuple[list[str], dict]:
    params = province(years, counties)
    facts_path = facts_file(data, params)
    path = facts_path.with_suffix(".db")
    urls = [target_url(path)]
    server = pg.server_url()
    if server:
        name = f"bench_province_{counties}_{years:g}".replace(".", "_")
        urls.append(pg.database_url(server, name))
    if regenerate or not facts_path.exists() or json.loads(
            facts_path.read_text()).get("urls") != urls:
        data.mkdir(parents=True, exist_ok=True)
        say(f"province: generating {years:g} year(s) into {', '.join(urls)}")
        facts = generate(urls, params)
        facts["urls"], facts["years"], facts["counties"] = urls, years, counties
        facts["shares"] = shares(urls[0])
        facts_path.write_text(json.dumps(facts, indent=1, default=str))
    return urls, json.loads(facts_path.read_text())


def _raw_runner(url: str):
    """Run captured (statement, parameters) pairs straight through the driver."""
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    else:
        connection = pg.connect(url)
        connection.autocommit = True

    def run(statements):
        for statement, parameters in statements:
            connection.execute(statement, parameters).fetchall()

    return run, connection


def measure_reports(url: str, label: str, month: str, now, areas, runs: int):
    found = []
    for kind, offset, closed in KINDS:
        asked = month_label(month_index(month, now) + offset)
        for area in areas:
            cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW,
                                    data_key=data_key()))
            sent = []

            def capture(_conn, _cursor, statement, parameters, _context, _many, sent=sent):
                sent.append((statement, parameters))

            event.listen(cw.engine, "before_cursor_execute", capture)

            def report(cw=cw, area=area, asked=asked, closed=closed):
                return monthly_report(cw, month=asked, area=area, now=now, closed=closed)

            first, _cpu, output = timed_cpu(report)
            event.remove(cw.engine, "before_cursor_execute", capture)
            # The report's own SQL; the engine's transaction control is not part of it.
            statements = [(sql, params) for sql, params in sent
                          if sql.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")
                          and not sql.startswith("SET ")]
            raw, connection = _raw_runner(url)
            timings, raw_timings = [], []
            for _ in range(runs):  # alternating, so both see the same machine
                timings.append(timed(report)[0])
                raw_timings.append(timed(lambda raw=raw, s=statements: raw(s))[0])
            connection.close()
            cw.engine.dispose()
            found.append(ReportMeasure(label, area or "province", asked, kind, first, timings,
                                       raw_timings, len(statements), output["received"]))
            say(f"province: {label} report {asked} ({kind}) {area or 'province'}: first "
                f"{first:.3f} s, median {median(timings):.3f} s, raw SQL "
                f"{median(raw_timings):.3f} s ({len(statements)} statements)")
    return found


def close_months(url: str, month: str, now, facts: dict, facts_path: Path) -> tuple[int, float]:
    """Close every month up to the report month, as the scheduler's first start does; once
    (the facts remember it)."""
    done = facts.setdefault("closed", {})
    if url not in done:
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
        wall, closed = timed(lambda: close_month(cw, month, now=now))
        cw.engine.dispose()
        done[url] = [len(closed), wall]
        facts_path.write_text(json.dumps(facts, indent=1, default=str))
        say(f"province: closed {len(closed)} months in {wall:.0f} s ({url.split(':')[0]})")
    return tuple(done[url])


def partition(url: str, facts: dict, facts_path: Path) -> float:
    """Convert the PostgreSQL province's events table to monthly partitions, once (the
    facts remember it); the seconds it took."""
    if "partitioned_seconds" not in facts:
        from casework.storage.db import make_engine
        from casework.storage.partitions import partition_events
        engine = make_engine(url)
        say("province: converting the events table to monthly partitions ...")
        wall, conversion = timed(lambda: partition_events(engine))
        engine.dispose()
        facts["partitioned_seconds"] = wall
        facts["partitions"] = len(conversion.partitions)
        facts_path.write_text(json.dumps(facts, indent=1, default=str))
        say(f"province: {conversion.rows:,} events into {len(conversion.partitions)} "
            f"partitions in {wall:.0f} s")
    return facts["partitioned_seconds"]


def bench_province(*, years: float, runs: int, counties: int = 100, data: Path = DATA,
                   regenerate: bool = False, partitioned: bool = False) -> ProvinceResult:
    """``partitioned``: PostgreSQL alone, its events table first converted to monthly
    partitions (casework/storage/partitions.py); the conversion is kept."""
    urls, facts = databases(years, counties, data, regenerate)
    params = province(years, counties)
    facts_path = facts_file(data, params)
    if partitioned:
        urls = [url for url in urls if url.startswith("postgresql")]
        if not urls:
            raise SystemExit("province --partition needs a PostgreSQL server")
        partition(urls[0], facts, facts_path)
    result = ProvinceResult(facts, facts.get("shares", {}))
    county = params.shape.counties_codes()[0]
    for url in urls:
        result.closing[database_label(url)] = close_months(url, params.month, params.now, facts,
                                                  facts_path)
    for url in urls:
        result.reports += measure_reports(url, database_label(url), params.month, params.now,
                                          [county, None], runs)
    scans = facts.get("scans", 0)
    for url in urls:
        label = database_label(url)
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
        at = params.now + timedelta(days=1 + scans)
        wall, cpu, found = timed_cpu(lambda cw=cw, at=at: scan(cw, at))
        cw.engine.dispose()
        result.scans.append({"database": label, "at": at.isoformat(), "seconds": wall,
                             "cpu": cpu, "warned": found.warned, "overdue": found.overdue,
                             "escalated": found.escalated, "failed": len(found.failed)})
        say(f"province: {label} scan at {at:%Y-%m-%d %H:%M}: {wall:.2f} s, {found.warned} "
            f"warned, {found.overdue} overdue")
    facts["scans"] = scans + 1  # the next run scans the day after
    facts_path.write_text(json.dumps(facts, indent=1, default=str))
    return result
