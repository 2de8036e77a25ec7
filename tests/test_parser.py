"""Grammar: precedence (via the canonical printer), literals, and syntax errors with their positions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from asylum_kb.language import syntax as s
from asylum_kb.language.diagnostics import ExpressionError
from asylum_kb.language.parser import MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, parse
from asylum_kb.language.printer import to_text
from asylum_kb.language.values import Duration

# text → canonical text with explicit grouping shown by re-printing the sub-trees
PRECEDENCE = [
    ("a or b and c", "a or b and c", s.Or),
    ("(a or b) and c", "(a or b) and c", s.And),
    ("not a and b", "not a and b", s.And),
    ("not (a and b)", "not (a and b)", s.Not),
    ("a and b and c", "a and b and c", s.And),
    ("a or b or c", "a or b or c", s.Or),
    ("n + 1 < m * 2", "n + 1 < m * 2", s.Compare),
    ("n - m - 1", "n - m - 1", s.Arith),
    ("n - (m - 1)", "n - (m - 1)", s.Arith),
    ("n * m / 2", "n * m / 2", s.Arith),
    ("-n * m", "-n * m", s.Arith),
    ("-(n * m)", "-(n * m)", s.Negate),
    ("d + 1 year < e", "d + 1 year < e", s.Compare),
    ("fee at d + 1", "fee at d + 1", s.Arith),
    ("fee at (d + 1 day)", "fee at (d + 1 day)", s.Lookup),
    ("if a then b else c or d", "if a then b else c or d", s.IfThenElse),
    ("(if a then b else c) or d", "(if a then b else c) or d", s.Or),
    ("any k in ks: k.x and k.y", "any k in ks: k.x and k.y", s.Quantifier),
    ("(any k in ks: k.x) and y", "(any k in ks: k.x) and y", s.And),
    ("x not in [1, 2]", "x not in [1, 2]", s.Compare),
    ("not x in [1, 2]", "not x in [1, 2]", s.Not),
    ("f(a, b + 1)", "f(a, b + 1)", s.Call),
    ("((a))", "a", s.Name),
    ("a # comment", "a", s.Name),
]


@pytest.mark.parametrize("text,canonical,root", PRECEDENCE, ids=[p[0] for p in PRECEDENCE])
def test_precedence_and_canonical_text(text: str, canonical: str, root: type) -> None:
    tree = parse(text)
    assert isinstance(tree, root)
    assert to_text(tree) == canonical
    assert parse(to_text(tree)) == tree


LITERALS = [
    ("true", True), ("false", False), ("unknown", None), ("42", 42), ("3.25", Decimal("3.25")),
    ('"inside_us"', "inside_us"), ("'x'", "x"), ('"a\\"b"', 'a"b'), ("@2025-07-04", date(2025, 7, 4)),
    ("@2024-02-29", date(2024, 2, 29)), ("180 days", Duration(days=180)), ("1 day", Duration(days=1)),
    ("1 year", Duration(years=1)), ("2 years", Duration(years=2)), ("6 months", Duration(months=6)),
    ("1 month", Duration(months=1)), ("2 weeks", Duration(days=14)),
]


@pytest.mark.parametrize("text,value", LITERALS, ids=[lit[0] for lit in LITERALS])
def test_literals(text: str, value: object) -> None:
    tree = parse(text)
    assert isinstance(tree, s.Literal) and tree.value == value and type(tree.value) is type(value)


def test_dotted_names_and_keywords_inside_names() -> None:
    assert parse("applicant.in_removal_proceedings") == s.Name("applicant.in_removal_proceedings")
    assert parse("android and notable") == s.And((s.Name("android"), s.Name("notable")))


def test_spans_cover_the_source_text() -> None:
    text = "applicant.location == \"inside_us\" and bars.persecutor"
    tree = parse(text)
    assert isinstance(tree, s.And)
    assert [text[o.span[0]:o.span[1]] for o in tree.operands] == ['applicant.location == "inside_us"', "bars.persecutor"]


ERRORS = [
    ("a and", "E102", 5),
    ("a ==== b", "E100", 4),
    ("a $ b", "E101", 2),
    ("(a and b", "E102", 8),
    ("a b", "E100", 2),
    ("@2025-02-30", "E123", 0),
    ("@2025-13-01", "E123", 0),
    ("if a then b", "E102", 11),
    ("any in xs: x", "E100", 4),
    ("a and and b", "E100", 6),
    ("any", "E102", 3),
    ("f(a,)", "E100", 4),
    ("", "E100", 0),
    ("   ", "E100", 0),
    ("1 < 2 < 3", "E100", 6),
    ("'unterminated", "E101", 0),
]


@pytest.mark.parametrize("text,code,offset", ERRORS, ids=[e[0] or "<empty>" for e in ERRORS])
def test_syntax_errors_have_code_and_offset(text: str, code: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.code == code
    assert info.value.span[0] == offset


def test_syntax_error_hint_lists_what_was_expected_in_plain_words() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("a and")
    assert info.value.hint is not None
    assert "a name" in info.value.hint and "'not'" in info.value.hint
    assert "NAME" not in info.value.hint and "$END" not in info.value.hint


def test_too_long_expression_is_an_error() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("a or " * (MAX_EXPRESSION_LENGTH // 5) + "a")
    assert info.value.code == "E110"


def test_redundant_parentheses_do_not_nest_the_tree() -> None:
    assert parse("(" * 500 + "a" + ")" * 500) == s.Name("a")


@pytest.mark.parametrize("text", [
    "not " * 300 + "a",
    "(" * 100 + "-" * 100 + "a" + ")" * 100,
    "-" * 2000 + "1",
    "[" * 400 + "]" * 400,
    " + ".join(["1"] * 3000),
])
def test_deep_or_long_nesting_is_a_clear_error_not_a_crash(text: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert info.value.code in ("E111", "E110")


def test_nesting_just_under_the_limit_parses() -> None:
    depth = MAX_NESTING_DEPTH // 4
    tree = parse("(" * depth + "a" + ")" * depth)
    assert tree == s.Name("a")


def test_list_literal_size_is_bounded() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("[" + ", ".join(["1"] * 1500) + "]")
    assert info.value.code in ("E112", "E110")


@pytest.mark.parametrize("text,offset", [
    ("n > " + "9" * 5000, 4),                    # Python would refuse to convert it
    ("n > 1" + "0" * 30 + ".5", 4),
    ("d + 99999999999999999999 years", 4),
    ("d - 10001 years", 4),
    ("d + 3653001 days", 4),
    ("d + 120001 months", 4),
])
def test_number_and_duration_literals_past_the_limits_are_errors(text: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert (info.value.code, info.value.span[0]) == ("E110", offset)


def test_the_longest_durations_still_parse() -> None:
    assert isinstance(parse("d + 10000 years"), s.Arith) and isinstance(parse("d - 3653000 days"), s.Arith)
