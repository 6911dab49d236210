"""The report over a period (casework/reporting/period.py) on a generated province: two years,
the whole province and one county, against 2 s and 200 ms (issue 16).

A province's history (bench/generate, ``province(years, counties)``) is generated once into a
SQLite file and kept (bench/data/period-*.db, its facts beside it), and every finished month is
closed, as the scheduler does at its first start (timed, once). ``postgres``: the same into a
database of the machine's PostgreSQL server (bench/pg.py), its events table optionally in
monthly partitions (``partitioned``, as bench/province.py converts it). Then, for the province
and its first county: the two years as a leader prints them (every month closed: read from the
stored figures), the same two years computed from events (``closed=False``: what closing saves,
the worst case), and the last half-year with the month in progress (its closed months stored,
the month in progress computed). Each the first call on a new engine, then the median of
``runs``. The stored and the computed period must come out equal, which is checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event

from bench import pg
from bench.common import DATA, WORKFLOW, data_key, median, say, timed, timed_cpu
from bench.generate import generate, province, shares
from bench.province_section import COUNTY_TARGET, PROVINCE_TARGET
from casework.bootstrap import bootstrap
from casework.config import Settings


@dataclass
class PeriodMeasure:
    area: str
    start: str
    end: str
    kind: str
    first: float
    runs: list[float]
    cpu_runs: list[float]
    statements: int
    received: int

    @property
    def warm(self) -> float:
        return median(self.runs)

    @property
    def cpu(self) -> float:
        return median(self.cpu_runs)


@dataclass
class PeriodResult:
    facts: dict
    database: str = "SQLite"
    closing: tuple[int, float] = (0, 0.0)
    measures: list[PeriodMeasure] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)


def database(years: float, counties: int, data: Path, regenerate: bool,
             postgres: bool = False) -> tuple[str, dict, Path]:
    """The generated province's database URL, its facts and where they are kept, made once:
    a SQLite file in ``data``, or (``postgres``) a database of the machine's server."""
    params = province(years, counties)
    if postgres:
        server = pg.server_url()
        if server is None:
            raise SystemExit("period --postgres needs a PostgreSQL server (none answers)")
        url = pg.database_url(server, f"bench_period_{counties}_{years:g}".replace(".", "_"))
        facts_path = data / f"period-{params.key()}-postgresql.json"
    else:
        path = data / f"period-{params.key()}.db"
        url, facts_path = f"sqlite:///{path}", path.with_suffix(".json")
    if regenerate or not facts_path.exists() or (
            not postgres and not Path(url.removeprefix("sqlite:///")).exists()):
        data.mkdir(parents=True, exist_ok=True)
        say(f"period: generating {years:g} year(s) of {counties} counties into {url}")
        facts = generate(url, params)
        facts["years"], facts["counties"] = years, counties
        facts["shares"] = shares(url)
        facts_path.write_text(json.dumps(facts, indent=1, default=str))
    return url, json.loads(facts_path.read_text()), facts_path


def open_casework(url: str):
    return bootstrap(Settings(database_url=url, workflow_path=WORKFLOW, data_key=data_key()))


def close_all(url: str, month: str, now, facts: dict, facts_path: Path) -> tuple[int, float]:
    """Close every month up to ``month``, as the scheduler's first start does; once (the facts
    remember it)."""
    if "closed" not in facts:
        from casework.reporting.closing import close_month

        cw = open_casework(url)
        wall, closed = timed(lambda: close_month(cw, month, now=now))
        cw.engine.dispose()
        facts["closed"] = [len(closed), wall]
        facts_path.write_text(json.dumps(facts, indent=1, default=str))
        say(f"period: closed {len(closed)} months in {wall:.0f} s")
    return tuple(facts["closed"])


def measure(url: str, area: str | None, start: str, end: str, kind: str, now, closed: bool,
            runs: int) -> tuple[PeriodMeasure, dict]:
    from casework.reporting.reports import period_report

    cw = open_casework(url)  # a new engine and connection: the first call pays for them
    sent = [0]

    def count(*_args, sent=sent):
        sent[0] += 1

    event.listen(cw.engine, "before_cursor_execute", count)

    def report():
        return period_report(cw, start=start, end=end, area=area, now=now, closed=closed)

    first, _cpu, output = timed_cpu(report)
    statements = sent[0]
    timings = [timed_cpu(report) for _ in range(runs)]
    cw.engine.dispose()
    found = PeriodMeasure(area or "province", start, end, kind, first, [t[0] for t in timings],
                          [t[1] for t in timings], statements, output["received"])
    say(f"period: {kind} {start}..{end} {found.area}: first {first:.3f} s, median "
        f"{found.warm:.3f} s, CPU {found.cpu:.3f} s ({statements} statements)")
    return found, output


