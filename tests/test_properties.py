"""Property-based tests: random well-typed expressions never crash, print/parse round-trips, and the
fast path agrees with the three-valued path whenever it applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from asylum_kb import syntax as s
from asylum_kb.expression import compile_expression
from asylum_kb.parser import parse
from asylum_kb.printer import to_text
from asylum_kb.values import Duration
from conftest import AS_OF, FACT_TYPES, PARAMETERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
durations = st.builds(lambda n, unit: Duration(**{unit: n}), st.integers(0, 30), st.sampled_from(["years", "months", "days"]))


def _leaf(kind: str) -> st.SearchStrategy[s.Expr]:
    names = {"boolean": ["a", "b", "c"], "number": ["n", "m"], "date": ["d", "e"]}[kind]
    literal: dict[str, st.SearchStrategy[Any]] = {
        "boolean": st.booleans(),
        "number": st.one_of(st.integers(0, 10**6), st.decimals(0, 1000, places=2, allow_nan=False)),
        "date": dates,
    }
    return st.one_of(
        st.sampled_from(names).map(s.Name),
        literal[kind].map(s.Literal),
        st.just(s.Literal(None)),
    )


@cache
def expressions(kind: str, depth: int = 3) -> st.SearchStrategy[s.Expr]:
    if depth == 0:
        return _leaf(kind)
    sub = lambda k: expressions(k, depth - 1)
    options = [_leaf(kind), st.builds(s.IfThenElse, sub("boolean"), sub(kind), sub(kind))]
    if kind == "boolean":
        options += [
            st.builds(s.Not, sub("boolean")),
            st.lists(sub("boolean"), min_size=2, max_size=3).map(lambda xs: s.And(tuple(xs))),
            st.lists(sub("boolean"), min_size=2, max_size=3).map(lambda xs: s.Or(tuple(xs))),
            st.builds(s.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), sub("number"), sub("number")),
            st.builds(s.Compare, st.sampled_from(["<", ">="]), sub("date"), sub("date")),
            st.builds(lambda x: s.Call("is_known", (x,)), sub("number")),
            st.builds(lambda body: s.Quantifier("any", "k", s.Name("kids"), body),
                      st.builds(s.Compare, st.just("<"), st.just(s.Name("k.age")), sub("number"))),
        ]
    elif kind == "number":
        options += [
            st.builds(s.Arith, st.sampled_from(["+", "-", "*", "/"]), sub("number"), sub("number")),
            st.builds(s.Negate, sub("number")),
            st.builds(lambda x, y: s.Arith("-", x, y), sub("date"), sub("date")),
            st.builds(lambda x, y: s.Call("days_between", (x, y)), sub("date"), sub("date")),
            st.builds(lambda x, y: s.Call("coalesce", (x, y)), sub("number"), sub("number")),
            st.builds(lambda x: s.Lookup(s.Name("fee.i589"), x), sub("date").filter(lambda e: isinstance(e, (s.Name, s.Literal)))),
            st.builds(lambda body: s.Quantifier("count", "k", s.Name("kids"), body),
                      st.builds(s.Compare, st.just(">"), st.just(s.Name("k.age")), sub("number"))),
        ]
    else:
        options += [
            st.builds(lambda x, y: s.Arith("+", x, s.Literal(y)), sub("date"), durations),
            st.builds(lambda x, y: s.Arith("-", x, s.Literal(y)), sub("date"), durations),
        ]
    return st.one_of(options)


any_expression = st.sampled_from(["boolean", "number", "date"]).flatmap(expressions)

facts = st.fixed_dictionaries({}, optional={
    "a": st.booleans(), "b": st.booleans(), "c": st.booleans(),
    "n": st.integers(-1000, 10**6), "m": st.decimals(-1000, 1000, places=2, allow_nan=False),
    "d": dates, "e": dates,
    "kids": st.lists(st.fixed_dictionaries({}, optional={"age": st.integers(0, 40)}), max_size=3),
})


def _no_negative_literals(expr: s.Expr) -> bool:
    return not any(isinstance(n, s.Literal) and isinstance(n.value, (int, Decimal)) and not isinstance(n.value, bool)
                   and n.value < 0 for n in s.walk(expr))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_expression)
def test_printing_and_reparsing_gives_the_same_tree(expr: s.Expr) -> None:
    assert _no_negative_literals(expr)
    assert parse(to_text(expr)) == expr


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_expression, facts)
def test_well_typed_expressions_never_crash_and_both_paths_agree(expr: s.Expr, case: dict[str, Any]) -> None:
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    three_valued = compiled.evaluate(case, AS_OF)
    assert compiled.value(case, AS_OF) == three_valued
    compiled.trace(case, AS_OF)


@settings(max_examples=200, deadline=None)
@given(expressions("boolean"), facts)
def test_known_inputs_never_give_unknown_without_an_unknown_literal_or_undefined_operation(
        expr: s.Expr, case: dict[str, Any]) -> None:
    complete = {"a": True, "b": False, "c": True, "n": 3, "m": Decimal("2.5"), "d": date(2025, 1, 1),
                "e": date(2024, 6, 1), "kids": [{"age": 3}], **case}
    complete["kids"] = [{"age": k.get("age", 1)} for k in complete["kids"]]
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    has_gap = any(isinstance(n, s.Literal) and n.value is None for n in s.walk(expr)) or any(
        isinstance(n, (s.Lookup, s.Arith)) for n in s.walk(expr))
    value = compiled.evaluate(complete, AS_OF)
    assert value is not None or has_gap
