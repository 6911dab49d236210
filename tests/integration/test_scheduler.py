"""The scheduler's lease and job: one scanner at a time, takeover, status for /healthz."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from conftest import petition
from sqlalchemy import func, select

from casework.db import reading
from casework.intake import receive
from casework.models import Event
from casework.scheduler import ScanJob, scheduler_status, take_lease

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
    ScanJob(cw, interval=60)()
    status = scheduler_status(cw)
    assert status["last_scan_at"] is not None and status["last_scan_seconds"] >= 0


def test_two_schedulers_at_once_record_each_flag_once(cw, people):
    long_ago = datetime.now(UTC) - timedelta(days=60)
    for _ in range(20):
        receive(cw, people["operator"], petition(received_at=long_ago.isoformat()),
                now=long_ago + timedelta(minutes=1))
    jobs = [ScanJob(cw, interval=60) for _ in range(2)]
    # Both think they hold the lease (a clock skew, a restart overlap): the scan must still
    # record each flag once.
    for job in jobs:
        job.holder = "same-holder"
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
