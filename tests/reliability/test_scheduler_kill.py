"""Kill ``casework scheduler`` (SIGKILL) in the middle of a scan of many cases whose deadlines
have passed, restart it, and find each case warned once and flagged overdue once: no flag lost
to the kill, none doubled by the restart.  CASEWORK_LONG_TESTS=1 runs many rounds."""

from __future__ import annotations

import time
from datetime import timedelta

from conftest import VILLAGE_A2, petition
from consistency import examine
from processes import LONG, Process, environment, record
from sqlalchemy import func, select, update

from casework.lifecycle.intake import receive
from casework.storage.db import reading, utcnow, writing
from casework.storage.models import Event, SchedulerLease

ROUNDS = 10 if LONG else 1
CASES = 400 if LONG else 200


def flags_recorded(cw) -> int:
    with reading(cw.engine) as session:
        return session.execute(select(func.count()).select_from(Event).where(
            Event.action.in_(("warn", "overdue")))).scalar_one()


def lease_runs_out(cw) -> None:
    """What waiting out the dead holder's lease (30 s and more) would do, without the wait."""
    with writing(cw.engine) as session:
        session.execute(update(SchedulerLease).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_a_scan_killed_midway_loses_and_doubles_no_flag(cw, people, tmp_path):
    env = environment(cw.engine.url.render_as_string(hide_password=False),
                      CASEWORK_SCAN_INTERVAL="1")
    log = tmp_path / "scheduler.log"
    totals = {"database": cw.engine.dialect.name, "rounds": ROUNDS, "cases": 0,
              "flags_when_killed": [], "flags_after_restart": 0, "lost": 0, "doubled": 0}
    for round_ in range(ROUNDS):
        # Logged six weeks ago: both the warning and the deadline passed long since.
        long_ago = utcnow() - timedelta(days=42 + round_)
        for index in range(CASES):
            village = VILLAGE_A2 if index % 2 else petition()["village_code"]
            receive(cw, people["operator"], petition(village_code=village), now=long_ago)
        expected = (round_ + 1) * CASES * 2
        before = flags_recorded(cw)

        scheduler = Process(["scheduler", "--interval", "1"], env, log)
        deadline = time.monotonic() + 120
        while flags_recorded(cw) < before + CASES // 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        scheduler.kill()
        at_kill = flags_recorded(cw)
        assert before < at_kill < expected, "the kill did not land in the middle of the scan"
        totals["flags_when_killed"].append(at_kill - before)

        lease_runs_out(cw)
        scheduler = Process(["scheduler", "--interval", "1"], env, log)
        try:
            deadline = time.monotonic() + 120
            while flags_recorded(cw) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(2)  # another scan or two: a doubled flag would show now
        finally:
            scheduler.kill()
        lease_runs_out(cw)

    held = examine(cw.engine)
    assert not held.problems, held.problems[:5]
    warned, overdue = held.flags("warn"), held.flags("overdue")
    totals["cases"] = len(held.numbers)
    totals["flags_after_restart"] = sum(warned.values()) + sum(overdue.values())
    totals["lost"] = sum(1 for n in held.numbers if n not in warned) + sum(
        1 for n in held.numbers if n not in overdue)
    totals["doubled"] = sum(1 for c in warned.values() if c > 1) + sum(
        1 for c in overdue.values() if c > 1)
    record(tmp_path, f"scheduler-kill-{totals['database']}", totals)
    assert totals["cases"] == ROUNDS * CASES
    assert totals["lost"] == 0 and totals["doubled"] == 0
