"""The monthly report and the deadline scan on a generated province, on SQLite and PostgreSQL.

The province (bench/generate, ``province(years)``) is generated once into both databases and
kept (bench/data/province-*.db and PostgreSQL database ``bench_province_*``; the facts beside
them in a JSON file).  For the report of one county and of the whole province: the first call
on a new engine and the median of ``runs`` more, beside a baseline measured in the same run:
the very SQL statements the report sent (captured at the driver, parameters bound), run again
straight through the driver (``sqlite3``, psycopg as psql would send them) and fetched.  The
difference is what the engine adds on top of the database's own work.  Then one deadline scan
a day after the generator's ``now`` (what a scheduler that was down a day finds), last, as it
writes.
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
from casework.reports import monthly_report
from casework.scan import scan


@dataclass
class ReportMeasure:
    database: str
    area: str
    month: str
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


def databases(years: float, counties: int, data: Path, regenerate: bool) -> tuple[list[str], dict]:
    params = province(years, counties)
    key = params.key()
    path = data / f"province-{key}.db"
    facts_path = path.with_suffix(".json")
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
    for area in areas:
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
        sent = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, sent=sent):
            sent.append((statement, parameters))

        event.listen(cw.engine, "before_cursor_execute", capture)

        def report(cw=cw, area=area):
            return monthly_report(cw, month=month, area=area, now=now)

        first, _cpu, output = timed_cpu(report)
        event.remove(cw.engine, "before_cursor_execute", capture)
        # The report's own SQL; the engine's transaction control is not part of it.
        statements = [(sql, params) for sql, params in sent
                      if sql.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
        raw, connection = _raw_runner(url)
        timings, raw_timings = [], []
        for _ in range(runs):  # alternating, so both see the same machine
            timings.append(timed(report)[0])
            raw_timings.append(timed(lambda raw=raw, s=statements: raw(s))[0])
        connection.close()
        cw.engine.dispose()
        received = sum(level["entered"] for level in output["levels"].values())
        found.append(ReportMeasure(label, area or "province", month, first, timings,
                                   raw_timings, len(statements), received))
        say(f"province: {label} report {month} {area or 'province'}: first {first:.3f} s, "
            f"median {median(timings):.3f} s, raw SQL {median(raw_timings):.3f} s "
            f"({len(statements)} statements)")
    return found


def bench_province(*, years: float, runs: int, counties: int = 100, data: Path = DATA,
                   regenerate: bool = False) -> ProvinceResult:
    urls, facts = databases(years, counties, data, regenerate)
    params = province(years, counties)
    result = ProvinceResult(facts, facts.get("shares", {}))
    county = params.shape.counties_codes()[0]
    for url in urls:
        label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        result.reports += measure_reports(url, label, params.month, params.now,
                                          [county, None], runs)
    for url in urls:
        label = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
        at = params.now + timedelta(days=1)
        wall, cpu, found = timed_cpu(lambda cw=cw, at=at: scan(cw, at))
        cw.engine.dispose()
        result.scans.append({"database": label, "at": at.isoformat(), "seconds": wall,
                             "cpu": cpu, "warned": found.warned, "overdue": found.overdue,
                             "escalated": found.escalated, "failed": len(found.failed)})
        say(f"province: {label} scan a day later: {wall:.2f} s, {found.warned} warned, "
            f"{found.overdue} overdue")
    # The scan wrote: the next run must start from freshly generated databases.
    (data / f"province-{params.key()}.json").unlink(missing_ok=True)
    return result
