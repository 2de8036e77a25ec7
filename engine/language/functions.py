"""The built-in function library: one entry per function, with its signature and implementation.

Adding a function is one implementation and one ``Function`` entry. Strict functions have an
unknown result when any argument is unknown; ``is_known`` and ``coalesce`` look at unknowns
themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import holidays
from . import types as t
from . import values as v
from .record import FrozenRecord


class Function(FrozenRecord):
    """A built-in function: its parameter kinds, result type, implementation, and the summary and example the docs show."""

    _fields = ("name", "params", "result", "implementation", "summary", "example", "strict")
    name: str
    params: tuple[str, ...]  # parameter kinds; "any" matches every type, "*" repeats the last one
    result: Callable[[list[t.Type]], t.Type]
    implementation: Callable[..., Any]
    summary: str
    example: str
    strict: bool

    def __init__(self, name: str, params: tuple[str, ...], result: Callable[[list[t.Type]], t.Type],
                 implementation: Callable[..., Any], summary: str, example: str,
                 strict: bool = True) -> None:
        self.__dict__.update(name=name, params=params, result=result, implementation=implementation,
                             summary=summary, example=example, strict=strict)

    def arity_ok(self, count: int) -> bool:
        if self.params and self.params[-1] == "*":
            return count >= len(self.params) - 1
        return count == len(self.params)


def _fixed(result: t.Type) -> Callable[[list[t.Type]], t.Type]:
    return lambda _args: result


def _joined(args: list[t.Type]) -> t.Type:
    out = t.ANY
    for arg in args:
        out = t.join(out, arg)
    return out


def _is_known(value: object) -> bool:
    return value is not None


def _coalesce(*args: object) -> object:
    return next((a for a in args if a is not None), None)


def _length(items: list[object]) -> int:
    return len(items)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function(
            "days_between", ("date", "date"), _fixed(t.NUMBER), v.days_between,
            "Whole days from the first date to the second (negative if the second is earlier).",
            "days_between(@2025-01-01, @2025-03-01) == 59",
        ),
        Function(
            "years_between", ("date", "date"), _fixed(t.NUMBER), v.years_between,
            "Whole years completed from the first date to the second.",
            "years_between(@2020-06-15, @2025-06-14) == 4",
        ),
        Function(
            "age_on", ("date", "date"), _fixed(t.NUMBER), v.years_between,
            "Age in whole years on a date, given the date of birth.",
            "age_on(@2004-02-29, @2025-02-28) == 21",
        ),
        Function(
            "is_known", ("any",), _fixed(t.BOOLEAN), _is_known,
            "True when the value is known, false when it is unknown; never unknown itself.",
            "is_known(unknown) == false",
            strict=False,
        ),
        Function(
            "coalesce", ("any", "*"), _joined, _coalesce,
            "The first argument that is known; unknown if none is.",
            "coalesce(unknown, 0) == 0",
            strict=False,
        ),
        Function(
            "length", ("list",), _fixed(t.NUMBER), _length,
            "The number of items in a list.",
            'length(["race", "religion"]) == 2',
        ),
        Function(
            "years", ("number",), _fixed(t.DURATION), lambda n: v.duration_of("years", n),
            "A duration of a computed whole number of years.",
            "@2024-02-29 + years(1) == @2025-02-28",
        ),
        Function(
            "months", ("number",), _fixed(t.DURATION), lambda n: v.duration_of("months", n),
            "A duration of a computed whole number of months.",
            "@2024-01-31 + months(1) == @2024-02-29",
        ),
        Function(
            "days", ("number",), _fixed(t.DURATION), lambda n: v.duration_of("days", n),
            "A duration of a computed whole number of days.",
            "@2025-01-01 + days(150) == @2025-05-31",
        ),
        Function(
            "floor", ("number",), _fixed(t.NUMBER), v.floor_number,
            "The largest whole number not above the value.",
            "floor(2.7) == 2",
        ),
        Function(
            "next_business_day", ("date",), _fixed(t.DATE), holidays.next_business_day,
            "The date itself if it is a business day, else the next day that is not a Saturday, Sunday or "
            "federal legal holiday (5 U.S.C. 6103, with observed days).",
            "next_business_day(@2025-07-04) == @2025-07-07",
        ),
        Function(
            "is_business_day", ("date",), _fixed(t.BOOLEAN), holidays.is_business_day,
            "Whether the date is neither a Saturday, a Sunday nor a federal legal holiday (5 U.S.C. 6103).",
            "is_business_day(@2025-12-25) == false",
        ),
        Function(
            "round_down", ("number", "number"), _fixed(t.NUMBER), v.round_down,
            "Round down to a multiple (fee statutes round inflation adjustments down to $10).",
            "round_down(107, 10) == 100",
        ),
    ]
}


def lookup(name: str) -> Function | None:
    return FUNCTIONS.get(name)


def accepts(kind: str, actual: t.Type) -> bool:
    """Whether an argument of type ``actual`` fits a parameter of kind ``kind``."""
    return kind == "any" or actual.kind == "any" or actual.kind == kind
