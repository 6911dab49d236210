"""A synthetic province's history of petitions, bulk-loaded into SQLite and/or PostgreSQL.

Going through the services would take hours for millions of events, so this writes rows in
bulk (bench/generate/load.py); but every row is what the engine would have written: each case
is simulated through the workflow with the engine's own rules (simulate.py) and its row is the
fold of its events through ``casework.lifecycle.projection``; ``verify`` replays a sample read back
through the ORM and checks the case numbers are gapless per county and year.

Shapes (shapes.py) follow the field report: of the cases handled by village congresses about
78% are settled there, of those escalated about 75% at the township and the rest at the county;
about a tenth are referred to outside agencies, two thirds get a follow-up call, a few are
consultations answered on the spot, mailbox letters, emergencies, returns, reopenings.  Fewer
petitions come at weekends and on public holidays, more in the weeks after the Spring Festival.

The history has two parts, so that reports of the same month can be compared at any history
size: a fixed *window* (the report month, the 12 months before it and the month in progress up
to ``now``), generated from its own seed with about ``month_cases`` cases a month, and an older
*history* (from ``history_from``) sized to reach the wanted number of events, all of whose cases
were concluded long before the window.  Some window cases are left open, a few stuck long past
their deadlines.

Months are planned in the parent (plan.py: which cases come in, their ids and numbers), then
simulated by one worker process per core (work.py), while the parent writes the finished months
in time order; a few months at most are in flight, so memory stays flat at any history size.
The output depends only on the parameters, not on the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import deque
from datetime import UTC
from pathlib import Path

from bench.common import WORKFLOW, data_key, empty_schema, say
from bench.generate.check import shares, verify
from bench.generate.load import Loader, PostgresSink, SqliteSink
from bench.generate.plan import MonthPlan, Numbering, draw_month, history_counts, window_count
from bench.generate.shapes import (
    Params,
    Shape,
    make_areas,
    make_users,
    months,
    province,
    shift,
)
from bench.generate.simulate import CaseSim
from bench.generate.work import simulate_month, start_worker
from casework.bootstrap import bootstrap
from casework.config import Settings

__all__ = ["Params", "Shape", "generate", "province", "shares", "target_url", "verify"]
IN_FLIGHT = 3  # months being simulated ahead of the one being written


def target_url(target: Path | str) -> str:
    """A database URL for a SQLite path or a URL."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{target}"


def _sink(url: str):
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        empty_schema(path)
        return SqliteSink(path)
    from bench import pg
    server = pg.database_url(url, "postgres")
    name = url.rsplit("/", 1)[1].split("?")[0]
    pg.fresh_database(server, name)
    return PostgresSink(url)


def _events_per_case(cw, users, villages, params: Params, month) -> float:
    """Events a concluded case brings, from a pilot sample: sizes the history."""
    rng = random.Random(f"{params.seed}-pilot")
    sim = CaseSim(cw, users, rng, params.now.astimezone(UTC), params.notes)
    drawn = draw_month(f"{params.seed}-pilot-{month}", month, 3000, villages, params.now, 0)
    return sum(len(sim.run(received, village, stuck=False)[1])
               for received, village, _stuck in drawn) / len(drawn)


def generate(targets: Path | str | list, params: Params, *, verify_sample: int = 300,
             workers: int | None = None) -> dict:
    """Write the province of ``params`` into each target (a SQLite path or a database URL;
    PostgreSQL databases are dropped and made again) with ``workers`` simulating processes (one
    per core by default).  Returns facts, with the seconds in all and the seconds each database
    spent writing (while the workers simulated the months after)."""
    started = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    urls = [target_url(t) for t in (targets if isinstance(targets, list) else [targets])]
    cw = bootstrap(Settings(database_url="sqlite://", workflow_path=WORKFLOW,
                            data_key=data_key()))
    areas, villages = make_areas(params.shape)
    users = make_users(params.shape, villages)
    report_month = tuple(int(x) for x in params.month.split("-"))
    window = months(shift(report_month, -12), shift(report_month, 1))
    history = months(params.history_from, shift(window[0], -1))

    per_case = _events_per_case(cw, users, villages, params, shift(report_month, -3))
    window_cases = [window_count(m, params.month_cases, params.now, m == window[-1])
                    for m in window]
    history_cases = max(0, int((params.events - sum(window_cases) * per_case) / per_case))
    counts = history_counts(history, history_cases, str(params.seed))
    say(f"generate: {len(history)} months of history ({sum(counts):,} cases) and the window "
        f"{window[0][0]}-{window[0][1]:02d} .. {window[-1][0]}-{window[-1][1]:02d} "
        f"({sum(window_cases):,} cases), about {per_case:.1f} events a case")
    numbering = Numbering()
    plans = []
    # The window's months draw from seeds of their own: the same at every history size.
    for kind, span, sizes, stuck in (("history", history, counts, 0.0),
                                     (f"window-{params.month_cases}", window, window_cases,
                                      params.stuck_share)):
        for month, count in zip(span, sizes, strict=True):
            seed = f"{params.seed}-{kind}-{month[0]}-{month[1]:02d}"
            drawn = draw_month(seed, month, count, villages, params.now, stuck)
            plans.append(MonthPlan(month, seed, numbering.number(drawn)))

    sinks = [_sink(url) for url in urls]
    loader = Loader(sinks, int(numbering.case_id * per_case))
    loader.start(areas, users)
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=start_worker,
                      initargs=(cw, users, params.now.astimezone(UTC), params.notes,
                                cw.keyring.current)) as pool:
        pending: deque = deque()
        for plan in plans:
            pending.append(pool.apply_async(simulate_month, (plan,)))
            if len(pending) > IN_FLIGHT:
                loader.store(pending.popleft().get())
        while pending:
            loader.store(pending.popleft().get())
    say("generate: building indexes ...")
    loading = loader.finish(numbering.sequences)
    cw.engine.dispose()
    seconds = time.perf_counter() - started
    facts = {"events": loader.events, "cases": loader.cases, "villages": len(villages),
             "users": len(users.rows), "window_cases": sum(window_cases), "seconds": seconds,
             "load_seconds": loading, "workers": workers}
    if verify_sample:
        for url in urls:
            verify(url, verify_sample)
    say(f"generate: {facts['events']:,} events, {facts['cases']:,} cases in {seconds:.0f} s "
        f"(loading: " + ", ".join(f"{k} {v:.0f} s" for k, v in loading.items()) + ")")
    return facts
