"""The Python API: as_of as date or ISO text, unknown ids, Python dates, and the case id."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asylum_kb
import pytest

CASE: dict[str, Any] = {"applicant": {"location": "inside_us", "last_arrival_date": "2024-11-02"},
                        "application": {"status": "pending", "filing_date": "2025-08-20"}}


@pytest.mark.parametrize("as_of", [date(2025, 9, 15), "2025-09-15"], ids=["date", "iso-text"])
def test_as_of_takes_a_date_or_iso_text(kb: asylum_kb.KnowledgeBase, as_of: Any) -> None:
    result = kb.evaluate(CASE, as_of=as_of)
    assert result.as_of == date(2025, 9, 15)
    assert result.value("asylum.one_year_deadline") == "met"


@pytest.mark.parametrize("as_of", [20250915, 2025.0, datetime(2025, 9, 15, 12), ["2025-09-15"]],
                         ids=["int", "float", "datetime", "list"])
def test_as_of_of_another_type_is_a_type_error_naming_the_argument(kb: asylum_kb.KnowledgeBase, as_of: Any) -> None:
    with pytest.raises(TypeError, match="^as_of must be a datetime.date or an ISO date string"):
        kb.evaluate(CASE, as_of=as_of)


def test_as_of_text_that_is_not_an_iso_date_is_a_value_error(kb: asylum_kb.KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="^as_of must be an ISO date"):
        kb.evaluate(CASE, as_of="15/09/2025")


def test_unknown_determination_raises_our_key_error_with_close_matches(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate(CASE, as_of="2025-09-15")
    with pytest.raises(asylum_kb.UnknownRuleError) as caught:
        result.value("asylum.eligibilty")
    assert isinstance(caught.value, KeyError)
    assert caught.value.rule_id == "asylum.eligibilty"
    assert caught.value.hint is not None and "'asylum.eligibility'" in caught.value.hint
    for lookup in (result.outcome, result.explanation):
        with pytest.raises(asylum_kb.UnknownRuleError):
            lookup("no.such.rule")


def test_dates_are_date_objects_in_python_and_iso_text_in_json(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate(CASE, as_of="2025-09-15")
    # The anniversary of the 2024-11-02 arrival is a Sunday: the last day is Monday (8 CFR 208.4(a)(2)(ii)).
    assert result.value("asylum.filing_deadline_date") == date(2025, 11, 3)
    assert result.outcome("asylum.filing_deadline_date").value == date(2025, 11, 3)
    assert result.facts["applicant.last_arrival_date"] == date(2024, 11, 2)
    data = result.to_dict()
    assert data["as_of"] == "2025-09-15"
    assert data["determinations"]["asylum.filing_deadline_date"]["value"] == "2025-11-03"


def test_case_id_is_echoed_and_is_not_a_fact(kb: asylum_kb.KnowledgeBase) -> None:
    result = kb.evaluate({**CASE, "id": "case-17"}, as_of="2025-09-15")
    assert result.id == "case-17" and next(iter(result.to_dict())) == "id"
    assert result.to_dict()["id"] == "case-17" and "id" not in result.facts
    assert kb.evaluate({**CASE, "id": 17}).to_dict()["id"] == 17
    assert "id" not in kb.evaluate(CASE).to_dict()


@pytest.mark.parametrize("case_id,code", [(True, "F301"), ({"n": 1}, "F301"), (2.5, "F301"), ("x" * 201, "F303")])
def test_a_case_id_that_is_not_text_or_a_whole_number_is_a_facts_error(
        kb: asylum_kb.KnowledgeBase, case_id: Any, code: str) -> None:
    with pytest.raises(asylum_kb.FactsError) as caught:
        kb.evaluate({**CASE, "id": case_id})
    assert [(d.code, d.path) for d in caught.value.diagnostics] == [(code, "id")]


def test_fact_errors_speak_of_numbers_not_python_types(kb: asylum_kb.KnowledgeBase) -> None:
    from decimal import Decimal

    with pytest.raises(asylum_kb.FactsError) as caught:
        kb.evaluate({"application": {"ead_clock_delay_days": Decimal("2.5")}})
    assert "Decimal" not in str(caught.value) and "the number 2.5" in str(caught.value)
