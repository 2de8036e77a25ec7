"""Each lint code: a rule file that triggers it and one that does not; the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import asylum_kb
import pytest
from asylum_kb.cli.main import main
from asylum_kb.tools.lint import lint
from click.testing import CliRunner
from kbfiles import PARAMETERS, RULES, write_kb

USE_AGE = """\
  - id: mini.adult
    title: Adult
    kind: outcome
    value: person.age >= 18
    citations: ["Statute 9"]
"""


def codes(tmp_path: Path, **files: str) -> dict[str, list[str | None]]:
    found: dict[str, list[str | None]] = {}
    for finding in lint(asylum_kb.load(write_kb(tmp_path, **files))):
        found.setdefault(finding.code, []).append(finding.rule_id or finding.message)
    return found


def rule(rule_id: str, kind: str, body: str) -> str:
    return f"  - id: {rule_id}\n    title: Rule {rule_id}\n    kind: {kind}\n{body}    citations: [\"Statute 9\"]\n"


def test_l001_unused_fact(tmp_path: Path) -> None:
    assert any("person.age" in str(m) for m in codes(tmp_path)["L001"])
    assert "L001" not in codes(tmp_path / "b", **{"rules.yaml": RULES + USE_AGE})


def test_l002_unused_derived_rule(tmp_path: Path) -> None:
    unused = rule("mini.adult_flag", "derived", "    value: person.age >= 18\n")
    assert codes(tmp_path, **{"rules.yaml": RULES + unused})["L002"] == ["mini.adult_flag"]
    used = unused + rule("mini.adult", "outcome", "    value: mini.adult_flag\n")
    assert "L002" not in codes(tmp_path / "b", **{"rules.yaml": RULES + used})


@pytest.mark.parametrize("condition", [
    "person.persecutor and not person.persecutor",
    'person.location == "inside" and person.location == "outside"',
    "not person.excused and person.persecutor and person.excused",
])
def test_l003_condition_that_can_never_be_true(tmp_path: Path, condition: str) -> None:
    never = rule("mini.never", "criterion", f"    when: {condition}\n")
    assert codes(tmp_path, **{"rules.yaml": RULES + never + USE_AGE})["L003"] == ["mini.never"]


def test_l003_not_for_a_condition_that_can_hold(tmp_path: Path) -> None:
    fine = rule("mini.sometimes", "criterion", '    when: person.persecutor or person.location == "outside"\n')
    assert "L003" not in codes(tmp_path, **{"rules.yaml": RULES + fine + USE_AGE})


def test_l004_effective_outside_every_era(tmp_path: Path) -> None:
    old = rule("mini.old", "criterion", "    when: person.excused\n    effective: {from: 1990-01-01, to: 1995-01-01}\n")
    assert codes(tmp_path, **{"rules.yaml": RULES + old})["L004"] == ["mini.old"]
    recent = old.replace("from: 1990-01-01, to: 1995-01-01", "from: 2001-01-01")
    assert "L004" not in codes(tmp_path / "b", **{"rules.yaml": RULES + recent})


EXTRA_PARAMETER = """\
  - id: fee.other
    title: Another fee
    type: money
    citations: ["Fee law"]
    values:
      - from: 2020-01-01
        value: 5
        citations: ["Fee law"]
