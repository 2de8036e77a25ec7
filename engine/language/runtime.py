"""Helpers the generated code calls: Kleene logic, dated look-ups, aggregates.

Unknown and "no value" are both ``None``: the ``*3`` helpers return it instead of raising.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from .values import Undefined


class DatedValues:
    """A parameter's history: the value in force on a date is the last one that took effect by then."""

    __slots__ = ("starts", "values")

    def __init__(self, history: Sequence[tuple[date, Any]]):
        ordered = sorted(history, key=lambda pair: pair[0])
        self.starts = [start for start, _ in ordered]
        self.values = [value for _, value in ordered]

    def at3(self, when: date | None) -> Any:
        if when is None:
            return None
        index = bisect_right(self.starts, when)
        return self.values[index - 1] if index else None


class ParametersAt:
    """The values of several parameters on a date (``None`` where none is in force), cached per date:
    one case after another shares its as-of date."""

    __slots__ = ("cache", "tables")

    def __init__(self, tables: Sequence[DatedValues]):
        self.tables = tables
        self.cache: dict[date, tuple[Any, ...]] = {}

    def __call__(self, when: date) -> tuple[Any, ...]:
        found = self.cache.get(when)
        if found is None:
            found = tuple(table.at3(when) for table in self.tables)
            if len(self.cache) >= 4096:
                self.cache.clear()
            self.cache[when] = found
        return found


def safe3(function: Callable[..., Any], *args: Any) -> Any:
    """Apply a strict function on the three-valued path: unknown in, or no value, gives unknown."""
    if None in args:  # == on our values (dates, numbers, text, durations, lists) is never true for None
        return None
    try:
        return function(*args)
    except Undefined:
        return None


def in3(needle: Any, haystack: list[Any] | None) -> bool | None:
    if needle is None or haystack is None:
        return None
    if needle in haystack:
        return True
    return None if any(item is None for item in haystack) else False


def any3(results: list[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def all3(results: list[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def count3(results: list[bool | None]) -> int | None:
    return None if None in results else results.count(True)


def sum3(results: list[Any]) -> Any:
    return None if any(r is None for r in results) else sum(results)


def extreme3(kind: str, results: list[Any]) -> Any:
    if not results or any(r is None for r in results):
        return None
    return min(results) if kind == "min" else max(results)


def choose3(condition: bool | None, then: Any, otherwise: Any) -> Any:
    """``if`` with an unknown condition is known only when both branches agree."""
    if condition is True:
        return then
    if condition is False:
        return otherwise
    return agree(then, otherwise)


def agree(then: Any, otherwise: Any) -> Any:
    """The value of ``if`` with an unknown condition: both branches' value when they agree, else unknown."""
    return then if then is not None and then == otherwise else None
