"""Adversarial pass on the generated facts-needed walk and the result building (issue 13).

Pathological but valid knowledge bases, written with ``kbfiles.write_kb``: each test states what a
result must say and checks it on the fast path (``values_only``), the default result and the
explaining path. Each was a wrong answer, a crash or a memory blow-up when it was written (issue 13's
adversarial pass), and is fixed; they stay as regression tests.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import asylum_kb
import pytest
from kbfiles import write_kb

AS_OF = date(2025, 9, 15)
RULESET = "ruleset:\n  id: adv.rules\n  title: Adversarial rules\n  version: 1.0.0\nrules:\n"


def rule(rule_id: str, kind: str = "criterion", *, when: str | None = None, value: str | None = None,
         defeats: tuple[str, ...] = (), for_each: str | None = None) -> str:
    """One rule as YAML; expressions go in block scalars, so they need no quoting."""
    lines = [f"  - id: {rule_id}", f"    title: Rule {rule_id}", f"    kind: {kind}"]
    for key, text in (("when", when), ("value", value)):
        if text is not None:
            lines += [f"    {key}: |", f"      {text}"]
    if defeats:
        lines.append(f"    defeats: [{', '.join(defeats)}]")
    if for_each:
        lines.append(f"    for_each: {for_each}")
    lines.append('    citations: ["Statute 1"]')
    return "\n".join(lines)


def load(tmp_path: Path, *rules: str) -> asylum_kb.KnowledgeBase:
    return asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": RULESET + "\n".join(rules) + "\n"}))


def results(kb: asylum_kb.KnowledgeBase, facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each determination's value, status and facts needed, after checking that the values-only result, the default
    result and the explaining path agree on them (as tests/test_properties.py does for the shipped rules)."""
    brief = kb.evaluate(facts, as_of=AS_OF).to_dict(values_only=True)["determinations"]
    full = kb.evaluate(facts, as_of=AS_OF).to_dict()["determinations"]
    assert brief == {rule_id: {key: d[key] for key in ("value", "status", "facts_needed", "decided_by") if key in d}
                     for rule_id, d in full.items()}
    explainer = kb.evaluate(facts, as_of=AS_OF).explainer
    for rule_id, known in kb.rules.items():
        assert explainer.summary(rule_id) == explainer._build(known), rule_id
    return brief


KIDS = "{var: kid, in: person.kids, label: name}"


def test_a_quantifier_body_that_waits_for_a_fact_outside_the_item_names_that_fact(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.any", "outcome",
                             value='if (any k in person.kids: k.born < person.filed) then "yes" else "no"'))
    found = results(kb, {"person": {"kids": [{"name": "A", "born": "2000-01-01"}]}})["adv.any"]
    assert (found["status"], found["facts_needed"]) == ("undetermined", ["person.filed"])


def test_a_quantifier_body_that_reads_an_unknown_rule_is_undetermined_and_needs_its_facts(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.persecutor", when="person.persecutor"),
              rule("adv.any", "outcome", value='if (any k in person.kids: adv.persecutor) then "yes" else "no"'))
    found = results(kb, {"person": {"kids": [{"name": "A", "born": "2000-01-01"}]}})["adv.any"]
    assert found == {"value": "undetermined", "status": "undetermined", "facts_needed": ["person.persecutor"]}


def test_the_same_quantifier_with_every_fact_known_is_determined(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.persecutor", when="person.persecutor"),
              rule("adv.any", "outcome", value='if (any k in person.kids: adv.persecutor) then "yes" else "no"'))
    found = results(kb, {"person": {"persecutor": True, "kids": [{"name": "A"}]}})["adv.any"]
    assert found == {"value": "yes", "status": "determined", "facts_needed": []}


