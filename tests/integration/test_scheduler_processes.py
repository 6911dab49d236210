"""Two real ``casework scheduler`` processes on one database (issue 4, "How we will know").

Both run on a clock moved and sped up (CASEWORK_CLOCK: one real second is six hours) across
the warning and overdue moments of some two hundred cases: two midnight groups of
working-day cases and emergencies spread over the hours.  Every case must end with exactly one
``warn`` and one ``overdue`` event.  In the second test the scheduler holding the lease is
killed (SIGKILL) as soon as the first flags appear, most often while it is still flagging the
120 cases of one midnight, one transaction each; the other must take over.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
from conftest import WORKFLOW, petition
from sqlalchemy import func, select

from casework.lifecycle.intake import receive
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.lease import lease_held
from casework.storage.db import reading
from casework.storage.models import Case, Event, SchedulerLease

RATE = 6 * 3600  # fake seconds per real second
START = datetime(2026, 11, 1, 20, 0, tzinfo=SHANGHAI)  # a Sunday evening, fake time
# Real seconds between launching the schedulers and START on their clock: time to start
# Python on a loaded machine.  Later starters only flag more in their first scan.
LEAD = 8.0
GROUPS = {  # received (Beijing time) -> how many: village congress, 5 working days
    datetime(2026, 10, 26, 10, 0, tzinfo=SHANGHAI): 120,  # warned 2 Nov 00:00, overdue 3 Nov
    datetime(2026, 10, 27, 10, 0, tzinfo=SHANGHAI): 40,   # warned 3 Nov, overdue 4 Nov
}
EMERGENCIES = 30  # 24 hours, warned after 80%: received every hour from 02:00 on 1 Nov
WAIT = 120  # real seconds at most for all flags (a loaded machine)


class Scheduler:
    """One ``casework scheduler`` process; its log is kept to show when a test fails."""

    def __init__(self, url: str, clock: str) -> None:
        env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_WORKFLOW": str(WORKFLOW),
               "CASEWORK_SCAN_INTERVAL": "1", "CASEWORK_CLOCK": clock,
               "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casework", "scheduler"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.pid = self.process.pid
        self.log: list[str] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.log.append(line)
            if "scheduler started" in line:
                self.started.set()

    def _closed(self, code: int) -> int:
        """The process's exit code, its stderr read to the end and closed (no file left open)."""
        self.reader.join(10)
        self.process.stderr.close()
        return code

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self._closed(self.process.wait(10))  # reaped: its pid no longer exists

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self._closed(self.process.wait(30))
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self._closed(self.process.wait(10))


def load_cases(cw, operator) -> None:
    for received, count in GROUPS.items():
        for _ in range(count):
            receive(cw, operator, petition(received_at=received.isoformat()), now=received)
    first = datetime(2026, 11, 1, 2, 0, tzinfo=SHANGHAI)
    for hour in range(EMERGENCIES):
        received = first + timedelta(hours=hour)
        receive(cw, operator, petition(urgency="emergency", received_at=received.isoformat()),
                now=received)


def flags(cw) -> dict[int, dict[str, int]]:
    with reading(cw.engine) as session:
        rows = session.execute(
            select(Event.case_id, Event.action, func.count())
            .where(Event.action.in_(["warn", "overdue"]))
            .group_by(Event.case_id, Event.action)).all()
    found: dict[int, dict[str, int]] = {}
    for case_id, action, count in rows:
        found.setdefault(case_id, {})[action] = count
    return found


def holder(cw) -> str | None:
    with reading(cw.engine) as session:
        return session.execute(select(SchedulerLease.holder)).scalar_one_or_none()


def wait_for(condition, what: str, schedulers, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    logs = "\n".join(f"--- {s.pid}\n{''.join(s.log[-30:])}" for s in schedulers)
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def pid_of(holder_name: str | None) -> int | None:
    return int(holder_name.split(":")[1]) if holder_name else None


@pytest.mark.parametrize("kill", [False, True], ids=["both_run", "holder_killed"])
def test_two_scheduler_processes_record_one_warning_and_one_overdue_per_case(cw, people,
                                                                           database_url, kill):
    load_cases(cw, people["operator"])
    with reading(cw.engine) as session:
        cases = session.execute(select(Case.id, Case.warn_at, Case.due_at)).all()
    total = len(cases)
    assert total == sum(GROUPS.values()) + EMERGENCIES
    # Every moment lies ahead of the schedulers' START: they cross all of them while running.
    assert min(warn for _, warn, _ in cases) > START
    midnight = datetime(2026, 11, 2, 0, 0, tzinfo=SHANGHAI)
    big_group = {case_id for case_id, warn, _ in cases if warn == midnight}
    assert len(big_group) == 120

    clock = f"{START.isoformat()}@{time.time() + LEAD}*{RATE}"
    schedulers = [Scheduler(database_url, clock) for _ in range(2)]
    try:
        for scheduler in schedulers:
            assert scheduler.started.wait(60), "".join(scheduler.log)
        if kill:
            def some_flags():
                return sum(sum(found.values()) for found in flags(cw).values())
            recorded = wait_for(some_flags, "the first flags", schedulers)
            victim = next(s for s in schedulers if s.pid == pid_of(holder(cw)))
            victim.kill()
            survivor = next(s for s in schedulers if s is not victim)
            assert recorded < 2 * total  # killed mid-way
            wait_for(lambda: pid_of(holder(cw)) == survivor.pid, "the takeover", schedulers,
                     timeout=30)

        def all_flagged():
            found = flags(cw)
            return len(found) == total and all(
                found[case_id].get("warn") and found[case_id].get("overdue")
                for case_id, _, _ in cases) and found
        found = wait_for(all_flagged, "every case's flags", schedulers)
        assert pid_of(holder(cw)) in {s.pid for s in schedulers if s.process.poll() is None}
        time.sleep(1.5)  # a scan or two more: nothing new may be recorded
        found = flags(cw)
        assert {case_id: found[case_id] for case_id, _, _ in cases} == {
            case_id: {"warn": 1, "overdue": 1} for case_id, _, _ in cases}
        with reading(cw.engine) as session:
            flagged = session.execute(select(func.count()).select_from(Case).where(
                Case.warning.is_(True), Case.overdue.is_(True))).scalar_one()
            late = session.execute(select(func.count()).select_from(Event).join(
                Case, Case.id == Event.case_id).where(
                    Event.action == "warn", Event.at < Case.warn_at)).scalar_one()
        assert (flagged, late) == (total, 0)
    finally:
        codes = [scheduler.stop() for scheduler in schedulers]
    # SIGTERM is a clean stop that hands the lease on (the killed one ended by SIGKILL).
    assert codes.count(0) == (1 if kill else 2)
    assert not lease_held(cw)
