"""Every example in docs/language.md runs: `example` lines evaluate to true, `error` blocks fail with their code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import asylum_kb
import pytest
from asylum_kb.kb.factsio import parse_document
from asylum_kb.language.expression import compile_expression
from asylum_kb.language.runtime import DatedValues

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```(example|error (E\d+))\n(.*?)```", re.DOTALL)
EXAMPLES = [line for kind, _, body in BLOCK.findall(DOC) if kind == "example" for line in body.splitlines() if line.strip()]
ERRORS = [(code, body.strip()) for kind, code, body in BLOCK.findall(DOC) if kind.startswith("error")]
AS_OF = date(2025, 9, 15)


@pytest.fixture(scope="module")
def scope(kb: asylum_kb.KnowledgeBase) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    types = {name: spec.type for name, spec in kb.catalog.facts.items()}
    params = {p.id: (p.type, DatedValues([(v.start, v.value) for v in p.values])) for p in kb.parameters.values()}
    document = parse_document((ROOT / "examples" / "affirmative-grant.yaml").read_text(encoding="utf-8"))
    facts, _ = kb.catalog.validate(document)
    return types, params, facts


def test_the_page_has_examples() -> None:
    assert len(EXAMPLES) > 40 and len(ERRORS) >= 7


@pytest.mark.parametrize("line", EXAMPLES)
def test_example_is_true(line: str, scope: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    types, params, facts = scope
    assert compile_expression(line, types, params).evaluate(facts, AS_OF) is True


@pytest.mark.parametrize("code,text", ERRORS)
def test_error_example_fails_with_its_code(code: str, text: str,
                                           scope: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    types, params, _ = scope
    with pytest.raises(asylum_kb.RulesError) as info:
        compile_expression(text, types, params)
    assert info.value.diagnostics[0].code == code
