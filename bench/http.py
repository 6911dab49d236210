"""Requests per second and latency through the real server, ``casework serve --workers N``.

Throughput: for 1, 2 and 4 gunicorn workers, on SQLite and (where a server answers) on
PostgreSQL, each on a fresh database of one county with a hotline operator and an API token:

- ``intake``: POST /api/v1/cases, each connection logging new petitions;
- ``action``: POST /api/v1/cases/NUMBER/actions, the ``note`` action on the cases the intake
  made (each connection its own cases, carrying the version from answer to request).

The baseline, measured in the same run with the same worker count, connections and database:
bench/bareapp.py, a bare Flask app on the same gunicorn settings writing the same rows through
the driver alone.  The load comes from bench/load.py on loopback; its own ceiling against a
server that does nothing is measured first.

Worklist: ``casework serve --workers 2`` on a generated history of about 100,000 cases
(bench/generate.py; 4 counties, so a county holds ~25,000), a township cadre and a county officer
logged in through /login, each GETting ``/`` (the worklist page) and ``/api/v1/cases`` (the first
page of every visible case); p50/p95.  Peak resident memory (VmHWM) of every worker is read
before each server stops.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import load, pgload, sqlfloor
from bench.common import copy_db, say
from bench.servers import VILLAGES, Databases, ProvinceDatabase, Server, login, request

NOTE = "已与当事人电话沟通，约定下周再次回访"


@dataclass
class Run:
    database: str  # sqlite | postgresql
    server: str  # casework | bare
    workers: int
    loads: dict[str, load.Load] = field(default_factory=dict)
    rss_kib: list[int] = field(default_factory=list)


# -- the workloads --------------------------------------------------------------------------

def intake_states(connections: int, villages: list[str] = VILLAGES) -> list[dict]:
    def make(state: dict):
        state["n"] += 1
        n = state["n"] * connections + state["i"]
        return "POST", "/api/v1/cases", {
            "channel": "hotline_12338", "village_code": villages[n % len(villages)],
            "category": "marriage_family", "urgency": "normal",
            "summary": "离婚后子女抚养费未按时支付",
            "petitioner": {"name": "李某", "phone": f"138{n % 10**8:08d}",
                           "gender": "female", "age_group": "35_59"}}

    def seen(state: dict, status: int, body: dict) -> None:
        if status == 201:
            state["created"].append((body["number"], body["version"]))

    return [{"i": i, "n": 0, "created": [], "make": make, "seen": seen}
            for i in range(connections)]


def action_states(cases: list[tuple[str, int]], connections: int) -> list[dict]:
    def make(state: dict):
        state["k"] = (state["k"] + 1) % len(state["cases"])
        number, version = state["cases"][state["k"]]
        return "POST", f"/api/v1/cases/{number}/actions", {"action": "note", "version": version,
                                                          "note": NOTE}

    def seen(state: dict, status: int, body: dict) -> None:
        if status == 200:
            number, _ = state["cases"][state["k"]]
            state["cases"][state["k"]] = (number, body["version"])

    return [{"cases": list(cases[i::connections]), "k": -1, "make": make, "seen": seen}
            for i in range(connections)]


def _make(state: dict):
    return state["make"](state)


def throughput(kind: str, server: str, workers: int, databases: Databases, *,
               connections: int, seconds: float, work: Path) -> Run:
    run = Run(kind, server, workers)
    url = databases.fresh(f"{server}_{workers}")
    say(f"http: {kind} {server} x{workers} workers ...")
    live = Server(server, url, workers, work / f"{kind}-{server}-{workers}.log",
                  clock=databases.clock)
    try:
        headers = {"Authorization": f"Bearer {databases.token}"}
        def measured(states: list[dict]) -> load.Load:
            cpu = load.workers_cpu_seconds(live.process.pid)
            result = load.run(live.port, _make, states, headers=headers, seconds=seconds,
                              warmup=1.0)
            result.server_cpu = load.workers_cpu_seconds(live.process.pid) - cpu
            return result

        intake = run.loads["intake"] = measured(intake_states(connections, databases.villages))
        cases = intake.created
        if len(cases) < connections:
            raise RuntimeError(f"{server}: intake made {len(cases)} cases: {intake.statuses}")
        run.loads["action"] = measured(action_states(cases, connections))
    finally:
        run.rss_kib = live.stop()
    for name, result in run.loads.items():
        say(f"http:   {name}: {result.rate:,.0f}/s p50 {result.percentile(.5) * 1000:.1f} ms "
            f"p99 {result.percentile(.99) * 1000:.1f} ms, server CPU "
            f"{result.server_cpu_per_request * 1000:.2f} ms/request, {result.statuses}")
    return run


# -- the worklist on a large history --------------------------------------------------------

@dataclass
class Page:
    database: str
    who: str
    path: str
    visible: int  # cases the user sees (the API's total)
    load: load.Load
    baseline: load.Load | None = None


def busiest(path: Path) -> dict[str, str]:
    """The county and the township holding the most cases, and their users' names."""
    db = sqlite3.connect(path)
    county = db.execute("SELECT county_code FROM cases GROUP BY county_code "
                        "ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    town = db.execute("SELECT substr(village_code, 1, 9) t FROM cases WHERE county_code = ? "
                      "GROUP BY t ORDER BY count(*) DESC LIMIT 1", (county,)).fetchone()[0]
    db.close()
    return {"township cadre": f"t{town}", "county officer": f"c{county}"}