def test_a_per_item_rule_reading_another_per_item_rule_with_unknown_items_is_undetermined(tmp_path: Path) -> None:
    kb = load(tmp_path,
              rule("adv.first", "outcome", for_each=KIDS, value='if kid.born < person.filed then "a" else "b"'),
              rule("adv.second", "outcome", for_each=KIDS, value='if "a" in adv.first then "x" else "y"'))
    found = results(kb, {"person": {"kids": [{"name": "A", "born": "2000-01-01"}]}})
    assert found["adv.first"] == {"value": [{"name": "A", "value": "undetermined"}], "status": "undetermined",
                                  "facts_needed": ["person.filed"]}
    assert found["adv.second"] == {"value": [{"name": "A", "value": "undetermined"}], "status": "undetermined",
                                   "facts_needed": ["person.filed"]}


def test_an_outcome_reading_a_per_item_list_with_unknown_items_is_undetermined(tmp_path: Path) -> None:
    kb = load(tmp_path,
              rule("adv.first", "outcome", for_each=KIDS, value='if kid.born < person.filed then "a" else "b"'),
              rule("adv.summary", "outcome", value='if "a" in adv.first then "x" else "y"'))
    found = results(kb, {"person": {"kids": [{"name": "A", "born": "2000-01-01"}]}})["adv.summary"]
    assert found == {"value": "undetermined", "status": "undetermined", "facts_needed": ["person.filed"]}
    settled = results(kb, {"person": {"filed": "2001-01-01", "kids": [{"name": "A", "born": "2000-01-01"}]}})
    assert settled["adv.summary"] == {"value": "x", "status": "determined", "facts_needed": []}


@pytest.mark.parametrize("value", ["person.filed + 2 days", "if person.excused then person.arrived else person.filed + 2 days"])
def test_an_outcome_whose_date_falls_outside_the_calendar_is_undetermined(tmp_path: Path, value: str) -> None:
    kb = load(tmp_path, rule("adv.date", "outcome", value=value))
    facts = {"person": {"filed": "9999-12-31", "excused": False}}
    result = kb.evaluate(facts, as_of=AS_OF).to_dict()
    assert [(w["code"], w["rule"]) for w in result["warnings"]] == [("W101", "adv.date")]
    assert results(kb, facts)["adv.date"]["status"] == "undetermined"


def _chain(length: int) -> list[str]:
    """``adv.r0`` ← ``adv.r1`` ← … each reading the one before, and an outcome reading the last."""
    return [rule("adv.r0", when="person.persecutor"),
            *(rule(f"adv.r{i}", when=f"adv.r{i - 1} and person.age > {i}") for i in range(1, length)),
            rule("adv.end", "outcome", value=f'if adv.r{length - 1} then "yes" else "no"')]


def test_a_chain_of_300_rules_is_explained(tmp_path: Path) -> None:
    kb = load(tmp_path, *_chain(300))
    result = kb.evaluate({"person": {"persecutor": True, "age": 5000}}, as_of=AS_OF).to_dict(explain=True)
    assert result["determinations"]["adv.end"]["status"] == "determined"
    depth, node = 0, result["explanations"]["adv.end"]
    while node["because"]:
        depth, node = depth + 1, node["because"][0]
    assert (depth, node["rule"]) == (300, "adv.r0")
    assert results(kb, {"person": {"age": 5000}})["adv.end"]["facts_needed"] == ["person.persecutor"]


def test_a_chain_of_500_rules_is_explained(tmp_path: Path) -> None:
    kb = load(tmp_path, *_chain(500))
    result = kb.evaluate({"person": {"persecutor": True, "age": 5000}}, as_of=AS_OF).to_dict(explain=True)
    assert result["determinations"]["adv.end"] == {
        "value": "yes", "status": "determined", "title": "Rule adv.end", "rules_fired": ["adv.end"] + [
            f"adv.r{i}" for i in range(499, -1, -1)], "facts_needed": [], "citations": [{"source": "Statute 1"}]}
    depth, node = 0, result["explanations"]["adv.end"]
    while node["because"]:
        depth, node = depth + 1, node["because"][0]
    assert (depth, node["rule"]) == (500, "adv.r0")


