"""Loading rule directories: every load error is reported with its code, file, line and column."""

from __future__ import annotations

from pathlib import Path

import asylum_kb
import pytest
from kbfiles import ERAS, PARAMETERS, RULES, write_kb


def load_errors(tmp_path: Path, **files: str) -> list[asylum_kb.Diagnostic]:
    with pytest.raises(asylum_kb.RulesError) as info:
        asylum_kb.load(write_kb(tmp_path, **files))
    return info.value.diagnostics


def where(diagnostic: asylum_kb.Diagnostic) -> tuple[str, str, int, int]:
    assert diagnostic.position is not None
    return diagnostic.code, Path(diagnostic.file or "").name, diagnostic.position.line, diagnostic.position.column


def test_the_mini_knowledge_base_loads(tmp_path: Path) -> None:
    kb = asylum_kb.load(write_kb(tmp_path))
    assert list(kb.rules)[-1] in {"mini.eligibility", "mini.fee", "mini.kids"}
    assert kb.rules["mini.late"].defeated_by == ["mini.excuse"]
    assert kb.manifest.version == "1.2.3"


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("    kind: bar\n", "    kind: [bar\n", 1)})
    assert where(error)[:2] == ("E200", "rules.yaml")
    assert "YAML syntax error" in error.message


def test_schema_violation_points_at_the_key_and_suggests(tmp_path: Path) -> None:
    errors = load_errors(tmp_path, **{"rules.yaml": RULES.replace("    when: person.persecutor", "    whne: person.persecutor")})
    unexpected = next(e for e in errors if "unexpected key 'whne'" in e.message)
    assert where(unexpected) == ("E201", "rules.yaml", 20, 11)
    assert unexpected.rule_id == "mini.persecutor"
    assert unexpected.hint == "did you mean 'when'?"
    assert any("'when' is a required property" in e.message for e in errors)


def test_missing_citation_is_a_schema_error(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace('    citations: ["Statute 3"]\n', "")})
    assert where(error) == ("E201", "rules.yaml", 17, 5)
    assert "'citations' is a required property" in error.message and error.rule_id == "mini.persecutor"


def test_bad_kind_lists_the_allowed_kinds(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("kind: bar\n    when: person.persecutor",
                                                                   "kind: barr\n    when: person.persecutor")})
    assert where(error) == ("E201", "rules.yaml", 19, 11) and "criterion" in (error.hint or "")


def test_bad_expression_in_a_block_scalar_is_located_in_the_yaml_file(tmp_path: Path) -> None:
    broken = RULES.replace('if person.location == "inside" and not', 'if person.location == "inside" and and not')
    [error] = load_errors(tmp_path, **{"rules.yaml": broken})
    # the block scalar starts on the line after "value: |"; the second "and" is at column 42 of that line
    assert where(error) == ("E100", "rules.yaml", 26, 42)
    assert error.rule_id == "mini.eligibility"
    assert "and and not" in (error.position.source_line if error.position else "")


def test_unknown_fact_suggests_the_closest_name(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("when: person.persecutor", "when: person.persecuter")})
    assert where(error) == ("E120", "rules.yaml", 20, 11)
    assert (error.hint or "").startswith("did you mean 'person.persecutor'")


def test_type_error_in_a_plain_scalar(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("when: person.persecutor", "when: person.age + 1")})
    assert where(error) == ("E130", "rules.yaml", 20, 11)
    assert "expected boolean" in error.message


def test_enum_value_error_in_a_multiline_expression(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace('"inside" and', '"insid" and')})
    assert where(error) == ("E131", "rules.yaml", 26, 29)
    assert error.hint == "did you mean 'inside'?"


def test_duplicate_rule_id_names_the_first_definition(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"more.yaml": "ruleset: {id: more, title: More, version: 1.0.0}\n"
                                                    "rules:\n  - id: mini.late\n    title: Again\n    kind: bar\n"
                                                    "    when: person.excused\n    citations: [x y z]\n"})
    # files load in name order, so the copy in rules.yaml is the duplicate of the one in more.yaml
    assert where(error) == ("E202", "rules.yaml", 6, 9)
    assert "more.yaml:3" in error.message


def test_cycle_is_named(tmp_path: Path) -> None:
    cyclic = RULES + """\
  - id: mini.a
    title: Rule A
    kind: derived
    value: mini.b
    citations: ["x y z"]
  - id: mini.b
    title: Rule B
    kind: derived
    value: not mini.a
    citations: ["x y z"]
"""
    [error] = load_errors(tmp_path, **{"rules.yaml": cyclic})
    assert error.code == "E203"
    assert "mini.a → mini.b → mini.a" in error.message or "mini.b → mini.a → mini.b" in error.message


def test_overlapping_eras(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"eras.yaml": ERAS.replace("from: 2025-07-22\n        citations: [\"Law B\"]",
                                                                 "from: 2025-07-01\n        citations: [\"Law B\"]")})
    assert where(error) == ("E204", "eras.yaml", 12, 15)
    assert "overlaps era 'fees.free'" in error.message


