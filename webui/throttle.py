"""Login throttling: too many failed logins per user name or per client address answer 429.

Kept in process memory, on purpose for now: the schema belongs to casework's migrations (no
table for attempts yet), and Flask-Limiter has no SQL store.  The default deployment is one
process (``casework serve``); with N gunicorn workers a guesser gets up to N times the limit,
still bounded, and each guess also costs a slow scrypt hash.  ``AttemptStore`` is the seam for
a shared (database) store later.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 50_000  # beyond this, keys with no recent failure are dropped first


class AttemptStore:
    """Failure times per key within a sliding window, safe across the threads of one process."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._recent(key))

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest failure in the window expires."""
        with self._lock:
            recent = self._recent(key)
            if not recent:
                return 0
            return max(1, int(recent[0] + self.window - self.clock()) + 1)

    def fail(self, key: str) -> None:
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._prune()
            self._failures.setdefault(key, deque()).append(self.clock())

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        horizon = self.clock() - self.window
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def _prune(self) -> None:
        for key in list(self._failures):
            self._recent(key)
        if len(self._failures) >= MAX_KEYS:  # still full: forget the oldest keys
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]


class LoginThrottle:
    """Limits per user name and per client address, over one sliding window."""

    def __init__(self, *, per_user: int, per_ip: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.store = AttemptStore(window, clock)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return "user:" + username.strip().lower(), "ip:" + address

    def blocked_for(self, username: str, address: str) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        user_key, ip_key = self._keys(username, address)
        waits = [self.store.retry_after(key) for key, limit in
                 ((user_key, self.per_user), (ip_key, self.per_ip))
                 if self.store.count(key) >= limit]
        return max(waits, default=0)

    def failed(self, username: str, address: str) -> None:
        for key in self._keys(username, address):
            self.store.fail(key)

    def succeeded(self, username: str, address: str) -> None:
        # The address keeps its count: one good password must not reset a spray of guesses.
        self.store.clear(self._keys(username, address)[0])
