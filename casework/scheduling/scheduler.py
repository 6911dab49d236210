"""The scheduler: APScheduler 3 running the deadline scan at start and every interval.

Run it as its own process (``casework scheduler``) beside several web workers, or inside
``casework serve`` when that is a single process.  Each run first takes the scan lease
(lease.py: a row on SQLite, an advisory lock on PostgreSQL); a second scheduler (another
machine, a restart overlap) finds it held and waits, and takes over when the holder is gone.
The scan itself is idempotent, so even two holders at once would record each flag once.

The jobs take "now" from ``settings.clock`` (clock.py: the wall clock unless CASEWORK_CLOCK
moves it, for tests and drills); the lease and the last-scan record stay on the real clock.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update

from casework.bootstrap import Casework
from casework.notify import deliver_due, enqueue_digests
from casework.notify.backlog import prune_sent
from casework.notify.digest import DIGEST_AT
from casework.people.sessions import prune_sessions
from casework.reporting.closing import add_closing_job
from casework.scheduling.deadlines import SHANGHAI
from casework.scheduling.lease import (
    SCAN_LEASE,
    holder_name,
    lease_held,
    lease_ttl,
    scan_lease,
    take_lease,
)
from casework.scheduling.scan import scan
from casework.storage.db import is_sqlite, reading, utcnow, writing
from casework.storage.models import SchedulerLease
from casework.storage.partitions import ensure_partitions

__all__ = ["SCAN_LEASE", "ScanJob", "configure", "holder_name", "max_lag", "record_scan",
           "run_forever", "scheduler_status", "start_in_background", "take_lease"]
log = logging.getLogger("casework.scheduling.scheduler")
OUTBOX_JOB, DIGEST_JOB = "notification_outbox", "notification_digest"
PRUNE_JOB = "notification_prune"
SESSION_PRUNE_JOB = "session_prune"
PARTITION_JOB = "event_partitions"
OUTBOX_INTERVAL = 30  # seconds between runs of the outbox sender


def record_scan(cw: Casework, holder: str, started: datetime, seconds: float, lag: float,
                name: str = SCAN_LEASE, interval: int | None = None) -> None:
    values = {"last_scan_at": started, "last_scan_seconds": seconds,
              "last_scan_lag_seconds": lag}
    if interval is not None:
        values["interval_seconds"] = interval
    with writing(cw.engine) as session:
        session.execute(
            update(SchedulerLease).where(SchedulerLease.name == name,
                                         SchedulerLease.holder == holder).values(**values))


def max_lag(interval: int) -> float:
    """How late a scan may be before /healthz answers 503: a lease ttl and one more interval,
    the longest a healthy takeover (the holder gone, its lease expiring, the successor's next
    run) can leave between two scans.  60 s interval: 240 s late, 300 s since the last scan."""
    return (lease_ttl(interval) + timedelta(seconds=interval)).total_seconds()


def scheduler_status(cw: Casework, name: str = SCAN_LEASE, now: datetime | None = None) -> dict:
    """The lease and the last scan: when, how long it took, how late the next one is.

    ``lag_seconds`` is the time since the last scan beyond one interval (0 while scans keep
    time); ``late`` once it exceeds ``max_lag``.  A scheduler that never scanned is not late:
    nothing says one should be running yet (a fresh install, the web app's own tests)."""
    now = now or utcnow()
    with reading(cw.engine) as session:
        lease = session.execute(select(SchedulerLease).where(SchedulerLease.name == name)
                                ).scalar_one_or_none()
    interval = (lease.interval_seconds if lease and lease.interval_seconds
                else cw.settings.scan_interval)
    status = {"lease": "row" if is_sqlite(cw.engine) else "advisory_lock",
              "holder": lease.holder if lease else None,
              "held": lease is not None and lease_held(cw, name),
              "interval_seconds": interval, "max_lag_seconds": max_lag(interval),
              "last_scan_at": None, "last_scan_seconds": None, "start_delay_seconds": None,
              "seconds_since_last_scan": None, "lag_seconds": None, "late": False}
    if lease is None or lease.last_scan_at is None:
        return status
    since = max(0.0, (now - lease.last_scan_at).total_seconds())
    lag = max(0.0, since - interval)
    return {**status, "last_scan_at": lease.last_scan_at.isoformat(),
            "last_scan_seconds": lease.last_scan_seconds,
            "start_delay_seconds": lease.last_scan_lag_seconds,
            "seconds_since_last_scan": round(since, 3), "lag_seconds": round(lag, 3),
            "late": lag > max_lag(interval)}


class ScanJob:
    """One scheduler's scan: take the lease, scan, record how it went."""

    def __init__(self, cw: Casework, interval: int) -> None:
        self.cw = cw
        self.interval = interval
        self.holder = holder_name()
        self.ttl = lease_ttl(interval)
        self.lease = scan_lease(cw, self.holder, self.ttl, interval=interval)
        self.expected: datetime | None = None

    def __call__(self) -> None:
        started = utcnow()
        lag = max(0.0, (started - self.expected).total_seconds()) if self.expected else 0.0
        self.expected = started + timedelta(seconds=self.interval)
        try:
            if not self.lease.acquire(started):
                log.debug("another scheduler holds the scan lease")
                return
            clock = time.monotonic()
            result = scan(self.cw, self.cw.settings.clock.now())
            record_scan(self.cw, self.holder, started, time.monotonic() - clock, lag,
                        interval=self.interval)
            if result.failed:
                log.warning("scan finished with %d failed cases", len(result.failed))
        except Exception:
            # The job must survive a database outage: the next interval tries again.
            log.exception("deadline scan failed")


class NotificationJob:
    """The outbox sender, the morning digest, the pruning of sent rows or of finished sessions;
    all idempotent, so they need no lease."""

    def __init__(self, cw: Casework, run) -> None:
        self.cw = cw
        self.run = run

    def __call__(self) -> None:
        try:
            self.run(self.cw, self.cw.settings.clock.now())
        except Exception:
            log.exception("%s failed", self.run.__name__)  # the next run tries again


class PartitionJob:
    """The monthly partitions of events made ahead (casework/storage/partitions.py; nothing to do on
    SQLite or an unpartitioned table).  DDL: only the scan lease's holder runs it, so that one
    scheduler of several does it (the partition lock would make a second wait, then find
    nothing missing)."""

    def __init__(self, cw: Casework, lease) -> None:
        self.cw = cw
        self.lease = lease

    def __call__(self) -> None:
        if is_sqlite(self.cw.engine):
            return  # one table; no need to touch the lease
        try:
            if not self.lease.acquire(utcnow()):
                log.debug("another scheduler holds the scan lease")
                return
            created = ensure_partitions(self.cw.engine, self.cw.settings.clock.now())
        except Exception:
            log.exception("creating the events' monthly partitions failed")  # tried tomorrow
            return
        if created:
            log.info("created partitions %s", ", ".join(created))


def configure(scheduler, cw: Casework, interval: int | None = None):
    interval = interval or cw.settings.scan_interval
    started = datetime.now(SHANGHAI)
    scan_job = ScanJob(cw, interval)
    scheduler.add_job(
        scan_job, IntervalTrigger(seconds=interval, timezone=SHANGHAI),
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
    add_closing_job(scheduler, cw, started)  # the month before, on reports.closing_day
    # Once a day at night, and at start: deletes what was sent CASEWORK_OUTBOX_KEEP_DAYS ago.
    scheduler.add_job(
        NotificationJob(cw, prune_sent), CronTrigger(hour=3, minute=40, timezone=SHANGHAI),
        id=PRUNE_JOB, next_run_time=started, coalesce=True, max_instances=1,
        misfire_grace_time=3600, replace_existing=True)
    # Once a day at night, and at start: the rows of sessions finished a month ago.
    scheduler.add_job(
        NotificationJob(cw, prune_sessions), CronTrigger(hour=3, minute=45, timezone=SHANGHAI),
        id=SESSION_PRUNE_JOB, next_run_time=started, coalesce=True, max_instances=1,
        misfire_grace_time=3600, replace_existing=True)
    # Once a day at night, and at start: the events' partitions three months ahead, made
    # while the table is quiet (the DDL locks it for a moment).
    scheduler.add_job(
        PartitionJob(cw, scan_job.lease), CronTrigger(hour=3, minute=50, timezone=SHANGHAI),
        id=PARTITION_JOB, next_run_time=started, coalesce=True, max_instances=1,
        misfire_grace_time=3600, replace_existing=True)
    if not cw.settings.clock.is_real:
        log.warning("the jobs run on a moved clock (CASEWORK_CLOCK): now is %s",
                    cw.settings.clock.now().isoformat())
    return scheduler


def release_lease(scheduler) -> None:
    """Hand the scan lease on at a clean stop, so a successor need not wait for the ttl."""
    job = scheduler.get_job(SCAN_LEASE)
    if job is not None:
        try:
            job.func.lease.release()
        except Exception:
            log.exception("could not release the scan lease; it expires by itself")


def run_forever(cw: Casework, interval: int | None = None) -> None:
    """``casework scheduler``: block, scanning until interrupted."""
    scheduler = configure(BlockingScheduler(timezone=SHANGHAI), cw, interval)
    log.info("scheduler started: scanning every %ss", interval or cw.settings.scan_interval)
    # systemd stops a service with SIGTERM: stop as on Ctrl-C, handing the lease on.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        release_lease(scheduler)
        scheduler.shutdown(wait=False)


def _stop(_signum, _frame) -> None:
    raise SystemExit(0)


def start_in_background(cw: Casework, interval: int | None = None) -> BackgroundScheduler:
    """For ``casework serve`` in a single process: scans in a thread beside the web app."""
    scheduler = configure(BackgroundScheduler(timezone=SHANGHAI, daemon=True), cw, interval)
    scheduler.start()
    return scheduler
