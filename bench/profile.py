"""Where the engine's time goes on the action path.

``python -m bench profile``: a small sampling profiler (SIGPROF, every millisecond of CPU):
unlike cProfile it adds little overhead, so the shares are those of a normal run.  Shares are of
all samples of the timed loop, inclusive (a function and what it calls) for casework's own
functions, and self time for the rest, grouped by file:function.

``python -m bench profile --steps``: the note action cut into its steps, engine against the raw
floor, interleaved action by action on copies of one database; the median of each step.  The
engine's steps are those of ``casework.lifecycle.actions.perform`` on the driver path, called one by
one (the same functions, in the same order); the raw ones those of ``bench.actions.run_raw``.
"""

from __future__ import annotations

import collections
import signal
import statistics
import tempfile
import time
from pathlib import Path

from bench.actions import (
    INSERT_EVENT,
    NOTE,
    PICK,
    SELECT_CASE,
    UPDATE_NOTE,
    _stamp,
    at_of,
    mix_plan,
    note_plan,
    prepare,
    run_engine,
)
from bench.common import DATA, copy_db, open_casework, raw_connection, say
from casework.lifecycle._driver import DriverTransaction
from casework.lifecycle.actions import planned_event
from casework.lifecycle.events import changes
from casework.people.access import check_visible


class Sampler:
    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.samples = 0
        self.own: collections.Counter = collections.Counter()
        self.inclusive: collections.Counter = collections.Counter()

    def _sample(self, _signal, frame) -> None:
        self.samples += 1
        seen, first = set(), True
        while frame is not None:
            code = frame.f_code
            name = code.co_filename.split("site-packages/")[-1].replace(str(Path.cwd()) + "/", "")
            key = f"{name}:{code.co_name}"
            if first:
                self.own[key] += 1
                first = False
            if key not in seen:
                self.inclusive[key] += 1
                seen.add(key)
            frame = frame.f_back

    def __enter__(self) -> Sampler:
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *_exc) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def share(self, count: int) -> str:
        return f"{count / max(self.samples, 1):6.1%}"


def profile(*, cases: int, workloads: tuple[str, ...]) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA, prefix="profile-") as work:
        work = Path(work)
        say(f"profile: preparing {cases} cases ...")
        prepared = prepare(work / "template.db", cases)
        for name in workloads:
            plan = note_plan(prepared, cases * 5) if name == "note" else mix_plan(prepared)
            copy_db(work / "template.db", work / "run.db")
            with Sampler() as sampler:
                rate, _cpu = run_engine(work / "run.db", plan, 0)
            print(f"\n## {name}: {len(plan):,} actions, {rate:,.0f} actions/s while sampled, "
                  f"{sampler.samples:,} samples\n")
            print("casework's functions (inclusive):")
            for key, count in sampler.inclusive.most_common():
                if key.startswith("casework/") or "sqlmodel/" in key:
                    print(f"  {sampler.share(count)}  {key}")
            print("\nlibrary entry points (inclusive):")
            for key in ("sqlalchemy/orm/session.py:execute", "sqlalchemy/orm/session.py:commit",
                        "sqlalchemy/engine/base.py:_execute_context",
                        "sqlalchemy/pool/base.py:checkout",
                        "sqlalchemy/pool/base.py:_finalize_fairy",
                        "transitions/core.py:trigger"):
                print(f"  {sampler.share(sampler.inclusive[key])}  {key}")
            print("\nself time, top 15:")
            for key, count in sampler.own.most_common(15):
                print(f"  {sampler.share(count)}  {key}")


