"""Deadlines in Chinese working days: the public contract of casework.scheduling.deadlines."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.scheduling.deadlines import (
    SHANGHAI,
    Deadline,
    WorkingCalendar,
    deadline_for,
    extend_deadline,
    shift_deadline,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def fallback_warnings(caplog: pytest.LogCaptureFixture, year: int) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records
        if r.name == "casework.scheduling.deadlines" and r.levelno == logging.WARNING
        and str(year) in r.getMessage()
    ]


def test_five_working_days_over_national_day_end_at_midnight_after_the_fifth():
    # 30 Sep, 8, 9, 10 (make-up Saturday) and 12 Oct 2026.
    deadline = deadline_for(WorkingCalendar(), local(2026, 9, 29, 10), working_days=5)
    assert deadline.due_at == local(2026, 10, 13)
    assert deadline.warn_at == local(2026, 10, 12)
    assert deadline.due_at.tzinfo is UTC and deadline.warn_at.tzinfo is UTC


def test_make_up_saturday_is_a_working_day_but_holidays_and_saturdays_are_not():
    calendar = WorkingCalendar()
    assert calendar.is_workday(date(2026, 10, 10))
    assert not calendar.is_workday(date(2026, 10, 3))
    assert not calendar.is_workday(date(2026, 3, 7))
    assert calendar.rule_for_year(2026) == "chinese_calendar"


def test_add_working_days_skips_the_holiday_and_counts_the_make_up_day():
    calendar = WorkingCalendar()
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 10, 9), 0)


def test_urgent_halves_the_working_days_rounded_up():
    calendar = WorkingCalendar()
    # Congress, 5 working days -> 3: 30 Sep, 8 and 9 Oct.
    congress = deadline_for(calendar, local(2026, 9, 29, 10), working_days=5, urgency="urgent")
    assert congress.due_at == local(2026, 10, 10)
    assert congress.warn_at == local(2026, 10, 9)
    # Mailbox, 1 working day, stays 1.
    mailbox = deadline_for(calendar, local(2026, 9, 30, 10), working_days=1, urgency="urgent")
    assert mailbox.due_at == local(2026, 10, 9)
    # 15 -> 8: 30 Sep, 8, 9, 10, 12, 13, 14, 15 Oct.
    long = deadline_for(calendar, local(2026, 9, 29, 10), working_days=15, urgency="urgent")
    assert long.due_at == local(2026, 10, 16)


def test_emergency_is_calendar_hours_even_on_holidays_and_warns_at_eighty_percent():
    entered = local(2026, 10, 1, 9)
    deadline = deadline_for(WorkingCalendar(), entered, working_days=15, urgency="emergency")
    assert deadline.due_at == entered + timedelta(hours=24)
    assert deadline.warn_at == entered + timedelta(hours=19, minutes=12)
    assert deadline.due_at.tzinfo is UTC


def test_emergency_hours_and_warn_fraction_are_configurable():
    entered = local(2026, 10, 1, 9)
    deadline = deadline_for(
        WorkingCalendar(), entered, working_days=1, urgency="emergency",
        emergency_hours=48, warn_fraction=0.5,
    )
    assert deadline.due_at == entered + timedelta(hours=48)
    assert deadline.warn_at == entered + timedelta(hours=24)


def test_the_entry_day_is_not_counted_however_late_or_early_the_case_arrives():
    calendar = WorkingCalendar()
    friday_evening = deadline_for(calendar, local(2026, 3, 6, 23, 30), working_days=1)
    monday_morning = deadline_for(calendar, local(2026, 3, 9, 0, 5), working_days=1)
    assert friday_evening.due_at == local(2026, 3, 10)  # Monday is the one working day
    assert monday_morning.due_at == local(2026, 3, 11)  # Tuesday is


def test_the_entry_day_is_taken_in_shanghai_time_not_in_the_callers_zone():
    # 2026-03-06 17:00 UTC is already Saturday 01:00 in Shanghai.
    deadline = deadline_for(
        WorkingCalendar(), datetime(2026, 3, 6, 17, tzinfo=UTC), working_days=1
    )
    assert deadline.due_at == local(2026, 3, 10)


def test_a_deadline_in_an_uncovered_year_falls_back_to_monday_to_friday_and_warns_once(caplog):
    calendar = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="casework.scheduling.deadlines"):
        # 31 Dec (official), then Fri 1, Mon 4, Tue 5, Wed 6 Jan 2027.
        deadline = deadline_for(calendar, local(2026, 12, 30, 10), working_days=5)
        for day in range(200):
            deadline_for(calendar, local(2026, 12, 30, 10) + timedelta(days=day), working_days=5)
    assert deadline.due_at == local(2027, 1, 7)
    assert calendar.rule_for_year(2027) == "monday_to_friday"
    warnings = fallback_warnings(caplog, 2027)
    assert len(warnings) == 1
    assert "monday_to_friday" in warnings[0].getMessage()


def test_each_calendar_object_warns_about_an_uncovered_year_on_its_own(caplog):
    with caplog.at_level(logging.WARNING, logger="casework.scheduling.deadlines"):
        for _ in range(2):
            WorkingCalendar().is_workday(date(2027, 3, 1))
    assert len(fallback_warnings(caplog, 2027)) == 2


def test_extra_holidays_and_make_up_days_are_honoured_in_an_uncovered_year():
    calendar = WorkingCalendar(extra_holidays=[date(2027, 1, 1)])
    assert not calendar.is_workday(date(2027, 1, 1))
    # 31 Dec, then Mon 4 to Thu 7 Jan.
    deadline = deadline_for(calendar, local(2026, 12, 30, 10), working_days=5)
    assert deadline.due_at == local(2027, 1, 8)

    calendar = WorkingCalendar([date(2027, 1, 1)], extra_workdays=[date(2027, 1, 2)])
    assert calendar.is_workday(date(2027, 1, 2))
    # 31 Dec, Sat 2 (make-up), Mon 4, Tue 5, Wed 6 Jan.
    deadline = deadline_for(calendar, local(2026, 12, 30, 10), working_days=5)
    assert deadline.due_at == local(2027, 1, 7)


def test_an_extra_holiday_overrides_the_official_calendar_of_a_covered_year():
    calendar = WorkingCalendar(extra_holidays=[date(2026, 3, 9)])
    assert not calendar.is_workday(date(2026, 3, 9))
    deadline = deadline_for(calendar, local(2026, 3, 6, 23, 30), working_days=1)
    assert deadline.due_at == local(2026, 3, 11)
    assert WorkingCalendar(extra_workdays=[date(2026, 10, 3)]).is_workday(date(2026, 10, 3))


def test_a_date_cannot_be_both_an_extra_holiday_and_an_extra_working_day():
    with pytest.raises(ValueError):
        WorkingCalendar([date(2027, 1, 1)], [date(2027, 1, 1)])


def test_extend_deadline_adds_working_days_after_the_last_day():
    calendar = WorkingCalendar()
    deadline = deadline_for(calendar, local(2026, 9, 29, 10), working_days=5)
    # Last day 12 Oct; three more: 13, 14, 15 Oct.
    extended = extend_deadline(calendar, deadline, working_days=3)
    assert extended.due_at == local(2026, 10, 16)
    assert extended.warn_at == local(2026, 10, 15)
    assert extended.due_at.tzinfo is UTC


def test_extend_an_hours_deadline_counts_from_its_own_day():
    calendar = WorkingCalendar()
    emergency = deadline_for(
        calendar, local(2026, 9, 29, 14), working_days=1, urgency="emergency"
    )  # due 30 Sep 14:00
    extended = extend_deadline(calendar, emergency, working_days=1)
    assert extended.due_at == local(2026, 10, 9)
    assert extended.warn_at == local(2026, 10, 8)


def test_shift_deadline_moves_both_times_by_the_time_waited():
    deadline = deadline_for(WorkingCalendar(), local(2026, 9, 29, 10), working_days=5)
    shifted = shift_deadline(deadline, timedelta(days=2, hours=3))
    assert shifted == Deadline(
        due_at=local(2026, 10, 15, 3), warn_at=local(2026, 10, 14, 3)
    )
    assert shifted.due_at.tzinfo is UTC


def test_a_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for(WorkingCalendar(), datetime(2026, 9, 29, 10), working_days=5)
    naive = Deadline(due_at=datetime(2026, 10, 13), warn_at=datetime(2026, 10, 12))
    with pytest.raises(ValueError):
        extend_deadline(WorkingCalendar(), naive, working_days=1)
    with pytest.raises(ValueError):
        shift_deadline(naive, timedelta(hours=1))


def test_an_unknown_urgency_or_no_working_days_is_refused():
    with pytest.raises(ValueError, match="urgency"):
        deadline_for(WorkingCalendar(), local(2026, 9, 29), working_days=5, urgency="asap")
    with pytest.raises(ValueError):
        deadline_for(WorkingCalendar(), local(2026, 9, 29), working_days=0)


def reference_is_workday(day: date) -> bool:
    """An independent oracle: the official calendar, else Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


CALENDAR = WorkingCalendar()  # shared on purpose: exercises the cache across examples


@given(
    entered_at=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31, 23, 59),
        timezones=st.sampled_from([SHANGHAI, UTC, ZoneInfo("America/New_York")]),
    ),
    n=st.integers(min_value=1, max_value=20),
)
def test_any_deadline_is_the_midnight_after_the_nth_working_day(entered_at, n):
    due = deadline_for(CALENDAR, entered_at, working_days=n).due_at
    due_local = due.astimezone(SHANGHAI)
    assert due_local.time() == time()
    assert due > entered_at
    last_day = due_local.date() - timedelta(days=1)
    assert reference_is_workday(last_day)
    entry_day = entered_at.astimezone(SHANGHAI).date()
    between = (entry_day + timedelta(days=i) for i in range(1, (last_day - entry_day).days + 1))
    assert sum(map(reference_is_workday, between)) == n
