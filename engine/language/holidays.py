"""Federal legal public holidays (5 U.S.C. 6103) and the next business day, for filing deadlines.

8 CFR 208.4(a)(2)(ii) and 1208.4(a)(2)(ii) move a one-year deadline that ends on a Saturday,
Sunday or legal holiday to the next day that is none of these. Holidays falling on a Saturday are
observed on the Friday before and those on a Sunday on the Monday after (5 U.S.C. 6103(b) and the
Executive Order it cites); federal offices are closed on the observed day, so both count. One-off
closures by executive order (a day of mourning) are not listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from .values import Undefined

_MONDAY, _THURSDAY, _SATURDAY, _SUNDAY = 0, 3, 5, 6
_JUNETEENTH_FROM = 2021  # Pub. L. 117-17 (June 17 2021) added June 19 to 5 U.S.C. 6103(a)
_KING_FROM = 1986  # Pub. L. 98-144: first observed on the third Monday of January 1986


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    after = date(year + (month == 12), month % 12 + 1, 1)
    last = after - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == _SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == _SUNDAY:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=256)
def federal_holidays(year: int) -> frozenset[date]:
    """Every legal public holiday of ``year`` and the day it is observed on."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= _JUNETEENTH_FROM:
        fixed.append(date(year, 6, 19))
    moving = [
        _nth_weekday(year, 2, _MONDAY, 3),  # Washington's Birthday
        _last_weekday(year, 5, _MONDAY),  # Memorial Day
        _nth_weekday(year, 9, _MONDAY, 1),  # Labor Day
        _nth_weekday(year, 10, _MONDAY, 2),  # Columbus Day
        _nth_weekday(year, 11, _THURSDAY, 4),  # Thanksgiving Day
    ]
    if year >= _KING_FROM:
        moving.append(_nth_weekday(year, 1, _MONDAY, 3))  # Birthday of Martin Luther King, Jr.
    # New Year's Day on a Saturday is observed on Dec 31 of the year before (none after the calendar's last year).
    observed = {_observed(d) for d in fixed} | ({_observed(date(year + 1, 1, 1))} if year < date.max.year else set())
    return frozenset(d for d in set(moving) | set(fixed) | observed if d.year == year)


def is_business_day(day: date) -> bool:
    return day.weekday() < _SATURDAY and day not in federal_holidays(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself if it is a business day, else the first later day that is (none past 9999-12-31:
    ``Undefined``, so the answer has no value)."""
    while not is_business_day(day):
        if day == date.max:
            raise Undefined("no business day left in the calendar")
        day += timedelta(days=1)
    return day