def worklist(kind: str, url: str, users: dict[str, str], *, seconds: float, work: Path,
             connections: int = 2) -> tuple[list[Page], list[int]]:
    say(f"http: worklist on {kind} ...")
    live = Server("casework", url, 2, work / f"{kind}-worklist.log")
    pages = []
    try:
        for who, username in users.items():
            cookie = login(live.port, username)
            _, _, data = request(live.port, "GET", "/api/v1/cases", headers={"Cookie": cookie})
            visible = json.loads(data)["total"]
            for path in ("/", "/api/v1/cases"):
                states = [{"make": lambda _s, p=path: ("GET", p, None)}
                          for _ in range(connections)]
                result = load.run(live.port, _make, states, headers={"Cookie": cookie},
                                  seconds=seconds, warmup=1.0, processes=1)
                if result.errors:
                    raise RuntimeError(f"{path} as {who}: {result.statuses}")
                pages.append(Page(kind, who, path, visible, result))
                say(f"http:   {who} GET {path}: p50 {result.percentile(.5) * 1000:.1f} ms "
                    f"p95 {result.percentile(.95) * 1000:.1f} ms ({visible:,} visible)")
    finally:
        rss = live.stop()
    for page in pages:  # the same SQL through the driver alone, with the server stopped
        times = sqlfloor.floor(url, users[page.who], page.path, seconds)
        page.baseline = load.Load(requests=len(times), seconds=seconds, latencies=times)
    return pages, rss


# -- the whole benchmark --------------------------------------------------------------------

@dataclass
class HttpResult:
    ceiling: load.Load | None
    connections: int
    seconds: float
    runs: list[Run]
    pages: list[Page]
    worklist_rss: dict[str, list[int]]
    history: dict  # the generated database's facts
    pg_copy_seconds: float | None = None


def history_params(cases: int):
    from bench.generate import Params, Shape
    # About 5.1 events a case (bench/RESULTS.md); 4 counties of 15 townships of 13 villages.
    return Params(events=int(cases * 5.1), shape=Shape(counties=4))


