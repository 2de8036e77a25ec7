"""Static checking: every type error and unknown name is caught before anything runs, with its column."""

from __future__ import annotations

import pytest
from asylum_kb import RulesError
from asylum_kb.language import types as t
from asylum_kb.language.expression import compile_expression
from conftest import FACT_TYPES, PARAMETERS

ERRORS = [
    # (expression, code, column, words the message or hint must contain)
    ("d + 1 year < \"x\"", "E130", 14, "compares numbers or dates"),
    ("a and n", "E130", 7, "must be boolean"),
    ("not n", "E130", 5, "must be boolean"),
    ("n + d", "E130", 1, "cannot compute"),
    ("d + n", "E130", 1, "durations"),
    ("d * 2", "E130", 1, "cannot compute"),
    ("1 year < 2 years", "E130", 1, "numbers or dates"),
    ("n == \"x\"", "E130", 1, "cannot compare"),
    ("d == 1", "E130", 1, "cannot compare"),
    ("loc == \"inside\"", "E131", 8, "inside_us"),
    ("loc in [\"inside_us\", \"abroad\"]", "E131", 22, "possible values"),
    ("\"racee\" in grounds", "E131", 1, "race"),
    ("n in grounds", "E130", 1, "cannot look for"),
    ("n in n", "E130", 6, "must be a list"),
    ("applicant.locaton == \"inside_us\"", "E120", 1, "unknown name"),
    ("lok == \"inside_us\"", "E120", 1, "did you mean 'loc'"),
    ("eligible", "E120", 1, 'quote it: "eligible"'),
    ("daysbetween(d, e)", "E121", 1, "days_between"),
    ("frobnicate(d)", "E121", 1, "known functions"),
    ("days_between(d)", "E122", 1, "takes 2 arguments"),
    ("is_known()", "E122", 1, "takes 1 argument"),
    ("days_between(d, n)", "E130", 17, "argument 2"),
    ("length(n)", "E130", 8, "must be list"),
    ("n at d", "E124", 1, "not a parameter"),
    ("fee.i590 at d", "E124", 1, "fee.i589"),
    ("fee.i589 at n", "E130", 13, "must be date"),
    ("any k in kids: k.agee < 21", "E132", 16, "did you mean 'age'"),
    ("any k in n: true", "E130", 10, "must be list"),
    ("any k in kids: k.age", "E130", 16, "must be boolean"),
    ("sum k in kids: k.married", "E130", 16, "must be number"),
    ("kids.age", "E120", 1, "did you mean 'kids'"),
    ("if n then 1 else 2", "E130", 4, "condition of 'if'"),
    ("if a then 1 else \"x\"", "E130", 1, "'then' gives number"),
    ("[1, \"x\"]", "E130", 5, "share one type"),
    ("coalesce(n, d)", "E130", 1, "share one type"),
    ("-d", "E130", 2, "must be number"),
    ("any k.x in kids: true", "E125", 1, "plain name"),
    ("count k in kids: any k.y in kids: true", "E125", 18, "plain name"),
]


@pytest.mark.parametrize("text,code,column,words", ERRORS, ids=[e[0] for e in ERRORS])
def test_type_errors(text: str, code: str, column: int, words: str) -> None:
    with pytest.raises(RulesError) as info:
        compile_expression(text, FACT_TYPES, PARAMETERS)
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == code
    assert diagnostic.position is not None and diagnostic.position.column == column
    assert words in diagnostic.message + " " + (diagnostic.hint or "")


def test_error_renders_with_source_line_and_caret() -> None:
    with pytest.raises(RulesError) as info:
        compile_expression("a and\n  lok == \"x\"", FACT_TYPES, PARAMETERS)
    text = str(info.value)
    assert "<input>:2:3: error E120" in text
    assert "    2 |   lok == \"x\"" in text
    assert "      |   ^" in text


@pytest.mark.parametrize("text,type_", [
    ("a and b", t.BOOLEAN), ("n + 1", t.NUMBER), ("d + 1 year", t.DATE), ("d - e", t.NUMBER),
    ("1 year + 6 months", t.DURATION), ("if a then \"x\" else \"y\"", t.enum(("x", "y"))), ("if a then s else \"y\"", t.STRING), ("[1, 2]", t.list_of(t.NUMBER)),
    ("fee.i589 at d", t.NUMBER), ("min k in kids: k.born", t.DATE), ("count k in kids: k.married", t.NUMBER),
    ("coalesce(n, 0)", t.NUMBER), ("as_of", t.DATE), ("unknown", t.ANY), ("if a then loc else \"x\"", t.enum(("inside_us", "at_port_of_entry", "outside_us", "x"))),
])
def test_inferred_types(text: str, type_: t.Type) -> None:
    assert compile_expression(text, FACT_TYPES, PARAMETERS).type == type_


def test_expected_type_is_enforced() -> None:
    with pytest.raises(RulesError) as info:
        compile_expression("n + 1", FACT_TYPES, PARAMETERS, expected=t.BOOLEAN)
    assert info.value.diagnostics[0].code == "E130"


def test_enum_values_joined_by_if_stay_an_enum() -> None:
    compiled = compile_expression('if a then "eligible" else "ineligible"', FACT_TYPES, PARAMETERS)
    assert compiled.type == t.enum(("eligible", "ineligible"))


def test_comparing_a_derived_enum_with_a_value_it_cannot_take_is_an_error() -> None:
    with pytest.raises(RulesError) as info:
        compile_expression('(if a then "met" else "missed") == "mett"', FACT_TYPES, PARAMETERS)
    assert info.value.diagnostics[0].code == "E131"
    assert "'met'" in (info.value.diagnostics[0].hint or "")
