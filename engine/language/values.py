"""Run-time values of the rule language: durations, calendar arithmetic, exact numbers.

Both compiled paths (all-facts-known and three-valued) call these helpers, so one
definition of date arithmetic serves every rule. Unknown is represented by ``None``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .record import FrozenError

Number = int | Decimal


class Undefined(Exception):
    """Raised on the all-facts-known path when an operation has no defined value.

    The engine catches it and re-evaluates the case on the three-valued path, where the
    same operation yields *unknown* instead.
    """


class Duration:
    """A calendar duration: years and months are applied before days (see docs/language.md).

    Immutable and compared, hashed, shown and pickled as its three fields (as ``@dataclass(frozen=True,
    slots=True)`` did, written out: that decorator's generated methods cost start-up time).
    """

    __slots__ = ("days", "months", "years")
    years: int
    months: int
    days: int

    def __init__(self, years: int = 0, months: int = 0, days: int = 0) -> None:
        object.__setattr__(self, "years", years)
        object.__setattr__(self, "months", months)
        object.__setattr__(self, "days", days)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return (self.years, self.months, self.days) == (other.years, other.months, other.days)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.years, self.months, self.days))

    def __repr__(self) -> str:
        return f"Duration(years={self.years!r}, months={self.months!r}, days={self.days!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Duration, (self.years, self.months, self.days))

    def __add__(self, other: Duration) -> Duration:
        return Duration(self.years + other.years, self.months + other.months, self.days + other.days)

    def __sub__(self, other: Duration) -> Duration:
        return Duration(self.years - other.years, self.months - other.months, self.days - other.days)

    def __neg__(self) -> Duration:
        return Duration(-self.years, -self.months, -self.days)

    def __str__(self) -> str:
        parts = []
        for amount, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day")):
            if amount:
                parts.append(f"{amount} {unit}{'' if abs(amount) == 1 else 's'}")
        return " + ".join(parts) if parts else "0 days"


# The calendar holds years 1 to 9999, so no literal duration needs to be longer; a longer one
# would only overflow Python's date arithmetic.
_LONGEST = {"year": 10_000, "month": 120_000, "week": 522_000, "day": 3_653_000}


def duration(amount: int, unit: str) -> Duration:
    """``amount`` years, months, weeks or days; ``ValueError`` past the calendar's 10,000 years."""
    if amount > _LONGEST[unit]:
        raise ValueError(f"{amount:,} {unit}s is longer than the calendar (at most {_LONGEST[unit]:,} {unit}s)")
    return {"year": Duration(years=amount), "month": Duration(months=amount),
            "week": Duration(days=7 * amount), "day": Duration(days=amount)}[unit]


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """The days in a month of the Gregorian calendar (the ``calendar`` module imports ``locale``, which a
    start from the compiled-rules cache otherwise never needs)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _MONTH_DAYS[month - 1]


def shift_date(start: date, duration: Duration, sign: int = 1) -> date:
    """``start ± duration``: months first, the day clamped to the month's end, then days.

    2024-02-29 + 1 year is 2025-02-28; 2024-01-31 + 1 month is 2024-02-29.
    Raises ``Undefined`` outside the calendar's range.
    """
    try:
        months = duration.years * 12 + duration.months
        if months:
            year, month0 = divmod(start.year * 12 + (start.month - 1) + sign * months, 12)
            day = start.day
            if day > 28:  # only the last days of a month can be past the end of another
                day = min(day, days_in_month(year, month0 + 1))
            start = date(year, month0 + 1, day)
        if duration.days:
            start = date.fromordinal(start.toordinal() + sign * duration.days)
        return start
    except (ValueError, OverflowError) as exc:
        raise Undefined(f"date out of range: {start} {'+' if sign > 0 else '-'} {duration}") from exc


def add_years(start: date, years: int) -> date:
    """``start + years``, as ``shift_date`` computes it (Feb 29 becomes Feb 28), faster: the values path's
    shift by a literal number of years."""
    try:
        return start.replace(year=start.year + years)
    except (ValueError, OverflowError):
        if start.month == 2 and start.day == 29 and 1 <= start.year + years <= 9999:
            return start.replace(year=start.year + years, day=28)
        raise Undefined(f"date out of range: {start} + {years} years") from None


def iso_date(text: str) -> date:
    """Parse ``YYYY-MM-DD`` only (``date.fromisoformat`` alone would also take ``20250101``)."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"not an ISO date: {text!r}")
    return date.fromisoformat(text)


def days_between(start: date, end: date) -> int:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (end - start).days


def years_between(start: date, end: date) -> int:
    """Whole years completed from ``start`` to ``end``: the age rule (a birthday on Feb 29 counts on Feb 28)."""
    years = end.year - start.year
    if years > 0 and add_years(start, years) > end:
        years -= 1
    elif years < 0 and add_years(start, years) < end:
        years += 1
    return years


def divide(numerator: Number, denominator: Number) -> Decimal:
    """Decimal division; a whole-number quotient of whole numbers is exact however long they are (the longest
    number literals have 30 digits, more than the default context's 28), anything else is rounded to 28 significant
    digits; division by zero has no value."""
    try:
        if isinstance(numerator, int) and isinstance(denominator, int) and denominator and not numerator % denominator:
            return Decimal(numerator // denominator)
        return Decimal(numerator) / Decimal(denominator)
    except (ZeroDivisionError, InvalidOperation) as exc:
        raise Undefined("division by zero") from exc


def floor_number(value: Number) -> int:
    """Round towards negative infinity to an integer."""
    return int(value) if isinstance(value, int) else int(value.to_integral_value(rounding="ROUND_FLOOR"))


def round_down(value: Number, multiple: Number) -> Number:
    """Round down to a multiple (the fee statutes round CPI adjustments down to $10)."""
    if multiple <= 0:
        raise Undefined("round_down needs a positive multiple")
    return floor_number(divide(value, multiple)) * multiple


def duration_of(unit: str, amount: Number) -> Duration:
    """A duration of a whole number of years, months or days."""
    if amount != int(amount):
        raise Undefined(f"{unit} needs a whole number, not {amount}")
    count = int(amount)
    if unit == "years":
        return Duration(years=count)
    if unit == "months":
        return Duration(months=count)
    return Duration(days=count)


def iso(value: object) -> object:
    """A value as plain JSON data: dates as ISO text, exact numbers as int or decimal text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [iso(item) for item in value]
    if isinstance(value, dict):
        return {key: iso(item) for key, item in value.items()}
    return value
