"""Fuzzing: hostile fact documents, YAML and JSON text, rule expressions and whole rule files.

The one property: the tool answers or refuses with its own error (``AsylumKbError``), never with
another exception, and every answer is plain JSON data. The default run tries a few examples of
each; ``pytest -m fuzz`` runs the same properties long (see docs/security.md, "Fuzzing").
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import asylum_kb
import pytest
from asylum_kb import AsylumKbError
from asylum_kb.kb.factsio import parse_document
from asylum_kb.kb.factspec import FactSpec
from asylum_kb.kb.yamlsource import load as load_yaml
from asylum_kb.language.expression import compile_expression
from asylum_kb.language.printer import to_text
from asylum_kb.report.render_text import render
from conftest import FACT_TYPES, PARAMETERS
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from kbfiles import ERAS, FACTS, MANIFEST, RULES, write_kb
from kbfiles import PARAMETERS as PARAMETER_FILE
from test_properties import any_expression

pytestmark = pytest.mark.fuzz


def budget(examples: int) -> settings:
    """``examples`` in the default run; under ``pytest -m fuzz`` that many times ASYLUM_KB_FUZZ_SCALE (100)."""
    scale = int(os.environ.get("ASYLUM_KB_FUZZ_SCALE", "100")) if settings.default.max_examples > 1000 else 1
    return settings(max_examples=examples * scale, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@cache
def shipped() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


def answer_or_refuse(kb: asylum_kb.KnowledgeBase, document: Any, as_of: date | None = None) -> None:
    """Evaluate; a result must serialise as strict JSON and render as text, a refusal must be ours."""
    try:
        result = kb.evaluate(document, as_of=as_of)
    except AsylumKbError as error:
        assert error.diagnostics and all(d.code for d in error.diagnostics)
        event(f"refused {error.diagnostics[0].code}")
        return
    event("answered")
    json.dumps(result.to_dict(explain=True), allow_nan=False, ensure_ascii=False).encode("utf-8")
    render(result, explain=True).encode("utf-8")


# Values of every JSON type, with the edge cases that broke things before: huge, non-finite, odd text.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**30, 10**30), st.floats(),
    st.decimals(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["2025-02-30", "2025-09-15", "1994-03-02", "0001-01-01", "9999-12-31", "20250101", "",
                     "inside_us", "political_opinion", "\ud800", "\u2028", "1e999", "yes", "null"]),
    st.dates().map(str),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=6)), max_leaves=30)


def good_values(spec: FactSpec) -> st.SearchStrategy[Any]:
    """Values a fact of this kind takes, up to its bounds, so that many documents get an answer."""
    if spec.kind == "list" and spec.items is not None:
        return st.lists(good_values(spec.items), max_size=min(spec.max_items, 4))
    if spec.kind == "record":
        return st.fixed_dictionaries({}, optional={f.name: good_values(f) for f in spec.fields})
    low = int(spec.minimum) if spec.minimum is not None else -5
    high = int(spec.maximum) if spec.maximum is not None else 10**6
    return {"boolean": st.booleans(), "date": st.dates().map(str), "integer": st.integers(low, high),
            "number": st.integers(low, high), "money": st.integers(max(low, 0), high), "string": st.text(max_size=30),
            "enum": st.sampled_from(spec.values or ("x",))}[spec.kind]


@st.composite
def fact_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Documents shaped like the contract: real sections and fact names, mostly good values, some junk."""
    catalog = shipped().catalog.facts
    document: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(catalog)), max_size=20, unique=True)):
        *sections, leaf = name.split(".")
        junk = draw(st.integers(0, 11)) == 0
        target: Any = document
        for section in sections:
            target = target.setdefault(section, {}) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[leaf] = draw(json_values if junk else good_values(catalog[name]))
    if draw(st.booleans()):
        document["as_of"] = draw(st.dates().map(str) if draw(st.integers(0, 5)) else scalars)
    if draw(st.integers(0, 19)) == 0:
        document[draw(st.text(max_size=10))] = draw(json_values)
    return document


@budget(200)
@given(fact_documents(), st.one_of(st.none(), st.dates()))
def test_fact_documents_get_an_answer_or_our_own_error(document: dict[str, Any], as_of: date | None) -> None:
    answer_or_refuse(shipped(), document, as_of)


@budget(100)
@given(fact_documents())
def test_fact_documents_as_json_and_yaml_text_read_back_or_are_refused(document: dict[str, Any]) -> None:
    import yaml

    texts = [json.dumps(document, default=str)]
    try:
        texts.append(yaml.safe_dump(document, allow_unicode=True))
    except yaml.YAMLError:
        pass
    for text in texts:
        try:
            data = parse_document(text, "f")
        except AsylumKbError:
            continue
        answer_or_refuse(shipped(), data)


YAML_PIECES = ["a: ", "b:", "bars:", "applicant:", "  ", "\n", "- ", "&x ", "*x", "&y ", "*y", "[", "]", "{", "}",
               ", ", "? ", ": ", "!!str ", "!!binary ", "!!timestamp ", "!!python/object:os.system ", "!x ", "'", '"',
               "1e999", "1.0e+999999999", "0x1F", "0o17", "190:20:30", ".nan", "-.inf", "2025-02-30", "~", "<<: *x",
               "\\ud800", "\\U0001F600", "#", "|", ">-", "\t", "---", "...", "%YAML 1.1\n", "9" * 120, "true", "null",
               "persecutor: true", "as_of: 2025-09-15", "location: inside_us", "\u2028", "\x00", "\ufeff"]
