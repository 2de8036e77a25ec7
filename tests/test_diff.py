"""asylum-kb diff: two as-of dates, and two versions of the knowledge base."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from asylum_kb.cli.main import main
from click.testing import CliRunner
from kbfiles import ERAS, FACTS, PARAMETERS, RULES, write_kb

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
    # As of 2025-07-01 the case's filing (2025-08-20) lies ahead: its deadline is not yet due.
    assert "affirmative-grant\n    asylum.one_year_deadline: not_yet_due → met\n    fees.ead_initial: 0 → 550" in out


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
    assert code == 0 and report["mode"] == "rules" and report["differs"] is True
    [rule] = report["timeline"]["rules"]
    assert (rule["rule"], rule["change"], rule["effective"], list(rule["fields"])) == \
        ("mini.eligibility", "changed", None, ["value"])
    assert [(p["parameter"], p["effective"], p["a"], p["b"]) for p in report["timeline"]["parameters"]] == \
        [("fee.form", "2025-07-22", 100, 120)]
    assert report["change_dates"] == ["2025-07-22"]
    # the case is evaluated on its own as-of date and on each change date
    found = {d["as_of"]: {c["determination"]: (c["a"], c["b"]) for c in d["changes"]} for d in report["cases"][0]["dates"]}
    assert found == {"2025-07-22": {"mini.eligibility": ("eligible", "ineligible"), "mini.fee": (100, 120)},
                     "2025-09-01": {"mini.eligibility": ("eligible", "ineligible"), "mini.fee": (100, 120)}}


def shipped_rules_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", copy, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return copy


FUTURE_FEE = """\
      - from: 2026-01-01
        value: 100
        citations:
          - "90 FR 52693 (Nov 21 2025), FY2026 inflation notice"
          - "P.L. 119-21 §100002(c): the yearly inflation adjustment is rounded to the next lowest multiple of $10"
        notes: The inflation adjustment is rounded down to a multiple of $10, which for FY2026 leaves the fee at $100.