def bench_http(*, workers: list[int], connections: int, seconds: float, history_cases: int,
               page_seconds: float, data: Path, regenerate: bool = False,
               pg_url: str | None = None,
               province: tuple[float, int] | None = None) -> HttpResult:
    """``province`` (years, counties): the worklist on that generated province instead."""
    from bench.report import database

    data.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite"] + (["postgresql"] if pg_url else [])
    with tempfile.TemporaryDirectory(dir=data, prefix="http-") as temp:
        work = Path(temp)
        ceiling, runs = None, []
        if workers:  # `--workers 0`: the worklist pages only
            say("http: the load generator against a server that does nothing ...")
            ceiling = load.ceiling(connections, seconds=min(seconds, 5.0))
        if province:
            from bench.generate import province as province_params
            from bench.province import databases as province_databases
            urls, facts = province_databases(*province, data, False)
            params = province_params(*province)
            county = params.shape.counties_codes()[0]
        for kind in kinds if workers else []:
            if province:
                url = next(u for u in urls if u.startswith(kind))
                databases = ProvinceDatabase(kind, url, county, params.now.isoformat())
            else:
                databases = Databases(kind, work, pg_url)
            try:
                for i, count in enumerate(workers):
                    # Alternate which goes first, so neither always meets a warmer machine.
                    order = ("bare", "casework") if i % 2 == 0 else ("casework", "bare")
                    for server in order:
                        runs.append(throughput(kind, server, count, databases,
                                               connections=connections, seconds=seconds,
                                               work=work))
            finally:
                databases.drop_all()

        if province:  # the generated province itself, read where it lies (GETs only)
            path = Path(urls[0].removeprefix("sqlite:///"))
            users = busiest(path)
            pages, rss = worklist("sqlite", urls[0], users, seconds=page_seconds, work=work)
            worklist_rss = {"sqlite": rss}
            if len(urls) > 1 and pg_url:
                more, rss = worklist("postgresql", urls[1], users, seconds=page_seconds,
                                     work=work)
                pages += more
                worklist_rss["postgresql"] = rss
            facts = {**facts, "province": True}
            return HttpResult(ceiling, connections, seconds, runs, pages, worklist_rss, facts)
        path, facts = database(history_params(history_cases), data, regenerate)
        users = busiest(path)
        copy = work / "worklist.db"
        copy_db(path, copy)
        pages, rss = worklist("sqlite", f"sqlite:///{copy}", users, seconds=page_seconds,
                              work=work)
        worklist_rss = {"sqlite": rss}
        copied = None
        if pg_url:
            name = f"cwbench_http_{path.stem[:40]}".replace("-", "_").lower()
            url = pgload.create(pg_url, name)
            try:
                copied = pgload.copy_from_sqlite(path, url)
                more, rss = worklist("postgresql", url, users, seconds=page_seconds, work=work)
                pages += more
                worklist_rss["postgresql"] = rss
            finally:
                pgload.drop(pg_url, name)
    return HttpResult(ceiling, connections, seconds, runs, pages, worklist_rss, facts, copied)


def _ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def _mib(kib: list[int]) -> str:
    return ", ".join(f"{k / 1024:.0f}" for k in sorted(kib)) if kib else "?"