def test_the_minimum_over_an_empty_list_needs_no_fact(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.eldest", "outcome", when="(min k in person.kids: k.born) < @2010-01-01",
                             value='"x"'))
    found = results(kb, {"person": {"kids": []}})["adv.eldest"]
    assert found["facts_needed"] == []





def test_a_yes_no_outcome_whose_condition_fails_is_not_applicable_like_any_other_outcome(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.yes_no", "outcome", when="person.excused", value="person.persecutor"),
              rule("adv.number", "outcome", when="person.excused", value="person.age + 1"))
    found = results(kb, {"person": {"excused": False, "persecutor": True, "age": 5}})
    assert found["adv.number"] == {"value": None, "status": "not_applicable", "facts_needed": []}
    assert found["adv.yes_no"] == {"value": None, "status": "not_applicable", "facts_needed": []}



def test_business_days_in_the_calendars_last_year_have_an_answer(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.next_day", "outcome", value="next_business_day(person.filed)"),
              rule("adv.business_day", when="is_business_day(person.filed)"))
    found = results(kb, {"person": {"filed": "9999-06-01"}})  # a Tuesday, no holiday
    assert found["adv.next_day"] == {"value": "9999-06-01", "status": "determined", "facts_needed": []}
    assert kb.evaluate({"person": {"filed": "9999-06-01"}}, as_of=AS_OF).explainer.status("adv.business_day") == "fired"