def bench_period(*, years: float, counties: int, runs: int, data: Path = DATA,
                 regenerate: bool = False, postgres: bool = False,
                 partitioned: bool = False) -> PeriodResult:
    from casework.reporting.months import month_index, month_label

    path, facts, facts_path = database(years, counties, data, regenerate, postgres)
    params = province(years, counties)
    result = PeriodResult(facts, "PostgreSQL" if postgres else "SQLite")
    if partitioned:
        from bench.province import partition
        partition(path, facts, facts_path)
        result.database = "PostgreSQL, events in monthly partitions"
    result.closing = close_all(path, params.month, params.now, facts, facts_path)
    last = month_index(params.month, params.now)
    two_years = (month_label(last - 23), params.month)
    in_progress = month_label(last + 1)
    half_year = (month_label(last - 4), in_progress)
    county = params.shape.counties_codes()[0]
    for area in (county, None):
        stored, stored_output = measure(path, area, *two_years, "two years, closed",
                                        params.now, True, runs)
        computed, computed_output = measure(path, area, *two_years,
                                            "two years, computed from events", params.now,
                                            False, 1)
        if stored_output != computed_output:
            raise AssertionError(f"the closed two years of {stored.area} differ from the "
                                 "computed ones")
        result.identical.append(stored.area)
        half, _output = measure(path, area, *half_year, "half-year to the month in progress",
                                params.now, True, runs)
        result.measures += [stored, computed, half]
    return result


def period_section(result: PeriodResult, runs: int, seconds: float, run: str) -> str:
    f, s = result.facts, result.facts.get("shares", {})
    months, closing = result.closing
    lines = [
        "## Reports over a period: two years of a generated province"
        + ("" if result.database == "SQLite" else f" ({result.database})"),
        "",
        run,
        "",
        f"bench/period.py on a province generated by bench/generate (`province({f['years']:g}, "
        f"{f['counties']})`: {f['counties']} of DESIGN.md's 100 counties, 15 townships of 13 "
        f"villages each, a county's share of 500,000 cases and 5M events a year): "
        f"{f['events']:,} events, {f['cases']:,} cases, generated into {result.database} in "
        f"{f['seconds']:.0f} s; settled at the village congress "
        f"{s.get('settled_at_village_congress', 0):.0%}, referred {s.get('referred', 0):.0%}. "
        f"Every finished month was closed first, as the scheduler's first start does: {months} "
        f"months in {closing:.0f} s.",
        "",
        f"First call on a new engine, then the median of {runs} calls (the computed kind: one), "
        "in wall-clock seconds and in CPU seconds of the benchmark's process (on a shared "
        "machine the wall clock also counts the time other processes hold the cores). "
        "*Two years, closed*: the 24 months as a leader prints them, every month from its stored "
        "figures. *Computed from events*: the same months counted from events "
        "(`closed=False`: the worst case, what closing saves); it must equal the closed one, "
        "which is checked (" + ", ".join(result.identical) + "). *Half-year to the month in "
        "progress*: five stored months and the month in progress counted from events. Targets "
        f"(issue 16): a county under {COUNTY_TARGET * 1e3:.0f} ms, the province under "
        f"{PROVINCE_TARGET:.0f} s.",
        "",
        "| report | area | from | to | cases received | first (s) | median (s) | CPU (s) "
        "| statements | target |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in result.measures:
        target = COUNTY_TARGET if m.area != "province" else PROVINCE_TARGET
        lines.append(
            f"| {m.kind} | {m.area} | {m.start} | {m.end} | {m.received:,} | {m.first:.3f} | "
            f"{m.warm:.3f} | {m.cpu:.3f} | {m.statements} | "
            f"{'met' if m.warm < target else 'met by CPU time' if m.cpu < target else 'NOT met'}"
            f"{'' if m.first < target or m.warm >= target else ' (not on the first call)'} |")
    lines += ["", f"({seconds:.0f} s in all)"]
    return "\n".join(lines)


if __name__ == "__main__":  # generation alone: python -m bench.period YEARS COUNTIES
    import sys

    from bench.common import quiet_logs

    quiet_logs()
    found, made, _facts_path = database(float(sys.argv[1]), int(sys.argv[2]), DATA, False)
    say(f"period: {found}: {made['events']:,} events, {made['cases']:,} cases")
