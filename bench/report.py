"""The monthly report on a long history: its time should follow the month, not the history.

The same report month (same cases, same events: the generator's fixed window) is measured on
databases of different history sizes, and on one with a larger month at the largest size.  The
reports of the same month must come out identical at every history size, which is checked.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

from bench.common import DATA, copy_db, median, open_casework, remove_db, say, timed_cpu
from bench.generate import Params, Shape, generate, shares, target_url
from casework.reporting.reports import monthly_report
from casework.scheduling.deadlines import SHANGHAI
from casework.storage.db import reading


@dataclass
class Measure:
    label: str
    events: int
    cases: int
    month_cases: int
    month_events: int
    area: str
    month: str
    first: float
    runs: list[float]
    cpu_runs: list[float]
    statements: int
    open_end: int

    @property
    def warm(self) -> float:
        return median(self.runs)

    @property
    def cpu(self) -> float:
        return median(self.cpu_runs)


@dataclass
class Closed:
    """A finished month closed (closing.py), then its report read from the stored figures."""

    label: str
    month: str
    area: str
    catch_up_months: int
    catch_up: float  # seconds to close every month of the history before ``month``
    close: float  # seconds to close ``month`` itself (all areas of the province)
    figures: int  # rows stored for ``month``
    computed: float  # median of the computed report, measured above in the same run
    runs: list[float]
    cpu_runs: list[float]

    @property
    def warm(self) -> float:
        return median(self.runs)


@dataclass
class ReportResult:
    closed: list[Closed] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    databases: list[dict] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)


def database(params: Params, data: Path, regenerate: bool) -> tuple[Path, dict]:
    """The generated database for ``params``, made once and kept in ``data``."""
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"history-{params.key()}.db"
    facts_path = path.with_suffix(".json")
    if regenerate or not path.exists() or not facts_path.exists():
        remove_db(path)
        facts_path.unlink(missing_ok=True)
        say(f"report: generating {params.events:,} events ({params.month_cases} cases a month)")
        facts = generate(path, params)
        facts["shares"] = shares(target_url(path))
        facts_path.write_text(json.dumps(facts, indent=1))
    else:
        say(f"report: reusing {path.name}")
    return path, json.loads(facts_path.read_text())


def _month_size(path: Path, month: str, now: datetime, area: str | None) -> tuple[int, int]:
    """Cases received and events dated in the month, inside the area."""
    year, number = int(month[:4]), int(month[5:])
    start = datetime(year, number, 1, tzinfo=SHANGHAI).astimezone(UTC)
    end = min(datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI).astimezone(UTC),
              now.astimezone(UTC))
    stamps = [moment.replace(tzinfo=None).isoformat(" ", "microseconds") for moment in (start, end)]
    db = sqlite3.connect(path)
    try:
        inside = (*stamps, f"{area or ''}%")
        events = db.execute("SELECT count(*) FROM events WHERE at >= ? AND at < ? "
                            "AND village_code LIKE ?", inside).fetchone()[0]
        cases = db.execute("SELECT count(*) FROM cases WHERE received_at >= ? AND received_at < ? "
                           "AND village_code LIKE ?", inside).fetchone()[0]
    finally:
        db.close()
    return cases, events


def measure(path: Path, label: str, facts: dict, *, month: str, now: datetime,
            areas: list[str | None], runs: int) -> tuple[list[Measure], dict]:
    found, outputs = [], {}
    for area in areas:
        month_cases, month_events = _month_size(path, month, now, area)
        cw = open_casework(path)  # a new engine and connection: the first call pays for them
        statements = [0]

        @event.listens_for(cw.engine, "before_cursor_execute")
        def _count(*_args, counter=statements):
            counter[0] += 1

        def run(cw=cw, area=area):
            return monthly_report(cw, month=month, area=area, now=now)

        first, _cpu, report = timed_cpu(run)
        per_call = statements[0]
        times = [timed_cpu(run) for _ in range(runs)]
        cw.engine.dispose()
        open_end = sum(level["open_end"] for level in report["levels"].values())
        found.append(Measure(label, facts["events"], facts["cases"], month_cases, month_events,
                             area or "all", month, first, [t[0] for t in times],
                             [t[1] for t in times], per_call, open_end))
        outputs[area] = report
        say(f"report: {label} {month} area={area or 'all'}: first {first:.3f} s, "
            f"then median {found[-1].warm:.3f} s ({found[-1].cpu:.3f} s CPU)")
    return found, outputs


def bench_report(*, sizes: list[int], month_cases: int, big_month_cases: int | None,
                 shape_counties: int, runs: int, data: Path = DATA,
                 regenerate: bool = False) -> ReportResult:
    result = ReportResult()
    base = Params(month_cases=month_cases, shape=Shape(counties=shape_counties))
    month = base.month
    now = base.now
    in_progress = f"{now.year:04d}-{now.month:02d}"
    county = base.shape.counties_codes()[0]
    township = f"{county}100"
    areas = [None, county, township]
    same_month: dict[tuple, dict] = {}
    plans = [(events, month_cases) for events in sizes]
    if big_month_cases:
        plans.append((max(sizes), big_month_cases))
    for events, cases_a_month in plans:
        params = Params(events=events, month_cases=cases_a_month, shape=base.shape,
                        month=month, now=now)
        path, facts = database(params, data, regenerate)
        facts = {**facts, "month_cases": cases_a_month, "path": path.name}
        result.databases.append(facts)
        label = f"{facts['events'] / 1e6:.2f}M events, {cases_a_month}/month"
        for which in (month, in_progress):
            measures, outputs = measure(path, label, facts, month=which, now=now, areas=areas,
                                        runs=runs)
            result.measures += measures
            if which == month:
                result.closed += measure_closed(path, label, month, now, outputs, measures, runs)
                for area, output in outputs.items():
                    key = (cases_a_month, area)
                    if key in same_month and same_month[key] != output:
                        raise AssertionError(f"the {month} report for area {area} differs "
                                             "between history sizes")
                    if key in same_month:
                        result.identical.append(f"{month}, area {area or 'all'}, "
                                                f"{cases_a_month} cases a month")
                    same_month[key] = output
    return result


def measure_closed(path: Path, label: str, month: str, now: datetime, computed: dict,
                   measures: list[Measure], runs: int) -> list[Closed]:
    """Close ``month`` on a copy of the database and read its reports back from the stored
    figures; each must equal the computed report of the same run, which is checked."""
    from sqlalchemy import func, select

    from casework.reporting.closing import close_month
    from casework.reporting.months import month_index, month_label
    from casework.storage.models import ClosedFigure
    from casework.storage.schema import upgrade

    copy = path.with_name(f"closed-{path.name}")
    copy_db(path, copy)
    try:
        cw = open_casework(copy)
        upgrade(cw.engine)
        before = month_label(month_index(month, now) - 1)
        catch_up, _cpu, earlier = timed_cpu(lambda: close_month(cw, before, now=now))
        close, _cpu, _done = timed_cpu(lambda: close_month(cw, month, now=now))
        with reading(cw.engine) as session:
            figures = session.execute(select(func.count()).select_from(ClosedFigure)
                                      .where(ClosedFigure.month == month)).scalar_one()
        found = []
        for m in measures:
            area = None if m.area == "all" else m.area

            def run(cw=cw, area=area):
                return monthly_report(cw, month=month, area=area, now=now)

            times = [timed_cpu(run) for _ in range(runs)]
            if times[-1][2] != computed[area]:
                raise AssertionError(f"the closed {month} report for area {m.area} differs "
                                     "from the computed one")
            found.append(Closed(label, month, m.area, len(earlier), catch_up, close, figures,
                                m.warm, [t[0] for t in times], [t[1] for t in times]))
            say(f"report: {label} {month} area={m.area} closed: median "
                f"{found[-1].warm * 1000:.1f} ms (computed {m.warm * 1000:.0f} ms)")
        cw.engine.dispose()
    finally:
        remove_db(copy)
    return found
