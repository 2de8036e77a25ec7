"""Calendar arithmetic: the specialised fast-path helpers agree with the general one."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from asylum_kb.language.values import Duration, Undefined, add_years, days_in_month, shift_date, years_between
from hypothesis import given
from hypothesis import strategies as st


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-50, 50))
def test_add_years_matches_shift_date(day: date, years: int) -> None:
    assert add_years(day, years) == shift_date(day, Duration(years=years))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_years_between_is_the_largest_whole_number_of_years(start: date, end: date) -> None:
    years = years_between(start, end)
    if end >= start:
        assert shift_date(start, Duration(years=years)) <= end < shift_date(start, Duration(years=years + 1))


def _shifted_by_the_calendar(start: date, months: int, days: int) -> date:
    """The month arithmetic spelled out with the standard library's month lengths."""
    year, month0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    moved = date(year, month0 + 1, min(start.day, calendar.monthrange(year, month0 + 1)[1]))
    return date.fromordinal(moved.toordinal() + days)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-30, 30), st.integers(-30, 30),
       st.integers(-400, 400), st.sampled_from([1, -1]))
def test_shift_date_agrees_with_the_standard_calendar(day: date, years: int, months: int, days: int, sign: int) -> None:
    assert shift_date(day, Duration(years=years, months=months, days=days), sign) == _shifted_by_the_calendar(
        day, sign * (years * 12 + months), sign * days)


@pytest.mark.parametrize("day,duration,expected", [
    (date(2024, 2, 29), Duration(years=1), date(2025, 2, 28)),
    (date(2024, 2, 29), Duration(years=-4), date(2020, 2, 29)),
    (date(2024, 3, 31), Duration(months=-1), date(2024, 2, 29)),
    (date(2024, 12, 31), Duration(months=2), date(2025, 2, 28)),
    (date(2024, 1, 31), Duration(months=1, days=1), date(2024, 3, 1)),
])
def test_shift_date_clamps_to_month_end(day: date, duration: Duration, expected: date) -> None:
    assert shift_date(day, duration) == expected


@pytest.mark.parametrize("day,years", [(date(9999, 1, 1), 1), (date(1, 1, 1), -1), (date(9999, 2, 28), 5)])
def test_out_of_range_dates_have_no_value(day: date, years: int) -> None:
    with pytest.raises(Undefined):
        add_years(day, years)
    with pytest.raises(Undefined):
        shift_date(day, Duration(years=years))


@pytest.mark.parametrize("year", [1, 4, 100, 400, 1900, 1999, 2000, 2024, 2025, 2100, 9999, 10_000, 0, -4])
def test_days_in_month_agrees_with_the_calendar_module(year: int) -> None:
    assert [days_in_month(year, month) for month in range(1, 13)] == [
        calendar.monthrange(year, month)[1] for month in range(1, 13)]
