"""How a period's counts are made of its months' (casework/reporting/figures.py), and the
months and periods a report accepts (casework/reporting/months.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from casework.errors import Invalid
from casework.reporting.figures import add_up, rate
from casework.reporting.months import LONGEST_PERIOD, period_indexes

NOW = datetime(2026, 5, 3, 4, 0, tzinfo=UTC)


def test_counts_of_any_name_add_up_and_states_at_the_end_come_from_the_last_month():
    january = Counter({"received": 2, "protection.orders_granted": 1,
                       "level.village_congress.open_end": 3, "level.county_center.open_end": 2})
    february = Counter({"received": 1, "protection.orders_granted": 2,
                        "level.village_congress.open_end": 1})
    assert add_up([january, february]) == Counter({
        "received": 3, "protection.orders_granted": 3, "level.village_congress.open_end": 1})


def test_no_months_add_up_to_nothing_and_a_rate_of_nothing_is_null():
    assert add_up([]) == Counter()
    assert rate(0, 0) is None and rate(1, 4) == 0.25


def test_a_period_is_its_first_and_last_month_as_indexes():
    assert period_indexes("2025-07", "2026-05", NOW) == (2025 * 12 + 6, 2026 * 12 + 4)


def test_the_longest_period_is_ten_years():
    assert LONGEST_PERIOD == 120
    period_indexes("2016-06", "2026-05", NOW)
    with pytest.raises(Invalid) as refused:
        period_indexes("2016-05", "2026-05", NOW)
    assert set(refused.value.fields) == {"to"}
    assert "10 years" in refused.value.message


def test_a_period_backwards_names_from_in_one_sentence():
    with pytest.raises(Invalid) as refused:
        period_indexes("2026-04", "2026-01", NOW)
    assert refused.value.fields == {"from": "must not be after to"}
    assert refused.value.message == "from (2026-04) must not be after to (2026-01)"


def test_a_month_in_beijings_future_is_refused_even_where_utc_is_still_in_the_past():
    evening = datetime(2026, 5, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 June in Beijing
    assert period_indexes("2026-06", "2026-06", evening)[0] == 2026 * 12 + 5
    with pytest.raises(Invalid):
        period_indexes("2026-06", "2026-06", datetime(2026, 5, 31, 15, 59, tzinfo=UTC))
