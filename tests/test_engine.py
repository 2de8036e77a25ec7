"""Evaluation and explanation on a small knowledge base: exceptions, unknowns, per-item rules, dates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import asylum_kb
import pytest
from kbfiles import write_kb

BASE = {"person": {"location": "inside", "arrived": "2024-01-10", "filed": "2025-03-01", "persecutor": False,
                   "excused": False, "kids": [{"name": "Ana", "born": "2005-01-01"}, {"name": "Ben", "born": "2003-06-01"}]}}


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> asylum_kb.KnowledgeBase:
    return asylum_kb.load(write_kb(tmp_path_factory.mktemp("mini")))


def case(**person: object) -> dict[str, object]:
    return {"person": {**BASE["person"], **person}}


def test_bar_applies_without_an_exception(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate(case(), as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "ineligible"
    late = result.outcome("mini.late")
    assert late.status == "fired"
    assert [(p.text, p.value) for p in late.reasons] == [("person.filed > person.arrived + 1 year", True)]
    assert late.reasons[0].facts == {"person.filed": date(2025, 3, 1), "person.arrived": date(2024, 1, 10)}


def test_exception_defeats_the_bar_and_the_explanation_says_so(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate(case(excused=True), as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "eligible"
    late = result.outcome("mini.late")
    assert late.status == "defeated" and late.defeated_by == ["mini.excuse"] and late.value is False
    tree = result.explanation("mini.eligibility")
    late_node = next(n for n in tree["because"] if n["rule"] == "mini.late")
    assert late_node["defeated_by"] == ["mini.excuse"]
    assert late_node["because"][0]["rule"] == "mini.excuse" and late_node["because"][0]["status"] == "fired"


def test_deadline_day_itself_is_on_time_and_the_next_day_is_late(mini: asylum_kb.KnowledgeBase) -> None:
    assert mini.evaluate(case(filed="2025-01-10"), as_of=date(2025, 9, 1)).value("mini.eligibility") == "eligible"
    assert mini.evaluate(case(filed="2025-01-11"), as_of=date(2025, 9, 1)).value("mini.eligibility") == "ineligible"


def test_a_decisive_known_fact_settles_the_answer_whatever_is_unknown(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate({"person": {"persecutor": True}}, as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "ineligible"
    assert result.outcome("mini.eligibility").facts_needed == []


def test_unknown_facts_make_the_answer_undetermined_and_are_listed(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate({"person": {"location": "inside", "persecutor": False, "arrived": "2024-01-10"}},
                           as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "undetermined"
    needed = result.outcome("mini.eligibility").facts_needed
    assert needed == ["person.filed", "person.excused"]
    assert result.to_dict()["determinations"]["mini.eligibility"]["status"] == "undetermined"
    # person.filed decides three determinations (eligibility, fee, kids); it comes first
    assert result.facts_needed[0] == "person.filed"


def test_only_facts_that_could_change_the_answer_are_needed(mini: asylum_kb.KnowledgeBase) -> None:
    # filed on time: the excuse cannot matter, so it is not asked for
    result = mini.evaluate({"person": {"location": "inside", "persecutor": False, "arrived": "2024-01-10",
                                       "filed": "2024-06-01"}}, as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "eligible"
    assert "person.excused" not in result.facts_needed


def test_dated_parameter_follows_the_filing_date_not_the_as_of_date(mini: asylum_kb.KnowledgeBase) -> None:
    assert mini.evaluate(case(filed="2025-07-21"), as_of=date(2026, 1, 1)).value("mini.fee") == 0
    assert mini.evaluate(case(filed="2025-07-22"), as_of=date(2026, 1, 1)).value("mini.fee") == 100


def test_rules_over_each_item_keep_input_order_and_explain_each_item(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate(case(), as_of=date(2025, 9, 1))
    assert result.value("mini.kids") == [{"name": "Ana", "value": "included"}, {"name": "Ben", "value": "not_eligible"}]
    items = result.outcome("mini.kids").items
    assert [label for label, _ in items] == ["Ana", "Ben"]
    ben = items[1][1]
    assert ben.reasons[0].text == "age_on(kid.born, person.filed) < 21" and ben.reasons[0].value is False
    assert ben.reasons[0].facts["kid.born"] == date(2003, 6, 1)


def test_unknown_item_field_is_named_by_its_position(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate(case(kids=[{"name": "Ana"}]), as_of=date(2025, 9, 1))
    assert result.value("mini.kids") == [{"name": "Ana", "value": "undetermined"}]
    assert result.outcome("mini.kids").facts_needed == ["person.kids[0].born"]


def test_result_records_version_as_of_and_eras(mini: asylum_kb.KnowledgeBase) -> None:
    data = mini.evaluate(case(), as_of=date(2025, 7, 22)).to_dict(explain=True)
    assert data["kb_version"] == "1.2.3" and data["as_of"] == "2025-07-22" and data["eras"] == ["fees.paid"]
    assert mini.evaluate(case(), as_of=date(2025, 7, 21)).to_dict()["eras"] == ["fees.free"]
    json.dumps(data)  # plain JSON data
    assert "not legal advice" in data["disclaimer"]
    assert set(data["explanations"]) == {"mini.eligibility", "mini.fee", "mini.kids"}


def test_as_of_comes_from_the_argument_then_the_document_then_today(mini: asylum_kb.KnowledgeBase) -> None:
    assert mini.evaluate({**case(), "as_of": "2025-02-01"}).as_of == date(2025, 2, 1)
    assert mini.evaluate({**case(), "as_of": "2025-02-01"}, as_of=date(2025, 3, 1)).as_of == date(2025, 3, 1)
    before = date.today()
    as_of = mini.evaluate(case()).as_of
    assert as_of in (before, date.today())  # a run that crosses midnight sees either day


def test_values_path_matches_the_explaining_path(mini: asylum_kb.KnowledgeBase) -> None:
    for person in (BASE["person"], {"location": "inside"}, {"persecutor": True}):
        flat, _ = mini.catalog.validate({"person": person})
        result = mini.evaluate({"person": person}, as_of=date(2025, 9, 1))
        assert mini.values(flat, date(2025, 9, 1)) == result.values


FACT_ERRORS = [
    ({"person": {"agee": 3}}, "F300", "unknown fact 'person.agee'", "did you mean 'person.age'?"),
    ({"persn": {}}, "F300", "unknown fact 'persn'", "did you mean 'person'?"),
    ({"person": {"age": "three"}}, "F301", "'person.age' must be a number, not the text 'three'", None),
    ({"person": {"age": True}}, "F301", "'person.age' must be a number", None),
    ({"person": {"age": 2.5}}, "F301", "'person.age' must be a whole number", None),
    ({"person": {"persecutor": "yes"}}, "F301", "'person.persecutor' must be true or false", None),
    ({"person": {"arrived": "2024-02-30"}}, "F301", "'person.arrived' must be a date", None),
    ({"person": {"location": "insid"}}, "F302", "'person.location' must be one of inside, outside", "did you mean 'inside'?"),
    ({"person": {"kids": [{"name": "A", "bron": "2001-01-01"}]}}, "F300", "unknown field 'person.kids[0].bron'", None),
    ({"person": {"kids": [{"born": 5}]}}, "F301", "'person.kids[0].born' must be a date", None),
    ({"person": {"kids": {"name": "A"}}}, "F301", "'person.kids' must be a list", None),
    ({"person": {"kids": [{"name": "x"}] * 101}}, "F303", "the limit is 100", None),
    ({"person": {"age": 10**13}}, "F302", "it must be between", None),
    ({"person": "inside"}, "F301", "'person' is a section", None),
    (["not", "a", "mapping"], "F304", "must be a mapping", None),
    ({"as_of": "soon"}, "F301", "'as_of' must be a date", None),
]


@pytest.mark.parametrize("document,code,message,hint", FACT_ERRORS, ids=[e[2][:40] for e in FACT_ERRORS])
def test_invalid_facts_are_errors_with_the_path(mini: asylum_kb.KnowledgeBase, document: object, code: str,
                                                message: str, hint: str | None) -> None:
    with pytest.raises(asylum_kb.FactsError) as info:
        mini.evaluate(document)  # type: ignore[arg-type]
    [diagnostic] = info.value.diagnostics
    assert diagnostic.code == code and message in diagnostic.message
    if hint:
        assert (diagnostic.hint or "").startswith(hint.rstrip("?"))


def test_null_means_unknown(mini: asylum_kb.KnowledgeBase) -> None:
    result = mini.evaluate({"person": {"persecutor": None, "location": None, "kids": None}}, as_of=date(2025, 9, 1))
    assert result.facts == {}
    assert result.value("mini.eligibility") == "undetermined"


def test_a_new_era_and_fee_need_only_yaml(tmp_path: Path) -> None:
    rules = write_kb(tmp_path)
    before = asylum_kb.load(rules).evaluate(case(filed="2027-02-01"), as_of=date(2027, 3, 1))
    assert before.value("mini.fee") == 100 and before.to_dict()["eras"] == ["fees.paid"]
    eras = (rules / "eras.yaml").read_text().replace(
        '        from: 2025-07-22\n        citations: ["Law B"]',
        '        from: 2025-07-22\n        to: 2027-01-01\n        citations: ["Law B"]\n'
        '      - id: fees.raised\n        title: Raised fee\n        from: 2027-01-01\n        citations: ["Law C"]')
    (rules / "eras.yaml").write_text(eras)
    with (rules / "parameters.yaml").open("a") as handle:
        handle.write("      - era: fees.raised\n        value: 150\n        citations: [\"Law C\"]\n")
    kb = asylum_kb.load(rules)
    assert kb.evaluate(case(filed="2026-12-31"), as_of=date(2027, 3, 1)).value("mini.fee") == 100
    after = kb.evaluate(case(filed="2027-02-01"), as_of=date(2027, 3, 1))
    assert after.value("mini.fee") == 150 and after.to_dict()["eras"] == ["fees.raised"]


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _example(kb: asylum_kb.KnowledgeBase, name: str) -> asylum_kb.Result:
    from asylum_kb.kb.factsio import parse_document

    path = EXAMPLES / name
    return kb.evaluate(parse_document(path.read_text(), str(path)))


def test_a_result_costs_what_is_asked_for(kb: asylum_kb.KnowledgeBase) -> None:
    result = _example(kb, "affirmative-grant.yaml")
    default = result.to_dict()
    assert "rules_not_fired" not in default and "explanations" not in default
    assert result.explainer.traces == {}  # a complete case: statuses come from the values path alone
    only = result.to_dict(explain=True, only=["asylum.eligibility"])
    assert list(only["determinations"]) == list(only["explanations"]) == ["asylum.eligibility"]
    assert only["rules_not_fired"] and set(only["rules_fired"]) <= set(default["rules_fired"])
    assert only["determinations"]["asylum.eligibility"] == default["determinations"]["asylum.eligibility"]
    values = result.to_dict(values_only=True)
    assert values["determinations"]["asylum.eligibility"] == {"value": "eligible", "status": "determined", "facts_needed": [],
                                                              "decided_by": default["determinations"]["asylum.eligibility"]["decided_by"]}
    assert set(values) - {"rulings", "warnings"} == {"as_of", "kb_version", "kb", "eras", "determinations", "facts_needed"}


def test_facts_still_needed_come_from_the_traces_when_a_case_is_sparse(kb: asylum_kb.KnowledgeBase) -> None:
    result = _example(kb, "intake-sparse.yaml")
    values = result.to_dict(values_only=True)
    assert "asylum.eligibility" in result.explainer.traces and len(result.explainer.traces) < len(kb.rules)
    assert values["facts_needed"] == result.to_dict()["facts_needed"] != []
    assert values["determinations"]["asylum.eligibility"]["status"] == "undetermined"


def test_only_an_unknown_determination_names_close_ones(kb: asylum_kb.KnowledgeBase) -> None:
    result = _example(kb, "affirmative-grant.yaml")
    with pytest.raises(ValueError, match="'asylum.eligibilty' is not a determination; did you mean 'asylum.eligibility'"):
        result.to_dict(only=["asylum.eligibilty"])


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_a_decimal_that_is_not_finite_is_a_fact_error(mini: asylum_kb.KnowledgeBase, value: str) -> None:
    from decimal import Decimal

    with pytest.raises(asylum_kb.FactsError) as info:  # found by the fuzzing suite (was OverflowError)
        mini.evaluate({"person": {"age": Decimal(value)}})
    assert [d.code for d in info.value.diagnostics] == ["F301"]


def test_a_knowledge_base_without_determinations_answers_its_rules(tmp_path: Path) -> None:
    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": RULES_WITHOUT_DETERMINATIONS}))
    result = kb.evaluate({"person": {"persecutor": True}}, as_of=date(2025, 9, 1))
    assert result.value("mini.persecutor") is True
    assert result.value("mini.late") is None  # filed and arrived are unknown: waiting for them
    assert result.to_dict(values_only=True)["determinations"] == {}
    assert result.facts_needed == []


RULES_WITHOUT_DETERMINATIONS = """\
ruleset:
  id: mini.rules
  title: Mini rules
  version: 1.0.0
rules:
  - id: mini.late
    title: Filed late
    kind: bar
    when: person.filed > person.arrived + 1 year
    citations: ["Statute 1"]
  - id: mini.persecutor
    title: Persecutor
    kind: bar
    when: person.persecutor
    citations: ["Statute 3"]
"""