def test_business_days_in_an_ordinary_year(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.next_day", "outcome", value="next_business_day(person.filed)"))
    assert results(kb, {"person": {"filed": "2025-07-04"}})["adv.next_day"]["value"] == "2025-07-07"


def test_exact_division_stays_exact_for_the_longest_number_literals(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.exact", when="999999999999999999999999999999 / 1 == 999999999999999999999999999999"),
              rule("adv.shown", "outcome", value="if adv.exact then \"exact\" else \"rounded\""))
    assert results(kb, {"person": {}})["adv.shown"]["value"] == "exact"



def test_a_per_item_yes_no_outcome_whose_condition_fails_is_not_left_undetermined(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.older", "outcome", for_each=KIDS, when="person.excused", value="kid.born < person.filed"),
              rule("adv.label", "outcome", for_each=KIDS, when="person.excused", value='"older"'))
    found = results(kb, {"person": {"excused": False, "filed": "2020-01-01", "kids": [{"name": "A", "born": "2000-01-01"}]}})
    assert found["adv.label"] == {"value": [{"name": "A", "value": "undetermined"}], "status": "determined",
                                  "facts_needed": []}
    assert (found["adv.older"]["status"], found["adv.older"]["facts_needed"]) != ("undetermined", [])



def test_an_outcome_whose_branches_agree_is_determined_whatever_its_condition(tmp_path: Path) -> None:
    text = "\n    otherwise: |\n      {}"
    kb = load(tmp_path, rule("adv.word", "outcome", when="person.excused", value='"x"') + text.format('"x"'),
              rule("adv.number", "outcome", when="person.excused", value="person.age") + text.format("person.age"))
    found = results(kb, {"person": {"age": 4}})
    assert found["adv.word"] == {"value": "x", "status": "determined", "facts_needed": []}
    assert found["adv.number"] == {"value": 4, "status": "determined", "facts_needed": []}


DECIDED_BY = """
    decided_by:
      - authority: the first office
        where: {adv.procedure: "first"}
        citations: ["Statute 1"]
      - authority: the second office
        where: {adv.procedure: "second"}
        citations: ["Statute 1"]"""


@pytest.mark.parametrize("procedure", [
    rule("adv.procedure", "outcome", when="person.excused", value='if person.persecutor then "first" else "second"'),
    rule("adv.procedure", "outcome", value='if person.persecutor then "first" else "second"')
    + "\n    effective: {to: 2020-01-01}"], ids=["not_applicable", "not_in_force"])
def test_who_decides_is_settled_when_the_determination_it_reads_is_settled_without_a_value(
        tmp_path: Path, procedure: str) -> None:
    kb = load(tmp_path, procedure, rule("adv.eligibility", "outcome", value='if person.age > 1 then "eligible" else "no"')
              + DECIDED_BY)
    found = results(kb, {"person": {"excused": False, "persecutor": True, "age": 5}})
    assert found["adv.procedure"]["status"] in ("not_applicable", "not_in_force")
    assert found["adv.procedure"]["facts_needed"] == []
    assert [entry for entry in found["adv.eligibility"].get("decided_by", []) if not entry["settled"]] == []


def test_who_decides_follows_the_determination_it_reads(tmp_path: Path) -> None:
    kb = load(tmp_path, rule("adv.procedure", "outcome", when="person.excused",
                             value='if person.persecutor then "first" else "second"'),
              rule("adv.eligibility", "outcome", value='if person.age > 1 then "eligible" else "no"') + DECIDED_BY)
    settled = results(kb, {"person": {"excused": True, "persecutor": True, "age": 5}})["adv.eligibility"]
    assert settled["decided_by"] == [{"authority": "the first office", "settled": True}]
    waiting = results(kb, {"person": {"excused": True, "age": 5}})["adv.eligibility"]
    assert waiting["decided_by"] == [{"authority": "the first office", "settled": False},
                                     {"authority": "the second office", "settled": False}]


ADDRESS_SPACE_CAP = 2_000_000 * 1024  # as `ulimit -v 2000000`, the cap tests/test_adversarial.py runs the CLI under
CLI = [sys.executable, "-c", "import sys; from asylum_kb.cli.main import main; sys.argv[0] = 'asylum-kb'; main()"]


def _wide_condition() -> str:
    """An ``or`` of rule-reading parts just under the 20,000-character expression limit."""
    parts: list[str] = []
    while len(" or ".join(parts)) < 19_000:
        parts.append(f"(adv.base and person.age == {len(parts)})")
    return " or ".join(parts)


def _cap_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def test_thirty_rules_at_the_expression_length_limit_load_within_two_gigabytes(tmp_path: Path) -> None:
    condition = _wide_condition()
    assert len(condition) <= 20_000  # valid: under the documented limit
    rules = write_kb(tmp_path, **{"rules.yaml": RULESET + "\n".join(
        [rule("adv.base", when="person.persecutor"),
         *(rule(f"adv.wide{i}", when=condition) for i in range(30)),
         rule("adv.end", "outcome", value='if adv.wide29 then "yes" else "no"')]) + "\n"})
    (tmp_path / "case.json").write_text(json.dumps({"person": {"persecutor": True, "age": 3}}), encoding="utf-8")
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([*CLI, "eval", str(tmp_path / "case.json"), "--rules", str(rules), "--as-of", "2025-09-15",
                           "--format", "json", "--values-only"], capture_output=True, timeout=120, env=env,
                          preexec_fn=_cap_address_space, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    assert json.loads(done.stdout)["determinations"]["adv.end"] == {"value": "yes", "status": "determined",
                                                                     "facts_needed": []}


def test_an_answer_reading_a_date_outside_the_calendar_is_undetermined_too(tmp_path: Path) -> None:
    # docs/engine.md, "Dates outside the calendar": the answers that read such a date are undetermined, not only
    # the rule that computes it.
    kb = load(tmp_path, rule("adv.date", "derived", value="person.filed + 2 days"),
              rule("adv.reader", "outcome", value='if adv.date > @2020-01-01 then "late" else "early"'))
    facts = {"person": {"filed": "9999-12-31"}}
    found = results(kb, facts)
    assert found["adv.reader"] == {"value": "undetermined", "status": "undetermined", "facts_needed": []}
    warnings = kb.evaluate(facts, as_of=AS_OF).to_dict()["warnings"]
    assert [(w["code"], w["rule"]) for w in warnings] == [("W101", "adv.date")]
    assert results(kb, {"person": {"filed": "2025-01-01"}})["adv.reader"]["status"] == "determined"
