"""The scheduler's lease and job: one scanner at a time, takeover, status for /healthz.

Two real scheduler processes are in test_scheduler_processes.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
from conftest import petition
from sqlalchemy import func, select, text

from casework.lifecycle.intake import receive
from casework.scheduling.lease import LOCK_SPACE, SCAN_LEASE, advisory_key, lease_held, scan_lease
from casework.scheduling.scheduler import (
    ScanJob,
    max_lag,
    record_scan,
    scheduler_status,
    take_lease,
)
from casework.storage.db import is_sqlite, reading, utcnow
from casework.storage.models import Event

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TTL = timedelta(minutes=3)


def test_a_second_scheduler_waits_while_the_first_holds_the_lease(cw):
    assert take_lease(cw, "a", NOW, TTL)
    assert not take_lease(cw, "b", NOW + timedelta(minutes=1), TTL)
    assert take_lease(cw, "a", NOW + timedelta(minutes=1), TTL)  # renewing


def test_the_lease_passes_on_when_its_holder_stops_renewing_it(cw):
    assert take_lease(cw, "a", NOW, TTL)
    assert take_lease(cw, "b", NOW + TTL, TTL)
    assert not take_lease(cw, "a", NOW + TTL + timedelta(seconds=1), TTL)


def test_a_scan_job_records_its_last_scan_for_healthz(cw):
    assert scheduler_status(cw)["last_scan_at"] is None
    job = ScanJob(cw, interval=60)
    job()
    job.lease.release()
    status = scheduler_status(cw)
    assert status["last_scan_at"] is not None and status["last_scan_seconds"] >= 0
    assert status["interval_seconds"] == 60 and status["holder"] == job.holder


def test_two_schedulers_at_once_record_each_flag_once(cw, people):
    long_ago = datetime.now(UTC) - timedelta(days=60)
    for _ in range(20):
        receive(cw, people["operator"], petition(received_at=long_ago.isoformat()),
                now=long_ago + timedelta(minutes=1))
    jobs = [ScanJob(cw, interval=60) for _ in range(2)]
    # Both think they hold the lease (a restart overlap, a holder whose connection died
    # mid-scan): the scan must still record each flag once.
    for job in jobs:
        job.lease = AlwaysHeld()
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with reading(cw.engine) as session:
        flags = dict(session.execute(
            select(Event.action, func.count()).where(Event.action.in_(["warn", "overdue"]))
            .group_by(Event.action)).all())
    assert flags == {"warn": 20, "overdue": 20}


class AlwaysHeld:
    def acquire(self, now) -> bool:
        return True

    def release(self) -> None:
        pass


def test_one_scan_lease_at_a_time_and_the_next_holder_takes_it_at_release(cw):
    first, second = (scan_lease(cw, name, TTL, interval=60) for name in ("a", "b"))
    assert first.kind == ("row" if is_sqlite(cw.engine) else "advisory_lock")
    try:
        assert first.acquire(utcnow())
        assert not second.acquire(utcnow())
        assert first.acquire(utcnow())  # renewing
        assert scheduler_status(cw)["held"] and scheduler_status(cw)["holder"] == "a"
        first.release()
        assert not scheduler_status(cw)["held"]
        assert second.acquire(utcnow())
        assert not first.acquire(utcnow())
        assert scheduler_status(cw)["holder"] == "b"
    finally:
        first.release()
        second.release()


def test_a_lease_held_in_another_database_of_the_server_is_not_this_ones(cw):
    """Advisory locks are per database, but pg_locks lists the whole server's."""
    if is_sqlite(cw.engine):
        pytest.skip("advisory locks are PostgreSQL's")
    other = cw.engine.url.set(database="postgres")
    from sqlalchemy import create_engine

    engine = create_engine(other, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT pg_try_advisory_lock(CAST(:s AS integer), CAST(:k AS integer))"),
                {"s": LOCK_SPACE, "k": advisory_key(SCAN_LEASE)}).scalar_one()
            assert not lease_held(cw)
            connection.execute(
                text("SELECT pg_advisory_unlock(CAST(:s AS integer), CAST(:k AS integer))"),
                {"s": LOCK_SPACE, "k": advisory_key(SCAN_LEASE)})
    finally:
        engine.dispose()


def gone_pid() -> int:
    """The id of a process of this machine that has ended (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_row_lease_whose_holders_process_is_gone_is_taken_at_once(cw):
    host = socket.gethostname()
    assert take_lease(cw, f"{host}:{gone_pid()}:dead", NOW, TTL)
    assert take_lease(cw, "b", NOW + timedelta(seconds=1), TTL)  # not waiting for the ttl


def test_a_row_lease_of_a_live_process_or_another_machine_waits_for_its_ttl(cw):
    parent = f"{socket.gethostname()}:{os.getppid()}:alive"
    assert take_lease(cw, parent, NOW, TTL)
    assert not take_lease(cw, "b", NOW + timedelta(seconds=1), TTL)
    assert take_lease(cw, f"elsewhere:{gone_pid()}:x", NOW + TTL, TTL)
    assert not take_lease(cw, "c", NOW + TTL + timedelta(seconds=1), TTL)


def test_the_advisory_lock_passes_on_when_its_holders_connection_ends(cw):
    if is_sqlite(cw.engine):
        pytest.skip("PostgreSQL's advisory lock")
    first, second = scan_lease(cw, "first-holder", TTL), scan_lease(cw, "second-holder", TTL)
    try:
        assert first.acquire(utcnow()) and not second.acquire(utcnow())
        with cw.engine.connect() as connection:  # what a crash or a lost machine amounts to
            assert connection.execute(text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                " WHERE application_name = 'first-holder'")).scalar_one()
        assert second.acquire(utcnow())
        assert not first.acquire(utcnow())  # notices its lost connection, and waits
        assert not first.acquire(utcnow())
    finally:
        first.release()
        second.release()


def test_the_lag_is_the_time_since_the_last_scan_beyond_one_interval(cw):
    assert take_lease(cw, "h", NOW, TTL, interval=60)
    record_scan(cw, "h", NOW, seconds=0.2, lag=0.0, interval=60)
    on_time = scheduler_status(cw, now=NOW + timedelta(seconds=45))
    assert (on_time["seconds_since_last_scan"], on_time["lag_seconds"]) == (45, 0)
    assert max_lag(60) == 240 and not on_time["late"]
    just = scheduler_status(cw, now=NOW + timedelta(seconds=60 + 240))
    assert (just["lag_seconds"], just["late"]) == (240, False)
    late = scheduler_status(cw, now=NOW + timedelta(seconds=60 + 241))
    assert (late["lag_seconds"], late["late"]) == (241, True)
    assert late["max_lag_seconds"] == 240 and late["start_delay_seconds"] == 0


def test_the_lag_is_judged_against_the_schedulers_own_interval(cw):
    assert take_lease(cw, "h", NOW, TTL, interval=600)  # `casework scheduler --interval 600`
    record_scan(cw, "h", NOW, seconds=0.2, lag=0.0, interval=600)
    status = scheduler_status(cw, now=NOW + timedelta(seconds=900))
    assert cw.settings.scan_interval == 60
    assert (status["interval_seconds"], status["lag_seconds"], status["late"]) == (600, 300, False)
