"""Evaluation semantics, table-driven: each case runs on both compiled paths, which must agree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from asylum_kb.language.values import Duration
from conftest import evaluate

T, F, U = True, False, None
TRUTH = [(T, T), (T, F), (T, U), (F, T), (F, F), (F, U), (U, T), (U, F), (U, U)]
AND = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F, (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U, (U, T): T, (U, F): U, (U, U): U}


def _facts(**values: object) -> dict[str, object]:
    return {k: v for k, v in values.items() if v is not None}


@pytest.mark.parametrize("left,right", TRUTH, ids=[f"{l}-{r}" for l, r in TRUTH])
def test_and_follows_kleene_truth_table(left: object, right: object) -> None:
    assert evaluate("a and b", _facts(a=left, b=right)) is AND[(left, right)]


@pytest.mark.parametrize("left,right", TRUTH, ids=[f"{l}-{r}" for l, r in TRUTH])
def test_or_follows_kleene_truth_table(left: object, right: object) -> None:
    assert evaluate("a or b", _facts(a=left, b=right)) is OR[(left, right)]


@pytest.mark.parametrize("value,expected", [(T, F), (F, T), (U, U)])
def test_not_keeps_unknown_unknown(value: object, expected: object) -> None:
    assert evaluate("not a", _facts(a=value)) is expected


@pytest.mark.parametrize("left,right", TRUTH, ids=[f"{l}-{r}" for l, r in TRUTH])
def test_literal_and_fact_forms_agree(left: object, right: object) -> None:
    literal = {T: "true", F: "false", U: "unknown"}
    assert evaluate(f"{literal[left]} and {literal[right]}") is AND[(left, right)]
    assert evaluate(f"{literal[left]} or {literal[right]}") is OR[(left, right)]


CASES = [
    # precedence
    ("1 + 2 * 3", {}, 7),
    ("(1 + 2) * 3", {}, 9),
    ("10 - 4 - 3", {}, 3),
    ("2 * 3 + 4 * 5", {}, 26),
    ("-2 * 3", {}, -6),
    ("- (2 + 3)", {}, -5),
    ("not true or true", {}, True),
    ("not (true or true)", {}, False),
    ("true or false and false", {}, True),
    ("(true or false) and false", {}, False),
    ("1 + 1 == 2 and 3 > 2", {}, True),
    ("if true then 1 else 2 + 10", {}, 1),
    ("if false then 1 else 2 + 10", {}, 12),
    # numbers are exact
    ("0.1 + 0.2 == 0.3", {}, True),
    ("1 / 3 * 3 == 1", {}, False),
    ("7 / 2", {}, Decimal("3.5")),
    ("n / 0", {"n": 5}, None),
    ("n * 2", {"n": Decimal("1.25")}, Decimal("2.50")),
    ("floor(2.7)", {}, 2),
    ("floor(-2.5)", {}, -3),
    ("round_down(107, 10)", {}, 100),
    ("round_down(n, 10)", {"n": 109}, 100),
    ("round_down(n, 0)", {"n": 109}, None),
    # comparisons
    ("n < m", {"n": 1, "m": 2}, True),
    ("n <= m", {"n": 2, "m": 2}, True),
    ("n > m", {"n": 1}, None),
    ("n != m", {"n": 1, "m": 1}, False),
    ("s == 'x'", {"s": "x"}, True),
    ('s == "x"', {}, None),
    ("loc == \"inside_us\"", {"loc": "outside_us"}, False),
    ("loc != \"inside_us\"", {"loc": "outside_us"}, True),
    # membership, with unknowns
    ('loc in ["inside_us", "at_port_of_entry"]', {"loc": "inside_us"}, True),
    ('loc in ["inside_us", "at_port_of_entry"]', {"loc": "outside_us"}, False),
    ('loc in ["inside_us"]', {}, None),
    ('loc not in ["inside_us"]', {"loc": "outside_us"}, True),
    ('loc not in ["inside_us"]', {}, None),
    ('"race" in grounds', {"grounds": ["race"]}, True),
    ('"race" in grounds', {"grounds": []}, False),
    ('"race" in grounds', {}, None),
    ("n in [1, 2, m]", {"n": 1}, True),
    ("n in [1, 2, m]", {"n": 5}, None),
    ("n in [1, 2, m]", {"n": 5, "m": 3}, False),
    # dates and durations
    ("d + 1 year", {"d": date(2024, 2, 29)}, date(2025, 2, 28)),
    ("d + 4 years", {"d": date(2024, 2, 29)}, date(2028, 2, 29)),
    ("d + 1 month", {"d": date(2024, 1, 31)}, date(2024, 2, 29)),
    ("d + 1 month", {"d": date(2023, 1, 31)}, date(2023, 2, 28)),
    ("d + 12 months", {"d": date(2023, 5, 31)}, date(2024, 5, 31)),
    ("d - 1 month", {"d": date(2024, 3, 31)}, date(2024, 2, 29)),
    ("d + 180 days", {"d": date(2025, 8, 20)}, date(2026, 2, 16)),
    ("d + 150 days", {"d": date(2025, 8, 20)}, date(2026, 1, 17)),
    ("d + 2 weeks", {"d": date(2025, 12, 25)}, date(2026, 1, 8)),
    ("d - 1 day", {"d": date(2025, 1, 1)}, date(2024, 12, 31)),
    ("1 year + d", {"d": date(2024, 11, 2)}, date(2025, 11, 2)),
    ("d + (1 year + 6 months)", {"d": date(2024, 8, 31)}, date(2026, 2, 28)),
    ("d - e", {"d": date(2025, 3, 1), "e": date(2024, 3, 1)}, 365),
    ("d - e", {"d": date(2024, 3, 1), "e": date(2023, 3, 1)}, 366),
    ("e - d", {"d": date(2025, 3, 1), "e": date(2024, 3, 1)}, -365),
    ("d + 1 year", {}, None),
    ("d < e", {"d": date(2025, 1, 1), "e": date(2025, 1, 2)}, True),
    ("d >= @2025-07-22", {"d": date(2025, 7, 22)}, True),
    ("d >= @2025-07-22", {"d": date(2025, 7, 21)}, False),
    ("d <= e + 1 year", {"d": date(2025, 11, 2), "e": date(2024, 11, 2)}, True),
    ("d <= e + 1 year", {"d": date(2025, 11, 3), "e": date(2024, 11, 2)}, False),
    ("d + years(2)", {"d": date(2020, 2, 29)}, date(2022, 2, 28)),
    ("d + days(n)", {"d": date(2025, 1, 1), "n": 31}, date(2025, 2, 1)),
    ("d + days(n)", {"d": date(2025, 1, 1), "n": Decimal("1.5")}, None),
    ("d + months(n)", {"d": date(2025, 1, 31), "n": 1}, date(2025, 2, 28)),
    ("d + 8000 years", {"d": date(2025, 1, 1)}, None),
    ("as_of", {}, date(2025, 9, 15)),
    ("as_of - d", {"d": date(2025, 9, 1)}, 14),
    # functions
    ("days_between(d, e)", {"d": date(2025, 1, 1), "e": date(2025, 3, 1)}, 59),
    ("days_between(d, e)", {"d": date(2024, 1, 1), "e": date(2024, 3, 1)}, 60),
    ("years_between(d, e)", {"d": date(2020, 6, 15), "e": date(2025, 6, 14)}, 4),
    ("years_between(d, e)", {"d": date(2020, 6, 15), "e": date(2025, 6, 15)}, 5),
    ("age_on(d, e)", {"d": date(2004, 2, 29), "e": date(2025, 2, 28)}, 21),
    ("age_on(d, e)", {"d": date(2004, 2, 29), "e": date(2025, 2, 27)}, 20),
    ("age_on(d, e)", {"d": date(2004, 5, 1), "e": date(2025, 4, 30)}, 20),
    ("age_on(d, e)", {"d": date(2004, 5, 1), "e": date(2025, 5, 1)}, 21),
    ("age_on(d, e)", {"d": date(2004, 5, 1)}, None),
    ("is_known(d)", {}, False),
    ("is_known(d)", {"d": date(2025, 1, 1)}, True),
    ("is_known(unknown)", {}, False),
    ("is_known(n / 0)", {"n": 1}, False),
    ("coalesce(n, m, 3)", {"m": 2}, 2),
    ("coalesce(n, m)", {}, None),
    ("coalesce(n, 0) + 1", {}, 1),
    ("length(grounds)", {"grounds": ["race", "religion"]}, 2),
    ("length(grounds)", {}, None),
    ("length([])", {}, 0),
    # if-then-else with unknown conditions
    ("if a then 1 else 2", {}, None),
    ("if a then 1 else 1", {}, 1),
    ("if a then n else 1", {}, None),
    ("if a then 1 else n", {"a": True}, 1),
    ("if a then \"x\" else if b then \"y\" else \"z\"", {"a": False, "b": True}, "y"),
    # quantifiers
    ("any k in kids: k.age < 21", {"kids": [{"age": 25}, {"age": 3}]}, True),
    ("any k in kids: k.age < 21", {"kids": [{"age": 25}, {"age": 30}]}, False),
    ("any k in kids: k.age < 21", {"kids": [{"age": 25}, {}]}, None),
    ("any k in kids: k.age < 21", {"kids": [{"age": 3}, {}]}, True),
    ("any k in kids: k.age < 21", {"kids": []}, False),
    ("any k in kids: k.age < 21", {}, None),
    ("all k in kids: k.age < 21", {"kids": [{"age": 2}, {"age": 3}]}, True),
    ("all k in kids: k.age < 21", {"kids": [{"age": 30}, {}]}, False),
    ("all k in kids: k.age < 21", {"kids": [{"age": 3}, {}]}, None),
    ("all k in kids: k.age < 21", {"kids": []}, True),
    ("count k in kids: not k.married", {"kids": [{"married": False}, {"married": True}, {"married": False}]}, 2),
    ("count k in kids: not k.married", {"kids": [{"married": False}, {}]}, None),
    ("sum k in kids: k.age", {"kids": [{"age": 2}, {"age": 3}]}, 5),
    ("sum k in kids: k.age", {"kids": []}, 0),
    ("min k in kids: k.born", {"kids": [{"born": date(2010, 1, 1)}, {"born": date(2008, 1, 1)}]}, date(2008, 1, 1)),
    ("max k in kids: k.age", {"kids": [{"age": 2}, {"age": 9}]}, 9),
    ("max k in kids: k.age", {"kids": []}, None),
    ("any g in grounds: g == \"religion\"", {"grounds": ["race", "religion"]}, True),
    ("any k in kids: any g in grounds: g == \"race\" and k.age > 1", {"kids": [{"age": 2}], "grounds": ["race"]}, True),
    ("count x in nums: x > n", {"nums": [1, 5, 9], "n": 4}, 2),
    ("all x in [1, 2, 3]: x > 0", {}, True),
    # dated parameters
    ("fee.i589 at d", {"d": date(2025, 7, 21)}, 0),
    ("fee.i589 at d", {"d": date(2025, 7, 22)}, 100),
    ("fee.i589 at d", {"d": date(1990, 1, 1)}, None),
    ("fee.i589 at d", {}, None),
    ("fee.i589", {}, 100),
    ("fee.i589 at @2024-01-01 + fee.i589", {}, 100),
    ("d + deadline.filing at d", {"d": date(2024, 11, 2)}, date(2025, 11, 2)),
    # strings and comments
    ("\"it's\" == s", {"s": "it's"}, True),
    ('"a\\"b" == s', {"s": 'a"b'}, True),
    ("a # a comment\n and b", {"a": True, "b": True}, True),
    ("unknown == unknown", {}, None),
]


@pytest.mark.parametrize("text,facts,expected", CASES, ids=[c[0] for c in CASES])
def test_expression_value(text: str, facts: dict[str, object], expected: object) -> None:
    result = evaluate(text, facts)
    assert result == expected
    assert type(result) is type(expected) or isinstance(expected, Decimal) and isinstance(result, (int, Decimal))


def test_fact_values_are_not_coerced() -> None:
    assert evaluate("n == 1", {"n": Decimal("1.0")}) is True
    assert isinstance(evaluate("d + 1 year", {"d": date(2024, 2, 29)}), date)
    assert evaluate("1 year + 1 year", {}) == Duration(years=2)
