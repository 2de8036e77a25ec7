"""Check rules: located warnings for facts that contradict each other or the as-of date, and counterfactuals
that never propose a change the other facts rule out."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import asylum_kb
import pytest
from asylum_kb.kb.yamlsource import load as load_yaml
from asylum_kb.report import counterfactual

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


def grant_case(**applicant: object) -> dict[str, object]:
    """The affirmative-grant example filed late (2026-03-01), so only an exemption could save it."""
    document = load_yaml("affirmative-grant.yaml", (ROOT / "examples" / "affirmative-grant.yaml").read_text()).data
    document["applicant"].update(applicant)
    document["application"]["filing_date"] = "2026-03-01"
    document["as_of"] = "2026-03-15"
    return dict(document)


def test_a_stated_unaccompanied_child_aged_36_gets_a_located_warning(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate(grant_case(unaccompanied_child=True, date_of_birth="1990-01-01"), source="case.yaml")
    [warning] = result.to_dict()["warnings"]
    assert warning["code"] == "W100" and warning["rule"] == "check.unaccompanied_child_age"
    assert "file" not in warning  # results depend only on facts and date; the text output names the file
    assert warning["facts"] == {"applicant.unaccompanied_child": True, "applicant.date_of_birth": "1990-01-01",
                                "application.filing_date": "2026-03-01"}
    assert result.value("asylum.one_year_deadline") == "missed"


def test_consistent_facts_carry_no_warnings_key(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate(grant_case(unaccompanied_child=True, date_of_birth="2010-01-01"))
    assert result.warnings == [] and "warnings" not in result.to_dict()
    assert result.value("asylum.one_year_deadline") == "exempt"


def test_the_text_result_names_the_warning_and_its_facts(kb: asylum_kb.KnowledgeBase) -> None:
    from asylum_kb.report.render_text import render

    text = render(kb.evaluate(grant_case(unaccompanied_child=True, date_of_birth="1990-01-01"), source="case.yaml"))
    assert "case.yaml: warning W100 [check.unaccompanied_child_age]" in text
    assert "applicant.date_of_birth = 1990-01-01" in text


def proposed_facts(kb: asylum_kb.KnowledgeBase, document: dict[str, object]) -> set[str]:
    result = kb.evaluate(document)
    found = counterfactual.find(kb, result, limit=50)
    return {c.fact for c in found.get("asylum.eligibility", [])}


def test_counterfactuals_never_make_a_36_year_old_an_unaccompanied_child(kb: asylum_kb.KnowledgeBase) -> None:
    assert "applicant.unaccompanied_child" not in proposed_facts(kb, grant_case(date_of_birth="1990-01-01"))


def test_counterfactuals_still_propose_it_for_a_16_year_old(kb: asylum_kb.KnowledgeBase) -> None:
    assert "applicant.unaccompanied_child" in proposed_facts(kb, grant_case(date_of_birth="2010-01-01"))


def test_a_filing_after_the_as_of_date_warns_and_the_deadline_is_not_yet_due(kb: asylum_kb.KnowledgeBase) -> None:
    document = grant_case()
    document["applicant"] = {**document["applicant"], "last_arrival_date": "2023-07-10"}  # type: ignore[dict-item]
    document["application"] = {**document["application"], "filing_date": "2024-09-10"}  # type: ignore[dict-item]
    result = kb.evaluate(document, as_of=date(2024, 6, 1))
    assert [w.rule for w in result.warnings] == ["check.filing_after_as_of"]
    assert result.value("asylum.one_year_deadline") == "not_yet_due"
    assert json.loads(json.dumps(result.to_dict()))["warnings"][0]["facts"] == {
        "application.filing_date": "2024-09-10", "application.status": "pending"}


def test_a_check_kind_rule_is_not_reported_as_unused_by_lint() -> None:
    from asylum_kb.tools.lint import lint

    findings = lint(asylum_kb.load())
    assert not [d for d in findings if d.code == "L002" and (d.rule_id or "").startswith("check.")]


def test_counterfactuals_never_move_a_filed_application_past_the_as_of_date(kb: asylum_kb.KnowledgeBase) -> None:
    document = load_yaml("affirmative-grant.yaml", (ROOT / "examples" / "affirmative-grant.yaml").read_text()).data
    result = kb.evaluate(document)  # filed 2025-08-20, pending, as of 2025-09-15
    found = counterfactual.find(kb, result, limit=50).get("asylum.one_year_deadline", [])
    moved = [c for c in found if c.fact == "application.filing_date"]
    assert moved == [] or all(c.becomes <= result.as_of for c in moved)
    assert all(c.value_becomes != "not_yet_due" for c in found)


def test_the_cli_text_output_places_each_warning_at_its_facts_in_the_file(tmp_path: Path) -> None:
    from asylum_kb.cli.main import main
    from click.testing import CliRunner

    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2026-03-15\napplicant:\n  unaccompanied_child: true\n  date_of_birth: 1990-01-01\n"
                    "application:\n  filing_date: 2026-03-01\n")
    out = CliRunner().invoke(main, ["eval", str(case)]).output
    assert f"{case}:3:24: warning W100 [check.unaccompanied_child_age]" in out
    assert f"applicant.date_of_birth = 1990-01-01  ({case}:4:18)" in out
    assert f"application.filing_date = 2026-03-01  ({case}:6:16)" in out


def test_a_json_lines_batch_in_text_places_warnings_on_the_case_line(tmp_path: Path) -> None:
    from asylum_kb.cli.main import main
    from click.testing import CliRunner

    batch = tmp_path / "cases.jsonl"
    case = {"as_of": "2026-03-15", "applicant": {"unaccompanied_child": True, "date_of_birth": "1990-01-01"},
            "application": {"filing_date": "2026-03-01"}}
    batch.write_text(json.dumps({"applicant": {"location": "outside_us"}}) + "\n" + json.dumps(case) + "\n")
    out = CliRunner().invoke(main, ["eval", str(batch), "--format", "text", "--jobs", "1"]).output
    column = json.dumps(case).index('"1990-01-01"') + 1
    assert f"applicant.date_of_birth = 1990-01-01  ({batch}:2:{column})" in out