def test_gap_between_eras(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"eras.yaml": ERAS.replace("from: 2025-07-22\n        citations: [\"Law B\"]",
                                                                 "from: 2025-08-01\n        citations: [\"Law B\"]")})
    assert where(error)[:2] == ("E205", "eras.yaml")


def test_unknown_era_in_a_parameter(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"parameters.yaml": PARAMETERS.replace("era: fees.free", "era: fees.fre")})
    assert where(error)[:2] == ("E206", "parameters.yaml") and error.hint == "did you mean 'fees.free'?"


def test_parameter_value_of_the_wrong_type(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"parameters.yaml": PARAMETERS.replace("value: 100", 'value: "a hundred"')})
    assert where(error)[:2] == ("E208", "parameters.yaml")


def test_exception_defeating_an_unknown_rule(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("defeats: [mini.late]", "defeats: [mini.lat]")})
    assert where(error) == ("E207", "rules.yaml", 14, 14) and (error.hint or "").startswith("did you mean 'mini.late'")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    [error] = load_errors(tmp_path, **{"rules.yaml": RULES.replace("    title: Persecutor\n",
                                                                   "    title: Persecutor\n    title: Again\n")})
    assert where(error) == ("E209", "rules.yaml", 19, 5)


def test_all_errors_of_a_stage_are_reported_together(tmp_path: Path) -> None:
    broken = RULES.replace("when: person.persecutor", "when: person.persecuter").replace(
        "when: person.excused", "when: person.excuse")
    assert [e.code for e in load_errors(tmp_path, **{"rules.yaml": broken})] == ["E120", "E120"]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(asylum_kb.RulesError) as info:
        asylum_kb.load(tmp_path / "nope")
    assert info.value.diagnostics[0].code == "E210"


def test_shipped_knowledge_base_is_valid(kb: asylum_kb.KnowledgeBase) -> None:
    assert len(kb.rules) > 50
    assert all(rule.citations for rule in kb.rules.values())


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1.0e+999999999"])
def test_a_parameter_value_that_is_not_a_finite_number_fails_validation(tmp_path: Path, value: str) -> None:
    [error] = load_errors(tmp_path, **{"parameters.yaml": PARAMETERS.replace("value: 100", f"value: {value}")})
    assert where(error) == ("E208", "parameters.yaml", 12, 16)


def test_a_duration_parameter_longer_than_the_calendar_fails_validation(tmp_path: Path) -> None:
    durations = PARAMETERS + """\
  - id: wait
    title: Wait
    type: duration
    citations: ["Law C"]
    values:
      - from: 2000-01-01
        value: 99999999999999999999 years
        citations: ["Law C"]
"""
    [error] = load_errors(tmp_path, **{"parameters.yaml": durations})
    assert where(error) == ("E208", "parameters.yaml", 20, 16)


@pytest.mark.parametrize("key", ["from", "to"])
def test_an_effective_date_that_is_not_on_the_calendar_is_located(tmp_path: Path, key: str) -> None:
    rules = RULES.replace("    when: person.persecutor\n",
                          f"    when: person.persecutor\n    effective: {{{key}: 2025-02-30}}\n", 1)
    [error] = load_errors(tmp_path, **{"rules.yaml": rules})
    assert where(error)[:3] == ("E201", "rules.yaml", 21)


DECIDED_BY = """\
    decided_by:
      - authority: a judge
        where: {WHERE}
        citations: ["Statute 9"]
"""


def with_decided_by(rule_id: str, where: str) -> str:
    """RULES with a decided_by block added at the end of one rule."""
    start = RULES.index(f"  - id: {rule_id}\n")
    end = RULES.find("\n  - id: ", start + 1) + 1 or len(RULES)
    return RULES[:end] + DECIDED_BY.replace("{WHERE}", where) + RULES[end:]


def test_decided_by_is_loaded_with_its_condition(tmp_path: Path) -> None:
    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": with_decided_by("mini.fee", "{mini.eligibility: eligible}")}))
    [entry] = kb.rules["mini.fee"].decided_by
    assert entry.authority == "a judge" and entry.where == (("mini.eligibility", "eligible"),)
    assert entry.holds({"mini.eligibility": "eligible"}) and not entry.holds({"mini.eligibility": "undetermined"})


@pytest.mark.parametrize("rule_id,where_text,line,column,hint", [
    ("mini.late", "{mini.eligibility: eligible}", 12, 7, None),                            # not a determination
    ("mini.fee", "{mini.eligibilty: eligible}", 36, 34, "did you mean 'mini.eligibility'?"),  # unknown rule
    ("mini.fee", "{mini.late: eligible}", 36, 28, "did you mean 'mini.fee'?"),             # a bar, not a determination
    ("mini.fee", "{mini.eligibility: eligble}", 36, 35, "did you mean 'eligible' or 'ineligible'?"),  # never its value
])
def test_decided_by_errors_are_located(tmp_path: Path, rule_id: str, where_text: str, line: int, column: int,
                                       hint: str | None) -> None:
    errors = load_errors(tmp_path, **{"rules.yaml": with_decided_by(rule_id, where_text)})
    assert [where(e) for e in errors] == [("E220", "rules.yaml", line, column)]
    assert errors[0].rule_id == rule_id
    assert errors[0].hint == hint
