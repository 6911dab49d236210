"""The scan lease: which scheduler process scans now, and who takes over when it stops.

SQLite keeps a row of ``scheduler_leases``: its holder renews it at every run until
``now + ttl``; another scheduler takes it once it has expired, or at once when the holder's
process is gone.  A SQLite file lives on one machine's disk (WAL needs shared memory), so every
scheduler of one database runs on that machine and can ask the system whether the holder's
process still exists.  Another machine's holder (never the case with SQLite) waits out the ttl.

PostgreSQL uses a session advisory lock (``pg_try_advisory_lock``) taken on a connection the
scheduler keeps open for its whole life.  The server drops the lock the moment that connection
ends, however the process ended (SIGKILL, a crash, a lost machine once the TCP keepalives set
below give up), so takeover needs no ttl and no clock.  Not the transaction-level lock: it would
need a transaction open for the whole scan (idle in transaction, holding back vacuum on the
events table) and would pass the lease back and forth between schedulers at every run.  The
holder still writes the row, which is where the scan's status is kept for /healthz.

Either way two schedulers may overlap for a moment (a holder whose connection died mid-scan);
the scan is idempotent, so that costs time, never a doubled flag.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
import zlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from casework.bootstrap import Casework
from casework.storage.db import is_sqlite, reading, utcnow, writing
from casework.storage.models import SchedulerLease

log = logging.getLogger("casework.scheduling.scheduler")
SCAN_LEASE = "deadline_scan"
# The first key of every Casework advisory lock, so they never meet another program's.
LOCK_SPACE = zlib.crc32(b"casework") & 0x7FFFFFFF
# Server-side keepalives of the lock's connection: a holder whose machine vanished without
# closing its socket loses the lock after about a minute, not after Linux's two hours.
KEEPALIVES = {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10",
              "tcp_keepalives_count": "3", "tcp_user_timeout": "60000"}

TRY_LOCK = text("SELECT pg_try_advisory_lock(CAST(:space AS integer), CAST(:key AS integer))")
UNLOCK = text("SELECT pg_advisory_unlock(CAST(:space AS integer), CAST(:key AS integer))")


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_ttl(interval: int) -> timedelta:
    """Long enough to survive a slow scan, short enough that a stopped holder is replaced
    within a few intervals."""
    return timedelta(seconds=max(3 * interval, 30))


def _holder_is_gone(holder: str) -> bool:
    """True only when the holder ran on this machine and its process no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but belongs to another user
        return False
    return False


def take_lease(cw: Casework, holder: str, now: datetime, ttl: timedelta,
               name: str = SCAN_LEASE, interval: int | None = None) -> bool:
    """The row lease: hold (or keep holding) it until ``now + ttl``; False while another
    holds it."""
    values = {"holder": holder, "expires_at": now + ttl, "interval_seconds": interval}
    try:
        with writing(cw.engine) as session:
            renewed = session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == name,
                       or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now))
                .values(**values))
            if renewed.rowcount == 1:
                return True
            current = session.get(SchedulerLease, name)
            if current is None:
                session.execute(insert(SchedulerLease).values(name=name, **values))
                return True
            if not _holder_is_gone(current.holder):
                return False
            log.warning("scan lease: holder %s is gone; taking over", current.holder)
            return session.execute(
                update(SchedulerLease).where(SchedulerLease.name == name,
                                             SchedulerLease.holder == current.holder)
                .values(**values)).rowcount == 1
    except IntegrityError:
        return False  # another scheduler created the row in the same instant


class RowLease:
    kind = "row"

    def __init__(self, cw: Casework, holder: str, ttl: timedelta, name: str = SCAN_LEASE,
                 interval: int | None = None) -> None:
        self.cw, self.holder, self.ttl, self.name, self.interval = cw, holder, ttl, name, interval

    def acquire(self, now: datetime) -> bool:
        return take_lease(self.cw, self.holder, now, self.ttl, self.name, self.interval)

    def release(self) -> None:
        """Let a successor start at its next run instead of after the ttl."""
        with writing(self.cw.engine) as session:
            session.execute(update(SchedulerLease).where(
                SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=utcnow()))