"""


def test_a_future_dated_fee_is_named_with_its_date(tmp_path: Path) -> None:
    """The review case of issue 14: one new dated value, invisible on any date before it."""
    new = shipped_rules_copy(tmp_path)
    fees = new / "parameters" / "fees.yaml"
    assert FUTURE_FEE in fees.read_text()
    fees.write_text(fees.read_text().replace(
        FUTURE_FEE, FUTURE_FEE + '      - from: 2027-01-01\n        value: 150\n        citations: ["A future notice"]\n', 1))
    case = tmp_path / "files-in-2027.yaml"
    case.write_text((ROOT / "examples" / "affirmative-grant.yaml").read_text().replace("as_of: 2025-09-15", "as_of: 2027-03-01")
                    .replace("filing_date: 2025-08-20", "filing_date: 2027-02-01"))
    assert "2027-02-01" in case.read_text()
    code, out = run("diff", "--rules", str(ROOT / "rules"), "--rules", str(new), "--scenarios", str(case), "--exit-code")
    assert code == 1
    assert "fee.i589 from 2027-01-01: 100 (from 2026-01-01) → 150 (from 2027-01-01)" in out
    assert "Rules:\n  no differences" in out and "Eras:\n  no differences" in out
    assert "files-in-2027, as of 2027-01-01\n    fees.asylum_application: 100 → 150" in out
    assert "files-in-2027, as of 2027-03-01\n    fees.asylum_application: 100 → 150" in out


def test_identical_rules_have_no_differences_and_exit_0(tmp_path: Path) -> None:
    code, out = run("diff", "--rules", str(ROOT / "rules"), "--rules", str(shipped_rules_copy(tmp_path)),
                    "--scenarios", str(ROOT / "examples"), "--exit-code", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["differs"] is False and report["cases"] == []
    assert all(not entries for entries in report["timeline"].values())


def test_as_of_diff_exit_code(tmp_path: Path) -> None:
    assert run("diff", "--as-of", "2025-07-01", "--as-of", "2025-09-01", "--exit-code")[0] == 1
    assert run("diff", "--as-of", "2025-09-01", "--as-of", "2025-09-02", "--exit-code")[0] == 0


EDITED = {
    "eras.yaml": ERAS.replace("to: 2025-07-22", "to: 2025-08-01").replace("from: 2025-07-22", "from: 2025-08-01"),
    "parameters.yaml": PARAMETERS.replace("from: 2025-07-22", "from: 2025-08-01").replace('["Law B"]', '["Law B, as amended"]'),
    "facts.yaml": FACTS.replace("values: [inside, outside]", "values: [inside, outside, border]")
                       .replace("  person.excused:\n    type: boolean\n    question: Is the delay excused?\n", "")
                  + "  person.name:\n    type: string\n    question: Name?\n",
    "rules.yaml": RULES.replace("    when: person.excused\n", "    when: person.age < 18\n")
                       .replace('    when: person.persecutor\n    citations: ["Statute 3"]',
                                '    when: person.persecutor\n    effective: {from: 2026-01-01}\n    confidence: unverified\n'
                                '    citations: ["Statute 3", "Case 7"]')
                       + "  - id: mini.new_bar\n    title: New bar\n    kind: bar\n    effective: {from: 2026-06-01}\n"
                         "    when: person.age > 90\n    citations: [\"Statute 8\"]\n",
}


def test_whole_timelines_name_every_kind_of_change_and_its_date(tmp_path: Path) -> None:
    old, new = write_kb(tmp_path / "old"), write_kb(tmp_path / "new", **EDITED)
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--format", "json")
    timeline = json.loads(out)["timeline"]
    assert code == 0
    eras = {e["era"]: (e["effective"], e["fields"]) for e in timeline["eras"]}
    assert eras == {"fees.free": ("2025-07-22", {"to": {"a": "2025-07-22", "b": "2025-08-01"}}),
                    "fees.paid": ("2025-07-22", {"from": {"a": "2025-07-22", "b": "2025-08-01"}})}
    values = [(p["change"], p["effective"], p["until"], p["a"], p["b"], p.get("fields")) for p in timeline["parameters"]]
    assert values == [("value", "2025-07-22", "2025-08-01", 100, 0, None),
                      ("value sources", "2025-08-01", None, 100, 100,
                       {"citations": {"a": ["Law B"], "b": ["Law B, as amended"]}})]
    rules = {r["rule"]: (r["change"], r["effective"], sorted(r.get("fields", {}))) for r in timeline["rules"]}
    assert rules["mini.persecutor"] == ("changed", "2026-01-01", ["citations", "confidence", "effective_from"])
    assert rules["mini.excuse"] == ("changed", None, ["when"])
    assert rules["mini.new_bar"] == ("added", "2026-06-01", [])
    facts = {f["fact"]: (f["change"], f["a"], f["b"]) for f in timeline["facts"]}
    assert facts == {"person.excused": ("removed", "boolean", None), "person.name": ("added", None, "string"),
                     "person.location": ("retyped", "one of inside, outside", "one of inside, outside, border")}


def test_an_exception_added_to_a_bar_shows_on_the_bar(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{"rules.yaml": RULES + (
        "  - id: mini.reformed\n    title: Reformed\n    kind: exception\n    defeats: [mini.persecutor]\n"
        "    when: person.age < 16\n    citations: [\"Statute 6\"]\n")})
    report = json.loads(run("diff", "--rules", str(old), "--rules", str(new), "--format", "json")[1])
    rules = {r["rule"]: r for r in report["timeline"]["rules"]}
    assert rules["mini.persecutor"]["fields"] == {"exceptions": {"a": [], "b": ["mini.reformed"]}}
    assert rules["mini.reformed"]["change"] == "added"


def test_cases_change_only_from_the_date_a_new_rule_takes_effect(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{"rules.yaml": RULES.replace(
        "    when: person.persecutor\n", "    when: person.persecutor or person.age > 60\n    effective: {from: 2026-01-01}\n")})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2025-09-01\nperson: {location: inside, arrived: 2025-01-01, filed: 2025-08-01, "
                    "persecutor: false, excused: false, age: 70}\n")
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--scenarios", str(case), "--exit-code")
    assert code == 1
    assert "  mini.persecutor: changed, from 2026-01-01\n      when: person.persecutor → person.persecutor or person.age > 60" in out
    assert "case, as of 2026-01-01\n    mini.eligibility: eligible → ineligible" in out
    assert "as of 2025-09-01" not in out


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
    [rule] = report["timeline"]["rules"]
    assert code == 0 and (rule["rule"], rule["change"], rule["effective"]) == ("mini.persecutor", "changed", "2025-05-09")
    assert rule["fields"]["rulings"]["b"] == ["2025-05-09 Doe v. Agency (D.D.C. 2025-05-09): vacated, under appeal"]
    assert report["change_dates"] == ["2025-05-09"]
    by_date = {d["as_of"]: {c["determination"]: (c["a"], c["b"]) for c in d["changes"]} for d in report["cases"][0]["dates"]}
    assert by_date["2025-05-09"]["mini.eligibility"] == ("ineligible", "eligible")


def test_one_as_of_date_evaluates_the_cases_on_that_date_only(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{"parameters.yaml": PARAMETERS.replace("value: 100", "value: 120")})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2025-09-01\nperson: {location: inside, arrived: 2025-01-01, filed: 2025-08-01, "
                    "persecutor: false, excused: false, age: 30}\n")
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--as-of", "2026-02-01", "--scenarios",
                    str(case), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["a"]["as_of"] == report["b"]["as_of"] == "2026-02-01"
    assert [d["as_of"] for d in report["cases"][0]["dates"]] == ["2026-02-01"]
    assert report["timeline"]["parameters"][0]["effective"] == "2025-07-22"  # the timeline is whole all the same


def test_an_added_parameter_and_era_are_shown_whole(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{
        "parameters.yaml": PARAMETERS + "  - id: fee.extra\n    title: Extra fee\n    type: money\n    citations: [\"Law C\"]\n"
                                        "    values:\n      - {from: 2026-01-01, value: 5, citations: [\"Law C\"]}\n"
                                        "      - {from: 2027-01-01, value: 7, citations: [\"Law D\"]}\n",
        "eras.yaml": ERAS.replace("        from: 2025-07-22\n        citations: [\"Law B\"]\n",
                                  "        from: 2025-07-22\n        to: 2027-01-01\n        citations: [\"Law B\"]\n"
                                  "      - id: fees.later\n        title: Later fee\n        from: 2027-01-01\n"
                                  "        citations: [\"Law D\"]\n")})
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--exit-code")
    assert code == 1
    assert "  fee.extra: added, from 2026-01-01\n      values: 5 (from 2026-01-01); 7 (from 2027-01-01)\n" in out
    assert "  fees.later: added, from 2027-01-01\n      Later fee: from 2027-01-01\n" in out
    assert "  fees.paid: changed, from 2027-01-01\n      to: (none) → 2027-01-01\n" in out


def test_a_case_rejected_by_one_side_is_a_change_not_a_crash(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{
        "facts.yaml": FACTS.replace("  person.excused:\n    type: boolean\n    question: Is the delay excused?\n", ""),
        "rules.yaml": RULES.replace("    when: person.excused\n", "    when: person.age < 18\n")})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2025-09-01\nperson: {location: inside, arrived: 2025-01-01, filed: 2025-08-01, "
                    "persecutor: false, excused: false, age: 30}\n")
    code, out = run("diff", "--rules", str(old), "--rules", str(new), "--scenarios", str(case), "--format", "json")
    assert code == 0
    [change] = json.loads(out)["cases"][0]["dates"][0]["changes"]
    assert change["determination"] == "(the case's facts)" and change["a"] == "accepted"
    assert change["b"].startswith("rejected: F300") and "person.excused" in change["b"]
    # a case that neither side accepts is the user's error, with the facts exit code
    case.write_text("person: {location: mars}\n")
    assert run("diff", "--rules", str(old), "--rules", str(new), "--scenarios", str(case))[0] == 3


@pytest.mark.parametrize("name,text,where", [
    ("facts.yaml", "applicant:\n  location: mars\n", "facts.yaml:2:13: error F302"),
    ("facts.yaml", "as_of: 2025-02-30\n", "facts.yaml:1:8: error F301"),
    ("facts.json", '{"bars": {"persecutor": 7}}', "facts.json:1:25: error F301"),
    ("scenario.yaml", "cases:\n  - name: x\n    as_of: 2025-01-01\n    facts:\n      bars: {persecutor: 7}\n    expect: {}\n",
     "scenario.yaml:5:26: error F301"),
])
def test_diff_scenario_fact_errors_are_located_as_eval_places_them(tmp_path: Path, name: str, text: str,
                                                                   where: str) -> None:
    (tmp_path / name).write_text(text)
    result = CliRunner().invoke(main, ["diff", "--as-of", "2025-01-01", "--as-of", "2025-09-01",
                                       "--scenarios", str(tmp_path / name)])
    assert result.exit_code == 3 and result.stderr.startswith(f"{tmp_path}/{where}"), result.stderr
