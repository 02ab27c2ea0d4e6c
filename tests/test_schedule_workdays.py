"""Working days: China's holidays and make-up days, Excel WORKDAY rules, the 2027 fallback."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.errors import UsageError
from sheetcrm.schedule.workdays import CalendarDays, WorkCalendar

CN = WorkCalendar("CN")


def test_national_day_and_make_up_saturday_2026() -> None:
    assert not CN.is_workday(dt.date(2026, 10, 1))  # 国庆节
    assert CN.is_workday(dt.date(2026, 10, 10))  # a Saturday worked in exchange (调休)
    assert not CN.is_workday(dt.date(2026, 11, 22))  # an ordinary Sunday
    assert CN.is_workday(dt.date(2026, 11, 23))


def test_excel_workday_rules() -> None:
    sep30 = dt.date(2026, 9, 30)
    assert CN.add_workdays(sep30, 1) == dt.date(2026, 10, 8)  # skips the holiday week 10-1…7
    assert CN.add_workdays(dt.date(2026, 10, 8), -1) == sep30
    assert CN.add_workdays(dt.date(2026, 10, 8), 2) == dt.date(2026, 10, 10)  # make-up Saturday
    assert CN.add_workdays(dt.date(2026, 10, 3), 0) == dt.date(2026, 10, 3)  # like WORKDAY(x, 0)
    assert CN.next_workday(dt.date(2026, 10, 3)) == dt.date(2026, 10, 8)
    assert CN.next_workday(sep30) == sep30


def test_a_year_of_2026_has_248_working_days() -> None:
    assert CN.count_between(dt.date(2026, 1, 1), dt.date(2027, 1, 1)) == 248


def test_extra_days_off_and_on_override_the_official_calendar() -> None:
    days = CalendarDays(
        extra_off=frozenset({dt.date(2026, 11, 23)}), extra_work=frozenset({dt.date(2026, 11, 22)})
    )
    cal = WorkCalendar("CN", days)
    assert not cal.is_workday(dt.date(2026, 11, 23))
    assert cal.is_workday(dt.date(2026, 11, 22))


def test_years_beyond_the_official_data_fall_back_with_a_warning() -> None:
    cal = WorkCalendar("CN")
    assert not cal.is_workday(dt.date(2027, 2, 8))  # Spring Festival, estimated
    assert cal.warnings_for(dt.date(2027, 1, 1), dt.date(2027, 3, 1))
    assert "2027" in str(cal.warnings_for(dt.date(2027, 1, 1), dt.date(2027, 3, 1))[0])
    assert cal.warnings_for(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []


def test_other_countries_use_their_own_holidays() -> None:
    us = WorkCalendar("us")
    assert not us.is_workday(dt.date(2026, 7, 3))  # Independence Day observed
    assert us.add_workdays(dt.date(2026, 7, 2), 1) == dt.date(2026, 7, 6)


def test_unknown_country_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="XX"):
        WorkCalendar("XX")


days = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(days, st.integers(-300, 300))
def test_add_workdays_lands_on_a_working_day_and_counts_them(day: dt.date, n: int) -> None:
    result = CN.add_workdays(day, n)
    if n == 0:
        assert result == day
        return
    assert CN.is_workday(result)
    low, high = (day + dt.timedelta(days=1), result + dt.timedelta(days=1))
    if n < 0:
        low, high = result, day
    assert CN.count_between(low, high) == abs(n)


@settings(max_examples=50, deadline=None)
@given(st.lists(days, min_size=1, max_size=30), st.integers(-40, 40))
def test_vectorised_matches_one_at_a_time(dates: list[dt.date], n: int) -> None:
    ordinals = np.array([d.toordinal() for d in dates])
    together = CN.add_workdays_array(ordinals, n)
    assert [dt.date.fromordinal(int(o)) for o in together] == [CN.add_workdays(d, n) for d in dates]
    flags = CN.workday_array(ordinals)
    assert list(flags) == [CN.is_workday(d) for d in dates]
