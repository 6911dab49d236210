"""Login throttling: too many failed logins answer 429.

Three counts, in the database (``casework.people.login_attempts``) so that every gunicorn worker
and every machine behind the proxy shares them (Flask-Limiter has no SQL store, and a
per-process count would give a guesser one limit per worker):

- per client address, for every attempt: a spray of guesses from one place;
- per user name, for clients without her device cookie (webui/devices.py): a stranger's
  guesses lock out strangers only;
- per device cookie, for a browser that holds one: the same limit, on that browser alone.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import Engine

from casework.people.login_attempts import AttemptStore, Clock


class LoginThrottle:
    """Limits per client address and per user name (or per device), over one sliding window."""

    def __init__(self, engine: Engine, *, per_user: int, per_ip: int, window: float,
                 clock: Clock = time.time) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.store = AttemptStore(engine, window, clock)

    @staticmethod
    def _keys(username: str, address: str, device: str | None) -> tuple[str, str]:
        """(the account's key, the address's key); the account's is the device's when the
        browser holds a device cookie for this user."""
        account = "device:" + device if device else "user:" + username.strip().lower()
        return account, "ip:" + address

    def blocked_for(self, username: str, address: str, device: str | None = None) -> int:
        """0 when a login may be tried, else the seconds to wait."""
        account_key, ip_key = self._keys(username, address, device)
        recent = self.store.recent((account_key, ip_key))
        waits = [max(1, math.ceil(recent[key][1]))
                 for key, limit in ((account_key, self.per_user), (ip_key, self.per_ip))
                 if key in recent and recent[key][0] >= limit]
        return max(waits, default=0)

    def failed(self, username: str, address: str, device: str | None = None) -> bool:
        """Count one failure; True when it is the one that locks the account's clients out
        (once per lockout, for the account log)."""
        keys = self._keys(username, address, device)
        self.store.fail(keys)
        count = self.store.recent(keys[:1]).get(keys[0], (0, 0))[0]
        return count == self.per_user

    def succeeded(self, username: str, address: str, device: str | None = None) -> None:
        # The address keeps its count: one good password must not reset a spray of guesses.
        self.store.clear(self._keys(username, address, device)[0])
