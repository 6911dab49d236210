"""The driver path's one-step conversions give exactly SQLAlchemy's values, for any datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from casework.lifecycle import _driver as driver
from casework.storage.db import UTCDateTime

SQLITE = sqlite.dialect()
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=8)),
                         timezone(timedelta(hours=-5, minutes=-30))])
MOMENTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                       timezones=ZONES)


def sqlalchemy_processors(type_, dialect):
    impl = type_.dialect_impl(dialect)
    return impl.bind_processor(dialect), impl.result_processor(dialect, None)


def test_sqlite_datetimes_use_the_one_step_conversions():
    assert driver._bind_processor(UTCDateTime(), SQLITE) is driver._sqlite_text
    assert driver._result_processor(UTCDateTime(), SQLITE) is driver._sqlite_datetime


def test_postgresql_keeps_sqlalchemys_processors():
    dialect = psycopg.dialect()
    bind = driver._bind_processor(UTCDateTime(), dialect)
    assert bind not in (None, driver._sqlite_text)
    assert bind(datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=8)))) == datetime(
        2026, 3, 2, 1)


@given(MOMENTS)
def test_a_datetime_is_stored_and_read_as_sqlalchemy_does(moment):
    bind, result = sqlalchemy_processors(UTCDateTime(), SQLITE)
    assert driver._sqlite_text(moment) == bind(moment)
    assert driver._sqlite_datetime(bind(moment)) == result(bind(moment))
    assert driver._sqlite_datetime(bind(moment)).tzinfo is UTC


def test_a_naive_datetime_is_refused_as_sqlalchemy_refuses_it():
    with pytest.raises(ValueError, match="naive datetime"):
        driver._sqlite_text(datetime(2026, 3, 2, 9))


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text())))
def test_event_data_is_serialised_as_sqlalchemy_does(data):
    bind, _ = sqlalchemy_processors(JSON(), SQLITE)
    assert driver._bind_processor(JSON(), SQLITE)(data) == bind(data)
