"""A synthetic province's history of petitions, bulk-loaded into SQLite and/or PostgreSQL.

Going through the services would take hours for millions of events, so this writes rows in
bulk (bench/generate/load.py); but every row is what the engine would have written: each case
is simulated through the workflow with the engine's own rules (simulate.py) and its row is the
fold of its events through ``casework.projection``; ``verify`` replays a sample read back
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
"""

from __future__ import annotations

import random
import time
from datetime import UTC
from pathlib import Path

from bench.common import WORKFLOW, data_key, empty_schema, say
from bench.generate.check import shares, verify
from bench.generate.load import Loader, PostgresSink, SqliteSink
from bench.generate.shapes import (
    Params,
    Shape,
    make_areas,
    make_users,
    month_start,
    months,
    province,
    received_times,
    season,
    shift,
)
from bench.generate.simulate import CaseSim
from casework.bootstrap import bootstrap
from casework.config import Settings

__all__ = ["Params", "Shape", "generate", "province", "shares", "target_url", "verify"]


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


def generate(targets: Path | str | list, params: Params, *, verify_sample: int = 300) -> dict:
    """Write the province of ``params`` into each target (a SQLite path or a database URL;
    PostgreSQL databases are dropped and made again).  Returns facts, with the seconds spent
    simulating and the seconds each database spent loading."""
    started = time.perf_counter()
    urls = [target_url(t) for t in (targets if isinstance(targets, list) else [targets])]
    cw = bootstrap(Settings(database_url="sqlite://", workflow_path=WORKFLOW,
                            data_key=data_key()))
    areas, villages = make_areas(params.shape)
    users = make_users(params.shape, villages)
    now = params.now.astimezone(UTC)
    report_month = tuple(int(x) for x in params.month.split("-"))
    window = months(shift(report_month, -12), shift(report_month, 1))
    history = months(params.history_from, shift(window[0], -1))

    # The window first, from its own seed: the same at every history size.
    say(f"generate: simulating the window {window[0][0]}-{window[0][1]:02d} .. "
        f"{window[-1][0]}-{window[-1][1]:02d} (about {params.month_cases:,} cases a month)")
    window_rng = random.Random(f"{params.seed}-window-{params.month_cases}")
    sim = CaseSim(cw, users, window_rng, now, params.notes)
    window_blocks, window_events, complete = [], 0, []
    for month in window:
        count = round(params.month_cases * season(month))
        if month == window[-1]:
            elapsed = (params.now - month_start(month)).days
            count = count * max(elapsed, 1) // 30
        block = []
        for received in received_times(window_rng, month, count, now):
            village = window_rng.choice(villages)
            fields, evs = sim.run(received, village,
                                  stuck=window_rng.random() < params.stuck_share)
            block.append((received, village, fields, evs))
            window_events += len(evs)
            if month <= shift(report_month, -3):
                complete.append(len(evs))
        window_blocks.append(block)
    per_case = sum(complete) / max(len(complete), 1)
    history_cases = max(0, int((params.events - window_events) / per_case))
    if history_cases == 0:
        say(f"generate: the window alone has {window_events:,} events; no older history")
    # A slowly growing caseload, and each month's seasons.
    weights = [(0.5 + 0.5 * i / max(len(history) - 1, 1)) * season(m)
               for i, m in enumerate(history)]
    scale = history_cases / sum(weights) if weights else 0

    sinks = [_sink(url) for url in urls]
    loader = Loader(sinks, random.Random(f"{params.seed}-rows"),
                    window_events + int(history_cases * per_case), cw.keyring.current)
    loader.start(areas, users)
    history_rng = random.Random(f"{params.seed}-history")
    history_sim = CaseSim(cw, users, history_rng, now, params.notes)
    for month, weight in zip(history, weights, strict=True):
        count = int(weight * scale + history_rng.random())
        block = []
        for received in received_times(history_rng, month, count, now):
            village = history_rng.choice(villages)
            fields, evs = history_sim.run(received, village, stuck=False)
            block.append((received, village, fields, evs))
        loader.store(block)
    for block in window_blocks:
        loader.store(block)
    say("generate: building indexes ...")
    loading = loader.finish()
    cw.engine.dispose()
    seconds = time.perf_counter() - started
    facts = {"events": loader.events, "cases": loader.case_id, "villages": len(villages),
             "users": len(users.rows), "window_events": window_events, "seconds": seconds,
             "load_seconds": loading, "simulate_seconds": seconds - sum(loading.values())}
    if verify_sample:
        for url in urls:
            verify(url, verify_sample)
    say(f"generate: {facts['events']:,} events, {facts['cases']:,} cases in {seconds:.0f} s "
        f"(loading: " + ", ".join(f"{k} {v:.0f} s" for k, v in loading.items()) + ")")
    return facts
