"""Report months and periods: ``YYYY-MM`` checked and turned into times (Asia/Shanghai).

A report month is a Beijing month (DESIGN.md, "Reports"); a period is a run of whole months,
from its first to its last, both included ("Reports over a period").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from casework.errors import Invalid
from casework.scheduling.deadlines import SHANGHAI

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
YEARS = range(2000, 2101)
# A period longer than this is no summary anyone writes, and would read a decade of figures.
LONGEST_PERIOD = 120  # months
TOO_LONG = "the period must not be longer than 10 years"


@dataclass(frozen=True)
class Window:
    label: str  # YYYY-MM
    start: datetime
    cut: datetime  # the month's end, or now for the month in progress


def month_index(month: object, now: datetime, field: str = "month") -> int:
    """``YYYY-MM`` as a count of months (year * 12 + month - 1), checked; an error names
    ``field``."""
    match = MONTH.fullmatch(month) if isinstance(month, str) else None
    if not match or int(match[1]) not in YEARS or not 1 <= int(match[2]) <= 12:
        raise Invalid({field: "must be a month as YYYY-MM, from 2000-01 to 2100-12"})
    index = int(match[1]) * 12 + int(match[2]) - 1
    if index > current_index(now):
        raise Invalid({field: "must not be after the current month"})
    return index


def period_indexes(start: object, end: object, now: datetime) -> tuple[int, int]:
    """The first and last month of the period ``start``..``end`` (fields ``from`` and ``to``)."""
    first = month_index(start, now, "from")
    last = month_index(end, now, "to")
    if first > last:
        raise Invalid({"from": "must not be after to"},
                      f"from ({month_label(first)}) must not be after to ({month_label(last)})")
    if last - first + 1 > LONGEST_PERIOD:
        raise Invalid({"to": TOO_LONG},
                      f"the period {month_label(first)} to {month_label(last)} is longer "
                      f"than {LONGEST_PERIOD // 12} years")
    return first, last


def current_index(now: datetime) -> int:
    local = now.astimezone(SHANGHAI)
    return local.year * 12 + local.month - 1


def month_label(index: int) -> str:
    year, month = divmod(index, 12)
    return f"{year:04d}-{month + 1:02d}"


def index_of(label: str) -> int:
    return int(label[:4]) * 12 + int(label[5:7]) - 1


def month_window(index: int, now: datetime) -> Window:
    """The month in Asia/Shanghai, cut at ``now`` while it is in progress."""
    (year, month), (next_year, next_month) = divmod(index, 12), divmod(index + 1, 12)
    start = datetime(year, month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime(next_year, next_month + 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    # The cut is exclusive; for the month in progress everything up to and including ``now``
    # counts, and a microsecond is the resolution of the stored times.
    cut = min(end, now + timedelta(microseconds=1))
    return Window(month_label(index), start, cut)
