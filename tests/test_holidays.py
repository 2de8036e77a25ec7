"""Federal legal holidays (5 U.S.C. 6103) and the next business day, checked on years whose calendars are published."""

from __future__ import annotations

from datetime import date

from asylum_kb.language.holidays import federal_holidays, is_business_day, next_business_day


def test_2025_has_the_eleven_holidays_of_the_opm_calendar() -> None:
    assert sorted(federal_holidays(2025)) == [
        date(2025, 1, 1), date(2025, 1, 20), date(2025, 2, 17), date(2025, 5, 26), date(2025, 6, 19),
        date(2025, 7, 4), date(2025, 9, 1), date(2025, 10, 13), date(2025, 11, 11), date(2025, 11, 27),
        date(2025, 12, 25)]


def test_holidays_on_weekends_add_the_friday_or_monday_they_are_observed_on() -> None:
    days = federal_holidays(2021)
    # Juneteenth (a Saturday in its first year) on Friday June 18, July 4 (Sunday) on Monday July 5,
    # Christmas (Saturday) on Friday Dec 24, and New Year's Day 2022 (Saturday) on Friday Dec 31 2021.
    assert {date(2021, 6, 18), date(2021, 7, 5), date(2021, 12, 24), date(2021, 12, 31)} <= days
    assert date(2021, 12, 31) not in federal_holidays(2022)


def test_juneteenth_is_a_holiday_only_from_2021() -> None:
    assert date(2020, 6, 19) not in federal_holidays(2020)
    assert date(2022, 6, 20) in federal_holidays(2022)  # June 19 2022 was a Sunday


def test_next_business_day_skips_weekends_and_holidays() -> None:
    assert next_business_day(date(2025, 10, 1)) == date(2025, 10, 1)
    assert next_business_day(date(2025, 11, 1)) == date(2025, 11, 3)  # Saturday → Monday
    assert next_business_day(date(2025, 7, 4)) == date(2025, 7, 7)  # Friday holiday → Monday
    assert next_business_day(date(2022, 12, 25)) == date(2022, 12, 27)  # Sunday, then the observed Monday
    assert next_business_day(date(2026, 1, 17)) == date(2026, 1, 20)  # Saturday, Sunday, then MLK Day
    assert not is_business_day(date(2025, 11, 27)) and is_business_day(date(2025, 11, 28))
