"""Where the engine's time goes on the action path (``python -m bench profile``).

A small sampling profiler (SIGPROF, every millisecond of CPU): unlike cProfile it adds little
overhead, so the shares are those of a normal run.  Shares are of all samples of the timed loop,
inclusive (a function and what it calls) for casework's own functions, and self time for the
rest, grouped by file:function.
"""

from __future__ import annotations

import collections
import signal
import tempfile
from pathlib import Path

from bench.actions import mix_plan, note_plan, prepare, run_engine
from bench.common import DATA, copy_db, say


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
                        "sqlalchemy/orm/context.py:orm_execute_statement",
                        "sqlalchemy/orm/bulk_persistence.py:orm_execute_statement",
                        "sqlalchemy/orm/bulk_persistence.py:_do_post_synchronize_evaluate",
                        "sqlalchemy/orm/bulk_persistence.py:_bulk_insert",
                        "sqlalchemy/orm/loading.py:instances",
                        "sqlalchemy/sql/cache_key.py:_generate_cache_key",
                        "sqlalchemy/sql/operators.py:__eq__",
                        "sqlalchemy/engine/base.py:_execute_context",
                        "sqlalchemy/engine/default.py:do_execute",
                        "sqlalchemy/engine/default.py:do_commit",
                        "transitions/core.py:trigger"):
                print(f"  {sampler.share(sampler.inclusive[key])}  {key}")
            print("\nself time, top 15:")
            for key, count in sampler.own.most_common(15):
                print(f"  {sampler.share(count)}  {key}")