def steps(*, cases: int, actions: int) -> None:
    """Median microseconds of each step of a note action, engine and raw floor interleaved."""
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA, prefix="steps-") as work:
        work = Path(work)
        say(f"steps: preparing {cases} cases ...")
        prepared = prepare(work / "template.db", cases)
        copy_db(work / "template.db", work / "engine.db")
        copy_db(work / "template.db", work / "raw.db")
        cw = open_casework(work / "engine.db")
        raw = raw_connection(work / "raw.db")
        engine_steps: dict[str, list[int]] = collections.defaultdict(list)
        raw_steps: dict[str, list[int]] = collections.defaultdict(list)
        warmup = min(500, actions // 10)
        for i, (number, _action, actor) in enumerate(note_plan(prepared, actions)):
            timings = (_engine_note(cw, number, actor, i), _raw_note(raw, number, actor, i,
                                                                      prepared.users))
            if i >= warmup:
                for into, taken in zip((engine_steps, raw_steps), timings, strict=True):
                    for name, nanoseconds in taken.items():
                        into[name].append(nanoseconds)
        raw.close()
        cw.engine.dispose()
    print(f"\n## note, step by step: median microseconds of {actions - warmup:,} actions "
          f"(wall clock, engine and raw floor interleaved)\n")
    for title, taken in (("engine", engine_steps), ("raw floor", raw_steps)):
        print(f"{title}:")
        for name, values in taken.items():
            print(f"  {statistics.median(values) / 1000:7.2f}  {name}")


def _marks(names: tuple[str, ...], clocks: list[int]) -> dict[str, int]:
    taken = {name: clocks[k + 1] - clocks[k] for k, name in enumerate(names)}
    taken["total"] = clocks[-1] - clocks[0]
    return taken


ENGINE_STEPS = ("connection + BEGIN IMMEDIATE", "SELECT the case row", "visible, version",
                "checks + the event's values", "the changed columns + chain link", "UPDATE",
                "INSERT event", "COMMIT + keep the connection")


def _engine_note(cw, number: str, actor, i: int) -> dict[str, int]:
    clock = time.perf_counter_ns
    body = {"action": "note", "version": 0, "note": NOTE}
    clocks = [clock()]
    tx = DriverTransaction(cw.engine)
    tx.__enter__()
    clocks.append(clock())
    case = tx.case_by_number(number)
    clocks.append(clock())
    check_visible(cw.workflow, actor, case)
    body["version"] = case.version
    clocks.append(clock())
    event = planned_event(cw, actor, case, "note", body, now=at_of(i))
    clocks.append(clock())
    changed = changes(case, event)
    clocks.append(clock())
    if tx.update_case(case.id, case.version, changed) != 1:
        raise RuntimeError(f"stale version on {number}")
    clocks.append(clock())
    tx.insert_event(event)
    for name, value in changed.items():
        setattr(case, name, value)
    clocks.append(clock())
    tx.__exit__(None, None, None)
    clocks.append(clock())
    return _marks(ENGINE_STEPS, clocks)


RAW_STEPS = ("BEGIN IMMEDIATE", "SELECT the case row", "UPDATE", "INSERT event", "COMMIT")


def _raw_note(connection, number: str, actor, i: int, users: dict[str, int]) -> dict[str, int]:
    clock, execute = time.perf_counter_ns, connection.execute
    at = _stamp(at_of(i))  # run_raw makes these before its timed loop
    link = f"{i:064x}"  # and works out the chain's hashes: any 64 characters cost the same
    clocks = [clock()]
    execute("BEGIN IMMEDIATE")
    clocks.append(clock())
    row = execute(SELECT_CASE, (number,)).fetchone()
    case_id, village, level, status, due, warn, version = PICK(row)
    clocks.append(clock())
    new = version + 1
    if execute(UPDATE_NOTE, (new, at, new, link, case_id, version)).rowcount != 1:
        raise RuntimeError(f"stale version on {number}")
    clocks.append(clock())
    execute(INSERT_EVENT, (case_id, new, "note", level, status, level, status,
                           users[actor.username], actor.username, at, NOTE, "{}", due, warn,
                           None, village, link, link))
    clocks.append(clock())
    execute("COMMIT")
    clocks.append(clock())
    return _marks(RAW_STEPS, clocks)
