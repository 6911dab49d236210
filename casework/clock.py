"""The scheduler's clock: the wall clock, or, for tests and drills, a moved and faster one.

``CASEWORK_CLOCK=2026-10-12T20:00:00+08:00@1767225600*3600`` reads: it is 20:00 Shanghai time
when the real clock shows Unix time 1767225600, and from there time runs 3600 times faster.
``@UNIX`` defaults to the moment the process starts, ``*RATE`` to 1.  Several scheduler
processes given the same value agree on the time, which is what lets a test run two of them
across the warning and overdue moments of many cases in a few seconds.

Only what the jobs treat as "now" moves (the scan, the outbox, the digest); leases, the
scheduler's own timers and /healthz stay on the real clock, because they measure whether a
process is alive.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_RATE = 1_000_000


@dataclass(frozen=True)
class Clock:
    start: datetime | None = None  # the moved time at ``anchor``; None: the wall clock
    anchor: float = 0.0  # real Unix time
    rate: float = 1.0

    @property
    def is_real(self) -> bool:
        return self.start is None

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.rate)

    @classmethod
    def parse(cls, text: str | None) -> Clock:
        """``ISO-8601[@UNIX][*RATE]``; raises ValueError with one sentence."""
        if not text:
            return cls()
        problem = ("CASEWORK_CLOCK must be ISO-8601 with a zone, optionally @UNIX-SECONDS "
                   f"and *RATE (1 to {MAX_RATE}), e.g. 2026-10-12T20:00:00+08:00@1767225600*60")
        rest, _, rate_text = text.partition("*")
        moment, _, anchor_text = rest.partition("@")
        try:
            start = datetime.fromisoformat(moment.strip())
            anchor = float(anchor_text) if anchor_text else time.time()
            rate = float(rate_text) if rate_text else 1.0
        except ValueError:
            raise ValueError(problem) from None
        if start.tzinfo is None or not 1 <= rate <= MAX_RATE or not math.isfinite(anchor):
            raise ValueError(problem)
        return cls(start=start.astimezone(UTC), anchor=anchor, rate=rate)