class AdvisoryLease:
    kind = "advisory_lock"

    def __init__(self, cw: Casework, holder: str, ttl: timedelta, name: str = SCAN_LEASE,
                 interval: int | None = None) -> None:
        self.cw, self.holder, self.ttl, self.name, self.interval = cw, holder, ttl, name, interval
        self.key = advisory_key(name)
        self._connection: Connection | None = None
        self._held = False
        self._lock = threading.Lock()  # the job's thread and the shutdown path

    def acquire(self, now: datetime) -> bool:
        with self._lock:
            try:
                held = self._try_lock()
            except DBAPIError as exc:
                log.warning("scan lease: lost the lock's connection (%s)", type(exc).__name__)
                self._drop()
                return False
        if held:
            # The row is the status page's: only the lock's holder writes it.
            _write_row(self.cw, self.name, self.holder, now + self.ttl, self.interval)
        return held

    def _try_lock(self) -> bool:
        if self._connection is None:
            connection = self.cw.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()  # never handed back to the pool with the lock or its settings
            self._connection = connection
            self._connection.execute(text("SELECT set_config('application_name', :v, false)"),
                                     {"v": self.holder[:63]})
            for setting, value in KEEPALIVES.items():
                try:
                    self._connection.execute(text("SELECT set_config(:s, :v, false)"),
                                             {"s": setting, "v": value})
                except DBAPIError:  # a server too old to know it (tcp_user_timeout: PG 12)
                    log.info("scan lease: %s not set", setting)
        if self._held:  # a live connection still holds its session lock
            self._connection.execute(text("SELECT 1"))
            return True
        self._held = bool(self._connection.execute(
            TRY_LOCK, {"space": LOCK_SPACE, "key": self.key}).scalar_one())
        return self._held

    def _drop(self) -> None:
        connection, self._connection, self._held = self._connection, None, False
        if connection is not None:
            with contextlib.suppress(DBAPIError):
                connection.invalidate()

    def release(self) -> None:
        with self._lock:
            if self._connection is None:
                return
            try:
                if self._held:  # at once; closing alone lets the server drop it a moment later
                    self._connection.execute(UNLOCK, {"space": LOCK_SPACE, "key": self.key})
                self._connection.close()
            except DBAPIError:
                self._drop()  # the lock went with the connection
            finally:
                self._connection, self._held = None, False


def advisory_key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _write_row(cw: Casework, name: str, holder: str, expires_at: datetime,
               interval: int | None) -> None:
    values = {"holder": holder, "expires_at": expires_at, "interval_seconds": interval}
    with writing(cw.engine) as session:
        if session.execute(update(SchedulerLease).where(SchedulerLease.name == name)
                           .values(**values)).rowcount == 0:
            session.execute(insert(SchedulerLease).values(name=name, **values))


def scan_lease(cw: Casework, holder: str, ttl: timedelta, name: str = SCAN_LEASE,
               interval: int | None = None) -> RowLease | AdvisoryLease:
    kind = RowLease if is_sqlite(cw.engine) else AdvisoryLease
    return kind(cw, holder, ttl, name, interval)


def lease_held(cw: Casework, name: str = SCAN_LEASE) -> bool:
    """Whether some scheduler holds the lease now (for the status page)."""
    with reading(cw.engine) as session:
        if is_sqlite(cw.engine):
            expires = session.execute(select(SchedulerLease.expires_at)
                                      .where(SchedulerLease.name == name)).scalar_one_or_none()
            return expires is not None and expires > utcnow()
        return bool(session.execute(text(
            # pg_locks shows the whole server's locks: only this database's lock counts.
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = :space AND objid::bigint = :key AND objsubid = 2"),
            {"space": LOCK_SPACE, "key": advisory_key(name)}).scalar_one())
