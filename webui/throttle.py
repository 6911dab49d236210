"""Login throttling: too many failed logins per user name or per client address answer 429.

The failures live in the database (``casework.people.login_attempts``), so every gunicorn worker and
every machine behind the proxy counts the same failures.  Flask-Limiter has no SQL store, and a
per-process count would give a guesser one limit per worker.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import Engine

from casework.people.login_attempts import AttemptStore, Clock


class LoginThrottle:
    """Limits per user name and per client address, over one sliding window."""

    def __init__(self, engine: Engine, *, per_user: int, per_ip: int, window: float,
                 clock: Clock = time.time) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.store = AttemptStore(engine, window, clock)

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return "user:" + username.strip().lower(), "ip:" + address

    def blocked_for(self, username: str, address: str) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        user_key, ip_key = self._keys(username, address)
        recent = self.store.recent((user_key, ip_key))
        waits = [max(1, math.ceil(recent[key][1]))
                 for key, limit in ((user_key, self.per_user), (ip_key, self.per_ip))
                 if key in recent and recent[key][0] >= limit]
        return max(waits, default=0)

    def failed(self, username: str, address: str) -> None:
        self.store.fail(self._keys(username, address))

    def succeeded(self, username: str, address: str) -> None:
        # The address keeps its count: one good password must not reset a spray of guesses.
        self.store.clear(self._keys(username, address)[0])
