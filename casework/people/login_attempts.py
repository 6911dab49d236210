"""Failed logins, counted in the database so that every web worker shares one count.

With several gunicorn workers (or machines) an in-memory count gives a guesser N times the
limit (PITFALLS.md, Flask-Limiter's memory storage).  One row per failure and key; a key is a
user name or a client address.  Rows older than the window are deleted as new failures come
in, so the table holds at most one window of failures (each of which cost a slow hash).

Two workers may both count below the limit and both let a guess through at the same moment:
the limit can be overshot by the number of concurrent requests, never multiplied by workers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select

from casework.storage.db import reading, writing
from casework.storage.models import LoginAttempt

Clock = Callable[[], float]  # seconds since the epoch (wall time: workers share it)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class AttemptStore:
    """Failure times per key within a sliding window of ``window`` seconds."""

    def __init__(self, engine: Engine, window: float, clock: Clock = time.time) -> None:
        self.engine = engine
        self.window = window
        self.clock = clock

    def recent(self, keys: Iterable[str]) -> dict[str, tuple[int, float]]:
        """For each key with failures inside the window: (how many, seconds until the oldest
        of them leaves the window).  One query for all the keys."""
        hashes = {key_hash(key): key for key in keys}
        now = self.clock()
        with reading(self.engine) as session:
            rows = session.execute(
                select(LoginAttempt.key_hash, func.count(), func.min(LoginAttempt.failed_at))
                .where(LoginAttempt.key_hash.in_(hashes),
                       LoginAttempt.failed_at > _at(now - self.window))
                .group_by(LoginAttempt.key_hash)).all()
        return {hashes[digest]: (count, oldest.timestamp() + self.window - now)
                for digest, count, oldest in rows}

    def fail(self, keys: Iterable[str]) -> None:
        """Record one failure against each key, and forget failures older than the window."""
        now = self.clock()
        with writing(self.engine) as session:
            session.execute(delete(LoginAttempt)
                            .where(LoginAttempt.failed_at <= _at(now - self.window)))
            session.execute(insert(LoginAttempt), [
                {"key_hash": key_hash(key), "failed_at": _at(now)} for key in keys])

    def clear(self, key: str) -> None:
        with writing(self.engine) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key_hash == key_hash(key)))