JSON_PIECES = ['{', '}', '[', ']', ',', ':', '"a"', '"bars"', '"persecutor"', '"as_of"', 'true', 'false', 'null',
               '1', '-0', '1.5', '1.0e999999999', '1e-400', '9' * 5000, 'NaN', 'Infinity', '"\\ud800"',
               '"\\ud83d\\ude00"', '"2025-02-30"', ' ', '\n', '"\\u0000"', '"x', '\\']


@budget(400)
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join),
                 st.lists(st.sampled_from(JSON_PIECES), max_size=40).map("".join)))
def test_any_text_parses_or_is_refused_with_a_location(text: str) -> None:
    source = load_yaml("f.yaml", text)
    assert all(p.code.startswith("E2") for p in source.problems)
    try:
        data = parse_document(text, "f")
    except AsylumKbError as error:
        assert all(d.file == "f" for d in error.diagnostics)
        event(f"text refused {error.diagnostics[0].code}")
        return
    answer_or_refuse(shipped(), data)


EXPRESSION_PIECES = ["a", "b", "c", "n", "m", "d", "e", "s", "loc", "grounds", "kids", "nums", "k", "k.age", "k.born",
                     "k.x", "fee.i589", "deadline.filing", "as_of", "unknown", "true", "false", "0", "1", "2.5",
                     "9" * 40, "-", "+", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "not", "if",
                     "then", "else", "any", "all", "count", "sum", "min", "max", "in", "at", ":", "(", ")", "[",
                     "]", ",", '"inside_us"', '"x"', "@2025-09-15", "@2025-02-30", "1 year", "6 months",
                     "10 days", "99999999999 years", "3653000 days", "days_between", "age_on", "is_known",
                     "coalesce", "length", "today", "\n", " "]


def expression_facts() -> st.SearchStrategy[dict[str, Any]]:
    kid = st.fixed_dictionaries({}, optional={"name": st.text(max_size=5), "age": st.integers(0, 90),
                                              "born": st.dates(), "married": st.booleans()})
    return st.fixed_dictionaries({}, optional={
        "a": st.booleans(), "b": st.booleans(), "n": st.integers(-10**12, 10**12), "m": st.integers(0, 10),
        "d": st.dates(), "e": st.dates(), "s": st.text(max_size=5),
        "loc": st.sampled_from(["inside_us", "at_port_of_entry", "outside_us"]),
        "kids": st.lists(kid, max_size=3), "nums": st.lists(st.integers(-100, 100), max_size=3)})


@st.composite
def expression_texts(draw: st.DrawFn) -> str:
    """Token soup, well-typed expressions as printed, and printed ones with a token changed."""
    soup = st.lists(st.sampled_from(EXPRESSION_PIECES), min_size=1, max_size=14).map(" ".join)
    typed = any_expression.map(to_text)
    text = draw(st.one_of(soup, typed, typed))
    if draw(st.integers(0, 3)) == 0:
        words = text.split(" ")
        words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(EXPRESSION_PIECES))
        text = " ".join(words)
    return text


@budget(500)
@given(expression_texts(), expression_facts(), st.dates())
def test_expressions_compile_or_are_refused_and_compiled_ones_evaluate(text: str, facts: dict[str, Any],
                                                                       as_of: date) -> None:
    try:
        compiled = compile_expression(text, FACT_TYPES, PARAMETERS)
    except AsylumKbError as error:
        assert all(d.position is not None for d in error.diagnostics)
        event(f"expression refused {error.diagnostics[0].code}")
        return
    event("expression compiled")
    assert compiled.evaluate(facts, as_of) == compiled.value(facts, as_of)


RULE_FILE_EDITS = ["", "x", "[", "&a [*a]", "*nope", "{}", "[]", "null", "- 1", "2025-02-30", ".nan", "99999999999 years",
                   "person.age > 1", "any k.x in person.kids: true", "mini.late", "not mini.eligibility",
                   "fee.form at person.filed", "9" * 200, '"\\ud800"', "!!binary aGk=", "? [a]\n: 1"]


@st.composite
def edited_rule_folders(draw: st.DrawFn) -> dict[str, str]:
    """The mini knowledge base with a few lines of one file replaced, deleted, repeated or given junk values."""
    files = {"manifest.yaml": MANIFEST, "facts.yaml": FACTS, "eras.yaml": ERAS, "parameters.yaml": PARAMETER_FILE,
             "rules.yaml": RULES}
    name = draw(st.sampled_from(sorted(files)))
    lines = files[name].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "delete", "repeat", "indent"]))
        line = lines[index]
        if action == "value" and ":" in line:
            lines[index] = line[:line.index(":") + 1] + " " + draw(st.sampled_from(RULE_FILE_EDITS))
        elif action == "delete":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, line)
        else:
            lines[index] = "  " + line
        if not lines:
            lines = [""]
    return {name: "\n".join(lines) + "\n"}


@budget(100)
@given(edited_rule_folders())
def test_edited_rule_folders_load_or_are_refused_and_loaded_ones_answer(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        try:
            kb = asylum_kb.load(write_kb(Path(scratch), **files))
        except asylum_kb.RulesError as error:
            assert error.diagnostics
            event(f"rules refused {error.diagnostics[0].code}")
            return
        event("rules loaded")
        case = {"person": {"age": 30, "filed": "2025-09-01", "arrived": "2023-01-01", "location": "inside",
                           "kids": [{"name": "A", "born": "2010-01-01"}]}}
        answer_or_refuse(kb, case, date(2025, 9, 1))
        answer_or_refuse(kb, {}, date(2025, 9, 1))