def section(result: HttpResult, run_line: str) -> str:
    c = result.ceiling
    province = result.history.get("province")
    partitioned = ("; PostgreSQL's in monthly partitions"
                   if "partitioned_seconds" in result.history else "")
    where = (
        "Every run writes into the generated province itself (bench/RESULTS.md's province "
        f"section: {result.history['events']:,} events{partitioned}), "
        "as its first county's hotline operator; the scheduler inside a 1-worker server keeps "
        "the province's clock (CASEWORK_CLOCK), so that it does not rewrite the history as of "
        "today." if province else
        "Each pair starts from a fresh copy of the same database (one county).")
    lines = [
        "## HTTP: intake and actions through `casework serve`"
        + (" on the generated province" if province else ""),
        "",
        run_line,
        "",
        f"Closed loop, {result.connections} keep-alive connections on loopback from "
        "bench/load.py (2 processes of threads), "
        f"{result.seconds:.0f} s timed after 1 s of warm-up per figure. Load generator ceiling "
        f"(against a server that answers with canned bytes): **{c.rate:,.0f} requests/s**, "
        f"p50 {_ms(c.percentile(.5))} ms; it spends {c.client_cpu / max(c.requests, 1) * 1e6:.0f}"
        " µs of CPU per request, so it is not what limits the figures below (but it shares the "
        "2 cores with the server). Servers: gunicorn, gthread workers with 4 threads each, "
        "access log on. `casework` is `casework serve --workers N` (with 1 worker its "
        "scheduler runs inside); `bare` is bench/bareapp.py, Flask on the same gunicorn "
        "settings writing the same rows through the driver alone (no authentication, "
        f"validation, ORM, workflow or outbox). {where} "
        "Intake: POST /api/v1/cases; action: the `note` action "
        "(POST /api/v1/cases/N/actions) on the cases the intake made, each connection its "
        "own cases, versions carried from answer to request. Server CPU per request: the "
        "user+system CPU time of the gunicorn workers over the run divided by the requests "
        "answered; unlike requests/s it hardly depends on what else the shared machine runs.",
        "",
        "| database | workers | request | casework (req/s) | bare (req/s) | casework/bare | "
        "casework p50 / p99 (ms) | bare p50 / p99 (ms) | server CPU per request (ms): "
        "casework / bare | errors | peak RSS per worker (MiB): casework; bare |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    by_key = {(r.database, r.server, r.workers): r for r in result.runs}
    for database, server, workers in sorted(by_key, key=lambda k: (k[0] != "sqlite", k)):
        if server != "casework":
            continue
        mine, bare = by_key[(database, "casework", workers)], by_key.get(
            (database, "bare", workers))
        for name in ("intake", "action"):
            m = mine.loads.get(name)
            b = bare.loads.get(name) if bare else None
            if m is None or b is None:
                continue
            lines.append(
                f"| {database} | {workers} | {name} | {m.rate:,.0f} | {b.rate:,.0f} | "
                f"{m.rate / b.rate:.0%} | {_ms(m.percentile(.5))} / {_ms(m.percentile(.99))} | "
                f"{_ms(b.percentile(.5))} / {_ms(b.percentile(.99))} | "
                f"{m.server_cpu_per_request * 1000:.2f} / {b.server_cpu_per_request * 1000:.2f}"
                f" | {m.errors + b.errors} | {_mib(mine.rss_kib)}; {_mib(bare.rss_kib)} |")
    return "\n".join(lines)


def pages_section(result: HttpResult, run_line: str) -> str:
    """The worklist part of the HTTP benchmark (its own section: `--workers 0` runs it alone)."""
    h = result.history
    lines = [
        "## HTTP: the worklist and the case list on a large history",
        "",
        run_line,
        "",
        "Worklist: `casework serve --workers 2` on a history generated by bench/generate.py "
        + (f"(the province of `python -m bench province`: {h['cases']:,} cases, "
           f"{h['events']:,} events, {h['counties']} counties of 15 townships; "
           if h.get("province") else
           f"({h['cases']:,} cases, {h['events']:,} events, 4 counties of 15 townships; ")
        + "the busiest county and its busiest township), logged in through /login; "
        f"2 connections, {result.pages[0].load.seconds:.0f} s each. `/` is the worklist page "
        "(open cases at the user's levels, counts per status, nearest deadline first), "
        "`/api/v1/cases` the first page of every case the user sees with its total."
        + (f" PostgreSQL got the same rows by COPY ({result.pg_copy_seconds:.0f} s)."
           if result.pg_copy_seconds else ""),
        "",
        "Baseline: the SQL the page's view sends (caught at the DB-API level), replayed on one "
        "raw driver connection with every row fetched (bench/sqlfloor.py), with the server "
        "stopped. Target (issue 5): worklist p95 under 100 ms.",
        "",
        "| database | user | GET | cases visible | requests | p50 (ms) | p95 (ms) | p99 (ms) | "
        "its SQL alone p50 / p95 (ms) | SQL share of p50 | p95 < 100 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in result.pages:
        b = p.baseline
        lines.append(f"| {p.database} | {p.who} | `{p.path}` | {p.visible:,} | "
                     f"{p.load.requests:,} | {_ms(p.load.percentile(.5))} | "
                     f"{_ms(p.load.percentile(.95))} | {_ms(p.load.percentile(.99))} | "
                     f"{_ms(b.percentile(.5))} / {_ms(b.percentile(.95))} | "
                     f"{b.percentile(.5) / p.load.percentile(.5):.0%} | "
                     f"{'met' if p.load.percentile(.95) < 0.1 else 'NOT met'} |")
    lines += ["", "Peak RSS per worker serving the worklist (MiB): " + "; ".join(
        f"{k} {_mib(v)}" for k, v in result.worklist_rss.items()) + "."]
    return "\n".join(lines)
