"""Which cases the province receives, month by month, with their ids and numbers.

Planning is cheap (a few random draws a case) and runs in the parent process, in time order,
so that case ids and the gapless per-county-year numbers are known before any case is
simulated: the months can then be simulated by worker processes in any order and still give
the same rows.  Each month draws from its own seed, so a month's cases do not depend on how
many months came before it (the report window stays the same at every history size).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from bench.generate.shapes import month_start, received_times, season
from casework.scheduling.deadlines import SHANGHAI


@dataclass
class MonthPlan:
    """One month's cases: ``cases`` holds (received, village, stuck, case id, number)."""

    month: tuple[int, int]
    seed: str  # the simulation's seed for this month
    cases: list[tuple[datetime, str, bool, int, str]]


def draw_month(seed: str, month: tuple[int, int], count: int, villages: list[str], now: datetime,
               stuck_share: float) -> list[tuple[datetime, str, bool]]:
    """``count`` petitions of ``month`` (received time, village, stuck), in received order."""
    rng = random.Random(f"{seed}-draw")
    times = received_times(rng, month, count, now)
    return [(received, rng.choice(villages), rng.random() < stuck_share) for received in times]


def window_count(month: tuple[int, int], month_cases: int, now: datetime,
                 last: bool) -> int:
    """About ``month_cases`` a month, by season; the month in progress only up to ``now``."""
    count = round(month_cases * season(month))
    if last:
        elapsed = (now - month_start(month)).days
        count = count * max(elapsed, 1) // 30
    return count


def history_counts(history: list[tuple[int, int]], cases: int, seed: str) -> list[int]:
    """``cases`` spread over the history months: a slowly growing caseload, by season."""
    if not history or cases <= 0:
        return [0] * len(history)
    weights = [(0.5 + 0.5 * i / max(len(history) - 1, 1)) * season(m)
               for i, m in enumerate(history)]
    scale = cases / sum(weights)
    rng = random.Random(f"{seed}-history-counts")
    return [int(weight * scale + rng.random()) for weight in weights]


class Numbering:
    """Case ids in received order and numbers gapless per county and year, as intake gives."""

    def __init__(self) -> None:
        self.case_id = 0
        self.sequences: dict[tuple[str, int], int] = {}

    def number(self, drawn: list[tuple[datetime, str, bool]]
               ) -> list[tuple[datetime, str, bool, int, str]]:
        numbered = []
        for received, village, stuck in drawn:
            self.case_id += 1
            county = village[:6]
            year = received.astimezone(SHANGHAI).year
            seq = self.sequences.get((county, year), 0) + 1
            self.sequences[(county, year)] = seq
            numbered.append((received, village, stuck, self.case_id,
                             f"{county}-{year}-{seq:06d}"))
        return numbered
