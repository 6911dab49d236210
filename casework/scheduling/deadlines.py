"""Deadlines in Chinese working days (Asia/Shanghai), or in calendar hours for emergencies."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
URGENCIES = ("normal", "urgent", "emergency")
log = logging.getLogger("casework.scheduling.deadlines")


class WorkingCalendar:
    """Official working days, with the county's own extra holidays and make-up working days."""

    def __init__(
        self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        if both := self.extra_holidays & self.extra_workdays:
            raise ValueError(f"dates both holiday and working day: {sorted(both)}")
        # Deadline scans ask about the same few hundred days over and over: remember answers.
        self._workdays: dict[date, bool] = {}
        self._rules: dict[int, str] = {}

    def rule_for_year(self, year: int) -> str:
        if year not in self._rules:
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
                self._rules[year] = "chinese_calendar"
            except NotImplementedError:
                # The State Council publishes each year's holidays only in the autumn before;
                # a deadline must never fail for that, so guess Mon-Fri and say so, once.
                self._rules[year] = "monday_to_friday"
                log.warning(
                    "no official holiday data for %d: using rule monday_to_friday "
                    "corrected by %d extra holidays and %d extra working days",
                    year, len(self.extra_holidays), len(self.extra_workdays),
                )
        return self._rules[year]

    def is_workday(self, day: date) -> bool:
        known = self._workdays.get(day)
        if known is None:
            if day in self.extra_holidays or day in self.extra_workdays:
                known = day in self.extra_workdays  # local decisions override the official list
            elif self.rule_for_year(day.year) == "chinese_calendar":
                known = chinese_calendar.is_workday(day)
            else:
                known = day.weekday() < 5
            self._workdays[day] = known
        return known

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``th working day strictly after ``day``."""
        if n < 1:
            raise ValueError(f"need at least one working day, got {n}")
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # aware, UTC
    warn_at: datetime  # aware, UTC


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment


def _by_working_day(last_day: date) -> Deadline:
    # Civil Code art. 203: a period ends at 24:00 of its last day. Warn as that day begins.
    start = datetime.combine(last_day, time(), SHANGHAI)
    return Deadline(
        due_at=(start + timedelta(days=1)).astimezone(UTC),
        warn_at=start.astimezone(UTC),
    )


def deadline_for(
    calendar: WorkingCalendar, entered_at: datetime, *, working_days: int,
    urgency: str = "normal", emergency_hours: int = 24, warn_fraction: float = 0.8,
) -> Deadline:
    """The deadline of a case that entered a level at ``entered_at``."""
    _aware(entered_at, "entered_at")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}, got {urgency!r}")
    if working_days < 1:
        raise ValueError(f"working_days must be at least 1, got {working_days}")
    if urgency == "emergency":
        if emergency_hours <= 0 or not 0 < warn_fraction <= 1:
            raise ValueError("emergency_hours must be > 0 and warn_fraction in (0, 1]")
        span = timedelta(hours=emergency_hours)
        start = entered_at.astimezone(UTC)
        return Deadline(due_at=start + span, warn_at=start + span * warn_fraction)
    if urgency == "urgent":
        working_days = math.ceil(working_days / 2)
    # Civil Code art. 201: a period counted in days starts on the next day, so the entry
    # day is never counted, whatever the hour the case arrived.
    entry_day = entered_at.astimezone(SHANGHAI).date()
    return _by_working_day(calendar.add_working_days(entry_day, working_days))


def extend_deadline(
    calendar: WorkingCalendar, deadline: Deadline, *, working_days: int
) -> Deadline:
    """``deadline`` moved by ``working_days`` more working days past its last day."""
    due = _aware(deadline.due_at, "due_at").astimezone(SHANGHAI)
    # A working-day deadline at local 24:00 belongs to the day before; an hours deadline
    # (e.g. 14:00) to its own day.
    last_day = due.date() - timedelta(days=1) if due.time() == time() else due.date()
    return _by_working_day(calendar.add_working_days(last_day, working_days))


def shift_deadline(deadline: Deadline, by: timedelta) -> Deadline:
    """``deadline`` postponed by ``by``, the time the case waited on the petitioner."""
    return Deadline(
        due_at=_aware(deadline.due_at, "due_at").astimezone(UTC) + by,
        warn_at=_aware(deadline.warn_at, "warn_at").astimezone(UTC) + by,
    )
