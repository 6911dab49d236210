"""The scheduler: APScheduler 3 running the deadline scan at start and every interval.

Run it as its own process (``casework scheduler``) beside several web workers, or inside
``casework serve`` when that is a single process.  Each run first takes a lease in the
database; a second scheduler (another machine, a restart overlap) finds it held and waits,
and takes over when the holder stops renewing it.  The scan itself is idempotent, so even two
holders at once would record each flag once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from casework.bootstrap import Casework
from casework.closing import add_closing_job
from casework.db import reading, utcnow, writing
from casework.deadlines import SHANGHAI
from casework.models import SchedulerLease
from casework.notify import deliver_due, enqueue_digests
from casework.notify.digest import DIGEST_AT
from casework.scan import scan

log = logging.getLogger("casework.scheduler")
SCAN_LEASE = "deadline_scan"
OUTBOX_JOB, DIGEST_JOB = "notification_outbox", "notification_digest"
OUTBOX_INTERVAL = 30  # seconds between runs of the outbox sender


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(cw: Casework, holder: str, now: datetime, ttl: timedelta,
               name: str = SCAN_LEASE) -> bool:
    """Hold (or keep holding) the lease until ``now + ttl``; False while another holds it."""
    try:
        with writing(cw.engine) as session:
            renewed = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == name,
                       or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now))
                .values(holder=holder, expires_at=now + ttl))
            if renewed.rowcount == 1:
                return True
            if session.get(SchedulerLease, name) is not None:
                return False
            session.execute(insert(SchedulerLease).values(
                name=name, holder=holder, expires_at=now + ttl))
            return True
    except IntegrityError:
        return False  # another scheduler created the row in the same instant


def record_scan(cw: Casework, holder: str, started: datetime, seconds: float, lag: float,
                name: str = SCAN_LEASE) -> None:
    with writing(cw.engine) as session:
        session.execute(
            update(SchedulerLease).where(SchedulerLease.name == name,
                                         SchedulerLease.holder == holder)
            .values(last_scan_at=started, last_scan_seconds=seconds, last_scan_lag_seconds=lag))


def scheduler_status(cw: Casework, name: str = SCAN_LEASE) -> dict:
    """The last scan's time, duration and lag (for /healthz and the admin page)."""
    with reading(cw.engine) as session:
        lease = session.execute(select(SchedulerLease).where(SchedulerLease.name == name)
                                ).scalar_one_or_none()
    if lease is None or lease.last_scan_at is None:
        return {"last_scan_at": None, "last_scan_seconds": None, "lag_seconds": None,
                "holder": lease.holder if lease else None}
    return {"last_scan_at": lease.last_scan_at.isoformat(),
            "last_scan_seconds": lease.last_scan_seconds,
            "lag_seconds": lease.last_scan_lag_seconds, "holder": lease.holder}


class ScanJob:
    """One scheduler's scan: take the lease, scan, record how it went."""

    def __init__(self, cw: Casework, interval: int) -> None:
        self.cw = cw
        self.interval = interval
        self.holder = holder_name()
        # Long enough to survive a slow scan, short enough that a stopped holder is replaced
        # within a few intervals.
        self.ttl = timedelta(seconds=max(3 * interval, 30))
        self.expected: datetime | None = None

    def __call__(self) -> None:
        started = utcnow()
        lag = max(0.0, (started - self.expected).total_seconds()) if self.expected else 0.0
        self.expected = started + timedelta(seconds=self.interval)
        try:
            if not take_lease(self.cw, self.holder, started, self.ttl):
                log.debug("another scheduler holds the scan lease")
                return
            clock = time.monotonic()
            result = scan(self.cw, started)
            record_scan(self.cw, self.holder, started, time.monotonic() - clock, lag)
            if result.failed:
                log.warning("scan finished with %d failed cases", len(result.failed))
        except Exception:
            # The job must survive a database outage: the next interval tries again.
            log.exception("deadline scan failed")


class NotificationJob:
    """The outbox sender or the morning digest; both are idempotent, so they need no lease."""

    def __init__(self, cw: Casework, run) -> None:
        self.cw = cw
        self.run = run

    def __call__(self) -> None:
        try:
            self.run(self.cw, utcnow())
        except Exception:
            log.exception("%s failed", self.run.__name__)  # the next run tries again


def configure(scheduler, cw: Casework, interval: int | None = None):
    interval = interval or cw.settings.scan_interval
    started = datetime.now(SHANGHAI)
    scheduler.add_job(
        ScanJob(cw, interval), IntervalTrigger(seconds=interval, timezone=SHANGHAI),
        id=SCAN_LEASE, next_run_time=started,  # scan at start too
        coalesce=True, max_instances=1, misfire_grace_time=300, replace_existing=True)
    scheduler.add_job(
        NotificationJob(cw, deliver_due),
        IntervalTrigger(seconds=OUTBOX_INTERVAL, timezone=SHANGHAI), id=OUTBOX_JOB,
        next_run_time=started, coalesce=True, max_instances=1, misfire_grace_time=300,
        replace_existing=True)
    # Every day at 08:30; the job itself skips weekends and holidays (make-up Saturdays are
    # working days, which a cron day_of_week cannot know).  Run at start too: a scheduler
    # restarted at 09:00 still sends the day's digest, and one that sent it sends nothing new.
    scheduler.add_job(
        NotificationJob(cw, enqueue_digests),
        CronTrigger(hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, timezone=SHANGHAI),
        id=DIGEST_JOB, next_run_time=started, coalesce=True, max_instances=1,
        misfire_grace_time=3600, replace_existing=True)
    add_closing_job(scheduler, cw, started)  # the monthly figures, closed on the 1st
    return scheduler


def run_forever(cw: Casework, interval: int | None = None) -> None:
    """``casework scheduler``: block, scanning until interrupted."""
    scheduler = configure(BlockingScheduler(timezone=SHANGHAI), cw, interval)
    log.info("scheduler started: scanning every %ss", interval or cw.settings.scan_interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def start_in_background(cw: Casework, interval: int | None = None) -> BackgroundScheduler:
    """For ``casework serve`` in a single process: scans in a thread beside the web app."""
    scheduler = configure(BackgroundScheduler(timezone=SHANGHAI, daemon=True), cw, interval)
    scheduler.start()
    return scheduler
