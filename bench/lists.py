"""The case list and the worklist queried straight through the core, at 100k and 1M cases.

``casework.lifecycle.case_lists`` as the views call it (bench/sqlfloor.py's view functions, and
``list_cases`` with each filter DESIGN.md lists), on histories made by bench/generate of 100,000
and 1,000,000 cases (4 counties, so a county holds a quarter), for the busiest county's officer
and its busiest township's cadre; on SQLite and on PostgreSQL (the same rows by COPY).  The
growth from 100k to 1M cases is the figure: a query served by an index stays flat, one that
reads the area's history grows tenfold.  Each query's plan is read too (EXPLAIN QUERY PLAN on
SQLite): a ``SCAN cases`` means it read the whole table.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bench import pgload
from bench.common import WORKFLOW, copy_db, data_key, say
from bench.http import busiest, history_params
from bench.sqlfloor import api_list_view, statements_of, worklist_view
from casework.bootstrap import bootstrap
from casework.config import Settings
from casework.lifecycle import case_lists
from casework.people.users import actor_of
from casework.storage.db import reading
from casework.storage.models import User

# The list's filters (DESIGN.md, API: GET /cases), each on its own, as the query string has them.
FILTERS: dict[str, dict[str, str]] = {
    "page 1": {},
    "page 100": {"page": "100"},
    "status=pending": {"status": "pending"},
    "status=closed": {"status": "closed"},
    "level=county_center": {"level": "county_center"},
    "overdue=true": {"overdue": "true"},
    "category=child": {"category": "child"},
    "received in a month": {"received_from": "2026-03-01", "received_to": "2026-03-31"},
    "q=离婚": {"q": "离婚"},
}


@dataclass
class Timing:
    database: str
    cases: int
    who: str
    query: str
    first: float
    median: float
    p95: float
    scans: bool  # a plan read the whole cases table (SQLite)


@dataclass
class ListsResult:
    timings: list[Timing] = field(default_factory=list)
    histories: list[dict] = field(default_factory=list)


def _views(cw) -> dict:
    views = {"worklist `/`": worklist_view, "API list `/api/v1/cases`": api_list_view}
    for name, args in FILTERS.items():
        if name != "page 1":
            views[f"list {name}"] = lambda c, me, a=args: case_lists.list_cases(
                c, me, case_lists.parse_filters(c, a))
    return views


def _scans(cw, view, me) -> bool:
    if cw.engine.dialect.name != "sqlite":
        return False
    raw = cw.engine.raw_connection()
    try:
        for statement, parameters in statements_of(cw, view, me):
            if statement.startswith("SELECT") and " cases" in statement:
                plan = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement,
                                            parameters).fetchall()
                if any(row[3].startswith("SCAN cases") for row in plan):
                    return True
        return False
    finally:
        raw.close()


def measure(kind: str, url: str, count: int, users: dict[str, str], runs: int) -> list[Timing]:
    cw = bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))
    out = []
    try:
        for who, username in users.items():
            with reading(cw.engine) as session:
                me = actor_of(session.execute(
                    select(User).where(User.username == username)).scalar_one())
            for name, view in _views(cw).items():
                began = time.perf_counter()
                view(cw, me)
                first = time.perf_counter() - began
                times = []
                for _ in range(runs):
                    began = time.perf_counter()
                    view(cw, me)
                    times.append(time.perf_counter() - began)
                times.sort()
                out.append(Timing(kind, count, who, name, first, statistics.median(times),
                                  times[min(len(times) - 1, int(len(times) * .95))],
                                  _scans(cw, view, me)))
                t = out[-1]
                say(f"lists: {kind} {count:,} {who} {name}: median {t.median * 1000:.1f} ms "
                    f"p95 {t.p95 * 1000:.1f} ms{' SCAN' if t.scans else ''}")
    finally:
        cw.engine.dispose()
    return out


def bench_lists(*, sizes: list[int], runs: int, data: Path, regenerate: bool = False,
                pg_url: str | None = None) -> ListsResult:
    from bench.report import database

    result = ListsResult()
    for count in sizes:
        path, facts = database(history_params(count), data, regenerate)
        result.histories.append(facts)
        users = busiest(path)
        copy = data / f"lists-{count}.db"
        copy_db(path, copy)
        try:
            url = f"sqlite:///{copy}"
            from casework.storage.db import make_engine
            from casework.storage.schema import upgrade
            engine = make_engine(url)
            upgrade(engine)  # the cached history may predate the newest indexes
            engine.dispose()
            result.timings += measure("sqlite", url, facts["cases"], users, runs)
            if pg_url:
                name = f"cwbench_lists_{count}"
                target = pgload.create(pg_url, name)
                try:
                    pgload.copy_from_sqlite(copy, target)
                    result.timings += measure("postgresql", target, facts["cases"], users,
                                              runs)
                finally:
                    pgload.drop(pg_url, name)
        finally:
            copy.unlink(missing_ok=True)
    return result


def lists_section(result: ListsResult, run_line: str, runs: int) -> str:
    sizes = sorted({t.cases for t in result.timings})
    lines = [
        "## The case list and the worklist queried directly (100k and 1M cases)",
        "",
        run_line,
        "",
        "bench/lists.py: `casework.lifecycle.case_lists` called as the views call it, on histories "
        "generated by bench/generate (4 counties; " + ", ".join(
            f"{h['cases']:,} cases / {h['events']:,} events" for h in result.histories)
        + "), as the busiest county's officer and its busiest township's cadre. `worklist` is "
        "everything `/` asks of the core (the page, its total, the counts per status, overdue "
        "and due soon, the village names); the others are `list_cases` with one filter. "
        f"First call, then the median and p95 of {runs} calls, in ms. `SCAN` marks a query "
        "whose SQLite plan reads the whole cases table.",
        "",
        "| database | user | query | " + " | ".join(
            f"{n:,} cases: median / p95" for n in sizes) + " | growth of the median |",
        "|---|---|---|" + "---:|" * len(sizes) + "---:|",
    ]
    keyed = {(t.database, t.who, t.query, t.cases): t for t in result.timings}
    rows = sorted({(t.database, t.who, t.query) for t in result.timings},
                  key=lambda k: (k[0] != "sqlite", k[1], list(keyed).index((*k, sizes[0]))
                                 if (*k, sizes[0]) in keyed else 0))
    for database, who, query in rows:
        cells, medians = [], []
        for n in sizes:
            t = keyed.get((database, who, query, n))
            if t is None:
                cells.append("")
                continue
            medians.append(t.median)
            cells.append(f"{t.median * 1000:.1f} / {t.p95 * 1000:.1f}"
                         + (" SCAN" if t.scans else ""))
        growth = f"x{medians[-1] / medians[0]:.1f}" if len(medians) > 1 else ""
        lines.append(f"| {database} | {who} | {query} | " + " | ".join(cells) + f" | {growth} |")
    return "\n".join(lines)
