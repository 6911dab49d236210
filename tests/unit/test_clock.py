"""CASEWORK_CLOCK (the jobs' moved clock for tests and drills) and the outbox's keep days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from casework.clock import Clock
from casework.config import Settings

REAL = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)


def test_without_a_setting_the_clock_is_the_wall_clock():
    clock = Clock.parse(None)
    assert clock.is_real
    with time_machine.travel(REAL, tick=False):
        assert clock.now() == REAL


def test_a_moved_clock_starts_at_its_moment_and_runs_at_its_rate():
    clock = Clock.parse(f"2026-10-12T20:00:00+08:00@{REAL.timestamp()}*3600")
    with time_machine.travel(REAL, tick=False) as traveller:
        assert clock.now() == datetime(2026, 10, 12, 12, 0, tzinfo=UTC)
        traveller.shift(timedelta(seconds=2))
        assert clock.now() == datetime(2026, 10, 12, 14, 0, tzinfo=UTC)


def test_a_moved_clock_without_an_anchor_starts_when_it_is_read_from_the_environment():
    with time_machine.travel(REAL, tick=False) as traveller:
        clock = Settings.from_env({"CASEWORK_CLOCK": "2026-10-12T20:00:00+08:00"}).clock
        traveller.shift(timedelta(minutes=5))
        assert clock.now() == datetime(2026, 10, 12, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", ["tomorrow", "2026-10-12T20:00:00", "2026-10-12T20:00+08:00*0",
                                  "2026-10-12T20:00+08:00*fast", "2026-10-12T20:00+08:00@nan",
                                  "2026-10-12T20:00+08:00*2000000"])
def test_a_bad_clock_is_refused_with_one_sentence(text):
    with pytest.raises(ValueError, match="^CASEWORK_CLOCK must be ISO-8601 with a zone"):
        Settings.from_env({"CASEWORK_CLOCK": text})


def test_sent_notifications_are_kept_90_days_unless_told_otherwise():
    assert Settings.from_env({}).outbox_keep_days == 90
    assert Settings.from_env({"CASEWORK_OUTBOX_KEEP_DAYS": "30"}).outbox_keep_days == 30
    for bad in ("0", "-3", "ninety", "1.5"):
        with pytest.raises(ValueError, match="CASEWORK_OUTBOX_KEEP_DAYS"):
            Settings.from_env({"CASEWORK_OUTBOX_KEEP_DAYS": bad})