"""


def test_l005_unused_parameter(tmp_path: Path) -> None:
    assert codes(tmp_path, **{"parameters.yaml": PARAMETERS + EXTRA_PARAMETER})["L005"] == ["fee.other"]
    assert "L005" not in codes(tmp_path / "b")


def test_l006_value_before_the_introducing_era(tmp_path: Path) -> None:
    introduced = EXTRA_PARAMETER.replace("    type: money\n", "    type: money\n    introduced_by: fees.paid\n")
    assert codes(tmp_path, **{"parameters.yaml": PARAMETERS + introduced})["L006"] == ["fee.other"]
    earlier_era = introduced.replace("introduced_by: fees.paid", "introduced_by: fees.free")
    assert "L006" not in codes(tmp_path / "b", **{"parameters.yaml": PARAMETERS + earlier_era})


def test_l007_unverified_rule(tmp_path: Path) -> None:
    unverified = RULES.replace("    when: person.persecutor\n", "    when: person.persecutor\n    confidence: unverified\n")
    assert codes(tmp_path, **{"rules.yaml": unverified})["L007"] == ["mini.persecutor"]
    assert "L007" not in codes(tmp_path / "b")


def test_l008_duplicate_rules_in_force_together(tmp_path: Path) -> None:
    twin = rule("mini.persecutor_again", "bar", "    when: person.persecutor\n")
    assert codes(tmp_path, **{"rules.yaml": RULES + twin})["L008"] == ["mini.persecutor_again"]
    not_together = rule("mini.persecutor_old", "bar", "    when: person.persecutor\n    effective: {to: 2000-01-02}\n")
    assert "L008" not in codes(tmp_path / "b", **{"rules.yaml": RULES.replace(
        "    when: person.persecutor\n", "    when: person.persecutor\n    effective: {from: 2000-01-02}\n") + not_together})


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_lint_cli_exit_codes_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")
    code, out = run("lint", str(write_kb(tmp_path / "warn")))
    assert code == 0 and "warning L001" in out and "0 error(s)" in out
    never = rule("mini.never", "criterion", "    when: person.excused and not person.excused\n")
    code, out = run("lint", str(write_kb(tmp_path / "err", **{"rules.yaml": RULES + never})), "--format", "json")
    findings = json.loads(out)
    assert code == 1 and any(f["code"] == "L003" and f["severity"] == "error" and f["line"] for f in findings)
    broken = write_kb(tmp_path / "broken", **{"rules.yaml": RULES.replace("person.excused", "person.excuse")})
    assert run("lint", str(broken))[0] == 4


def test_shipped_knowledge_base_has_no_lint_errors(kb: asylum_kb.KnowledgeBase) -> None:
    assert [f.render() for f in lint(kb) if f.severity == "error"] == []


def test_test_command_reports_failures_with_a_diff_and_coverage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")
    rules = write_kb(tmp_path)
    scenarios = tmp_path / "cases.yaml"
    scenarios.write_text(
        "defaults:\n  as_of: 2025-09-01\ncases:\n"
        "  - name: persecutor\n    facts: {person: {persecutor: true}}\n    expect: {mini.eligibility: ineligible}\n"
        "  - name: wrong on purpose\n    facts: {person: {persecutor: true}}\n    expect: {mini.eligibility: eligible}\n")
    code, out = run("test", str(scenarios), "--rules", str(rules), "--coverage")
    assert code == 1
    assert "PASS: persecutor" in out and "FAIL: wrong on purpose" in out
    assert "mini.eligibility: expected 'eligible', got 'ineligible'" in out and "1/2 scenarios passed" in out
    assert "not exercised: mini.excuse defeats mini.late" in out
    code, out = run("test", str(scenarios), "--rules", str(rules), "--coverage", "--format", "json")
    report = json.loads(out)
    assert report["passed"] == 1 and report["total"] == 2 and 0 < report["coverage"]["percent"] < 100


def test_malformed_scenario_file_is_reported_with_its_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - name: no expectations\n    facts: {}\n  - {name: x, expect: {}, asof: 2025-01-01}\n")
    code, out = run("test", str(bad), "--rules", str(write_kb(tmp_path)))
    assert code == 4 and "bad.yaml:2:5" in out and "bad.yaml:4:5" in out and "unknown key(s) asof" in out


@pytest.mark.parametrize("text,where", [("- 1\n", "s.yaml:1:1"), ("42\n", "s.yaml:1:1"),
                                        ("# a note\ncases: {a: 1}\n", "s.yaml:2:8")])
def test_a_scenario_file_without_a_cases_list_is_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                                         where: str) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")
    (tmp_path / "s.yaml").write_text(text)
    code, out = run("test", str(tmp_path / "s.yaml"), "--rules", str(write_kb(tmp_path)))
    assert code == 4 and f"{where}: error S100" in out
