"""asylum-kb diff: two as-of dates, and two versions of the knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from asylum_kb.cli.main import main
from click.testing import CliRunner
from kbfiles import RULES, write_kb

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_as_of_diff_across_the_2025_fee_change_lists_fee_parameters_and_changed_cases() -> None:
    code, out = run("diff", "--as-of", "2025-07-01", "--as-of", "2025-09-01", "--scenarios", str(ROOT / "examples"),
                    "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert report["eras"] == {"a": ["fees.no_asylum_fee", "border.proclamation_10888", "ead.clock_restored"],
                              "b": ["fees.hr1", "border.proclamation_10888", "ead.clock_restored"]}
    fees = {p["parameter"]: (p["a"], p["b"]) for p in report["parameters"]}
    assert fees["fee.i589"] == (0, 100) and fees["fee.ead_initial_c8"] == (0, 550) and fees["fee.annual_asylum"] == (None, 100)
    changes = {c["case"]: {x["determination"]: (x["a"], x["b"]) for x in c["changes"]} for c in report["cases"]}
    assert changes["affirmative-grant"]["fees.ead_initial"] == (0, 550)
    assert sorted(report["rules"]["in_force_only_in_b"]) == [
        "fees.annual_asylum_collection_allowed", "fees.annual_asylum_due", "fees.annual_asylum_owed",
        "fees.annual_asylum_owed_earlier_filing"]


def test_text_diff_is_readable() -> None:
    code, out = run("diff", "--as-of", "2025-07-01", "--as-of", "2025-09-01", "--scenarios",
                    str(ROOT / "examples" / "affirmative-grant.yaml"))
    assert code == 0
    assert "fee.i589: 0 (from 1997-04-01) → 100 (from 2025-07-22)" in out
    assert "fee.annual_asylum: no value → 100 (from 2025-07-04)" in out
    assert "affirmative-grant\n    fees.ead_initial: 0 → 550" in out


def test_two_versions_of_the_rules(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{
        "parameters.yaml": (old / "parameters.yaml").read_text().replace("value: 100", "value: 120"),
        "rules.yaml": RULES.replace('if person.location == "inside" and not mini.late',
                                    'if person.location == "inside" and not mini.late and person.age >= 18')})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2025-09-01\nperson: {location: inside, arrived: 2025-01-01, filed: 2025-08-01, "
                    "persecutor: false, excused: false, age: 17}\n")
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--scenarios", str(case), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["rules"]["changed"] == ["mini.eligibility"]
    # parameters are compared as of today when no --as-of is given; the cases use their own as-of date
    assert [(p["parameter"], p["a"], p["b"]) for p in report["parameters"]] == [("fee.form", 100, 120)]
    changes = {c["determination"]: (c["a"], c["b"]) for c in report["cases"][0]["changes"]}
    assert changes == {"mini.eligibility": ("eligible", "ineligible"), "mini.fee": (100, 120)}


def test_diff_needs_two_sides() -> None:
    code, out = run("diff", "--as-of", "2025-01-01")
    assert code == 2 and "give --as-of twice" in out


def test_a_new_court_ruling_is_a_changed_rule_and_changes_answers_from_its_date(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    ruling = ('    rulings:\n      - {court: D.D.C., case: Doe v. Agency, date: 2025-05-09, effect: vacated, '
              'status: under_appeal, citations: ["Doe v. Agency"]}\n')
    persecutor = '    when: person.persecutor\n    citations: ["Statute 3"]\n'
    new = write_kb(tmp_path / "new", **{"rules.yaml": RULES.replace(persecutor, persecutor + ruling)})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2025-09-01\nperson: {location: inside, arrived: 2025-01-01, filed: 2025-08-01, "
                    "persecutor: true, excused: false}\n")
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--scenarios", str(case), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["rules"]["changed"] == ["mini.persecutor"]
    changes = {c["determination"]: (c["a"], c["b"]) for c in report["cases"][0]["changes"]}
    assert changes["mini.eligibility"] == ("ineligible", "eligible")
