"""Who decides each form of protection, in JSON (default and values-only) and text results."""

from __future__ import annotations

from pathlib import Path

import asylum_kb
import pytest
from asylum_kb.kb.yamlsource import load as load_yaml
from asylum_kb.report.render_text import render

ROOT = Path(__file__).resolve().parents[1]
JUDGE = "an immigration judge, in removal proceedings; the asylum office does not grant it"
COURT = "an immigration judge (immigration court, in removal proceedings)"
OFFICE = "the USCIS asylum office (an asylum officer decides an affirmative application)"


@pytest.fixture(scope="module")
def kb() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


def example(name: str) -> dict[str, object]:
    return dict(load_yaml(name, (ROOT / "examples" / name).read_text()).data)


def test_a_defensive_case_names_the_immigration_judge_for_asylum(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate(example("defensive-court-case.yaml"))
    assert result.value("asylum.procedure") == "defensive"
    for data in (result.to_dict(), result.to_dict(values_only=True)):
        determinations = data["determinations"]
        assert determinations["asylum.eligibility"]["decided_by"] == [{"authority": COURT, "settled": True}]
        assert determinations["withholding_of_removal.eligibility"]["decided_by"] == [{"authority": JUDGE, "settled": True}]
        assert "decided_by" not in determinations["fees.ead_initial"]  # its rule names no one


def test_an_open_procedure_lists_both_authorities_unsettled(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate({"applicant": {"unaccompanied_child": False}}, as_of="2025-09-15")
    assert result.value("asylum.procedure") == "undetermined"
    assert result.decided_by("asylum.eligibility") == [{"authority": OFFICE, "settled": False},
                                                       {"authority": COURT, "settled": False}]
    assert "decided by (depends on answers still open): " + OFFICE + "; or " + COURT in render(result)


def test_the_text_result_has_one_decided_by_line_per_protection(kb: asylum_kb.KnowledgeBase) -> None:
    lines = render(kb.evaluate(example("affirmative-grant.yaml"))).splitlines()
    decided = [line.strip() for line in lines if "decided by" in line]
    deciders = [rule.id for rule in kb.determinations if rule.decided_by]
    assert len(decided) == len(deciders) and f"decided by: {OFFICE}" in decided
    eligibility = next(i for i, line in enumerate(lines) if line.strip().startswith("asylum.eligibility "))
    assert lines[eligibility + 1].strip() == f"decided by: {OFFICE}"
