"""Court rulings as dated events: schema, loading, evaluation on both sides of a ruling, and how results show them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asylum_kb
import pytest
from asylum_kb.cli.main import main
from asylum_kb.report.case_report import render_case
from asylum_kb.report.render_text import render
from click.testing import CliRunner
from kbfiles import ERAS, RULES, write_kb

VACATED = """\
    rulings:
      - court: D.D.C.
        case: Doe v. Agency
        date: 2025-05-09
        effect: vacated
        status: under_appeal
        citations: ["Doe v. Agency, No. 1 (D.D.C. May 9 2025)"]
"""
STAYED = """\
    rulings:
      - court: D. Md.
        case: Roe v. Agency
        date: 2025-10-30
        until: 2026-02-02
        effect: stayed
        status: in_effect
        citations: ["Roe v. Agency order"]
"""
RULING_ITSELF_STAYED = VACATED.replace("status: under_appeal", "status: ruling_stayed")
PERSECUTOR_RULE = '    when: person.persecutor\n    citations: ["Statute 3"]\n'
CASE = {"person": {"location": "inside", "persecutor": True, "arrived": "2024-07-01", "filed": "2024-08-01",
                   "excused": False, "kids": []}}


def kb_with(tmp_path: Path, ruling: str) -> asylum_kb.KnowledgeBase:
    assert PERSECUTOR_RULE in RULES
    return asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": RULES.replace(PERSECUTOR_RULE, PERSECUTOR_RULE + ruling)}))


def test_a_vacated_bar_applies_the_day_before_the_ruling_and_not_from_its_date(tmp_path: Path) -> None:
    kb = kb_with(tmp_path, VACATED)
    before = kb.evaluate(CASE, as_of=date(2025, 5, 8))
    after = kb.evaluate(CASE, as_of=date(2025, 5, 9))
    assert before.value("mini.eligibility") == "ineligible"
    assert after.value("mini.eligibility") == "eligible"
    assert after.outcome("mini.persecutor").status == "not_in_force"
    # the fast path agrees with the explaining path on both sides
    flat = {"person.location": "inside", "person.persecutor": True, "person.arrived": date(2024, 7, 1),
            "person.filed": date(2024, 8, 1), "person.excused": False, "person.kids": []}
    assert kb.values(flat, date(2025, 5, 8))["mini.persecutor"] is True
    assert kb.values(flat, date(2025, 5, 9))["mini.persecutor"] is False


def test_a_temporary_stay_holds_the_rule_out_of_force_only_until_it_is_lifted(tmp_path: Path) -> None:
    kb = kb_with(tmp_path, STAYED)
    days = {date(2025, 10, 29): "ineligible", date(2025, 10, 30): "eligible", date(2026, 2, 1): "eligible",
            date(2026, 2, 2): "ineligible"}
    assert {day: kb.evaluate(CASE, as_of=day).value("mini.eligibility") for day in days} == days


def test_a_ruling_that_was_itself_stayed_changes_nothing_but_is_shown(tmp_path: Path) -> None:
    result = kb_with(tmp_path, RULING_ITSELF_STAYED).evaluate(CASE, as_of=date(2025, 9, 1))
    assert result.value("mini.eligibility") == "ineligible"
    [ruling] = result.to_dict()["rulings"]
    assert ruling["status"] == "ruling_stayed" and ruling["in_effect"] is False and ruling["rule"] == "mini.persecutor"


def test_json_results_list_rulings_with_their_status_only_once_decided(tmp_path: Path) -> None:
    kb = kb_with(tmp_path, VACATED)
    assert "rulings" not in kb.evaluate(CASE, as_of=date(2025, 5, 8)).to_dict()
    data = kb.evaluate(CASE, as_of=date(2025, 9, 1)).to_dict(explain=True)
    [ruling] = data["rulings"]
    assert ruling == {"rule": "mini.persecutor", "case": "Doe v. Agency", "court": "D.D.C.", "date": "2025-05-09",
                      "effect": "vacated", "status": "under_appeal", "in_effect": True, "decided": True,
                      "citations": ["Doe v. Agency, No. 1 (D.D.C. May 9 2025)"]}
    assert data["determinations"]["mini.eligibility"]["rulings"][0]["case"] == "Doe v. Agency"
    node = next(n for n in data["explanations"]["mini.eligibility"]["because"] if n["rule"] == "mini.persecutor")
    assert node["status"] == "not_in_force" and node["set_aside_by"] == ["Doe v. Agency"]


def test_text_output_shows_the_ruling_and_the_rule_it_set_aside(tmp_path: Path) -> None:
    text = render(kb_with(tmp_path, VACATED).evaluate(CASE, as_of=date(2025, 9, 1)), explain=True)
    assert "Court rulings (decided by the as-of date):" in text
    assert "Doe v. Agency (D.D.C., 2025-05-09): vacated; under appeal; applies on the as-of date  [mini.persecutor]" in text
    assert "Persecutor [mini.persecutor]: not in force (set aside by Doe v. Agency)" in text
    assert "    ruling: Doe v. Agency (D.D.C., 2025-05-09)" in text


@pytest.mark.parametrize("fmt, heading", [("md", "## Court rulings"), ("html", '<h2 id="rulings-title">Court rulings</h2>')])
def test_reports_have_a_rulings_section_that_marks_appeals(tmp_path: Path, fmt: str, heading: str) -> None:
    kb = kb_with(tmp_path, VACATED)
    page = render_case(kb, kb.evaluate(CASE, as_of=date(2025, 9, 1)), "case", fmt)
    assert heading in page and "under appeal: the answer may change" in page
    assert "court ruling: Doe v. Agency" in page  # on the rule, in the reasoning tree
    quiet = render_case(kb, kb.evaluate(CASE, as_of=date(2025, 5, 8)), "case", fmt)
    assert heading not in quiet


def test_a_ruling_without_a_status_is_a_schema_error_with_its_location(tmp_path: Path) -> None:
    rules = write_kb(tmp_path, **{"rules.yaml": RULES.replace(
        PERSECUTOR_RULE, PERSECUTOR_RULE + VACATED.replace("        status: under_appeal\n", ""))})
    result = CliRunner().invoke(main, ["validate", str(rules)])
    assert result.exit_code == 4
    assert "rules.yaml:23:9: error E201" in result.output and "E201" in result.output and "status" in result.output


def test_a_ruling_ends_its_era_and_a_contradicting_to_date_is_e211(tmp_path: Path) -> None:
    ended = ERAS.replace('        to: 2025-07-22\n        citations: ["Schedule A"]\n',
                         '        citations: ["Schedule A"]\n'
                         + VACATED.replace("2025-05-09", "2025-07-22").replace("    ", "        ", 1)
                         .replace("\n      ", "\n          "))
    kb = asylum_kb.load(write_kb(tmp_path / "ok", **{"eras.yaml": ended}))
    free = next(e for e in kb.eras if e.id == "fees.free")
    assert free.end == date(2025, 7, 22) and free.rulings[0].case == "Doe v. Agency"
    assert "rulings" not in kb.evaluate(CASE, as_of=date(2025, 8, 1)).to_dict()  # an ended era's ruling is not listed
    shown = ended + RULING_ITSELF_STAYED.replace("    ", "        ", 1).replace("\n      ", "\n          ")
    in_force = asylum_kb.load(write_kb(tmp_path / "shown", **{"eras.yaml": shown}))
    assert in_force.evaluate(CASE, as_of=date(2025, 8, 1)).to_dict()["rulings"] == [
        {"era": "fees.paid", "case": "Doe v. Agency", "court": "D.D.C.", "date": "2025-05-09", "effect": "vacated",
         "status": "ruling_stayed", "in_effect": False, "decided": True, "citations": ["Doe v. Agency, No. 1 (D.D.C. May 9 2025)"]}]
    contradicting = ended.replace('        citations: ["Schedule A"]\n', '        to: 2025-07-01\n        citations: ["Schedule A"]\n', 1)
    with pytest.raises(asylum_kb.RulesError) as info:
        asylum_kb.load(write_kb(tmp_path / "bad", **{"eras.yaml": contradicting}))
    [error] = [d for d in info.value.diagnostics if d.code == "E211"]
    assert error.position is not None and Path(error.file or "").name == "eras.yaml"
    assert "ended it on 2025-07-22" in error.message


def test_a_ruling_on_a_rule_that_cannot_reach_the_case_is_not_shown(tmp_path: Path) -> None:
    guarded = RULES.replace(PERSECUTOR_RULE, '    when: mini.late and person.persecutor\n    citations: ["Statute 3"]\n' + VACATED)
    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": guarded}))
    on_time = kb.evaluate(CASE, as_of=date(2025, 9, 1)).to_dict(explain=True)
    assert "rulings" not in on_time  # filed on time: the vacated bar could not have applied
    late = {"person": {**CASE["person"], "filed": "2025-08-01"}}
    assert kb.evaluate(late, as_of=date(2025, 9, 1)).to_dict()["rulings"][0]["case"] == "Doe v. Agency"


def test_the_shipped_border_timelines_overlap_and_the_vacatur_ends_securing_the_border(kb: asylum_kb.KnowledgeBase) -> None:
    def eras(day: date) -> list[str]:
        return [era.id for era in kb.eras_at(day) if era.id.startswith("border.")]

    assert eras(date(2024, 6, 4)) == ["border.lawful_pathways"]
    assert eras(date(2024, 8, 1)) == ["border.lawful_pathways", "border.securing_the_border"]
    assert eras(date(2025, 5, 8)) == ["border.lawful_pathways", "border.securing_the_border", "border.proclamation_10888"]
    assert eras(date(2025, 5, 9)) == ["border.lawful_pathways", "border.proclamation_10888"]
    assert eras(date(2025, 5, 11)) == ["border.proclamation_10888"]


def test_an_exception_to_a_bar_that_does_not_apply_raises_no_unverified_flag(kb: asylum_kb.KnowledgeBase) -> None:
    northern = {"applicant": {"location": "inside_us", "last_arrival_date": "2024-07-01", "unaccompanied_child": False,
                              "in_removal_proceedings": False},
                "entry": {"southwest_border": False}}
    determination = kb.evaluate(northern, as_of=date(2024, 8, 1)).determination("asylum.eligibility")
    assert "asylum.exception.securing_the_border_lawful_permission" not in determination.get("unverified_rules", [])
    southern = {**northern, "entry": {"southwest_border": True}}
    determination = kb.evaluate(southern, as_of=date(2024, 8, 1)).determination("asylum.eligibility")
    assert "asylum.exception.securing_the_border_lawful_permission" in determination["unverified_rules"]


def test_a_criterion_read_only_by_a_vacated_bar_raises_no_unverified_flag(kb: asylum_kb.KnowledgeBase) -> None:
    crossing = {"applicant": {"location": "inside_us", "last_arrival_date": "2024-07-01", "unaccompanied_child": False,
                              "in_removal_proceedings": False},
                "entry": {"southwest_border": True, "between_ports": True, "cbp_one_appointment": False,
                          "transited_third_country": False, "exceptionally_compelling_circumstances": False,
                          "documents_sufficient_for_lawful_admission": False}}
    before = kb.evaluate(crossing, as_of=date(2025, 5, 8)).determination("asylum.eligibility")
    after = kb.evaluate(crossing, as_of=date(2025, 5, 9)).determination("asylum.eligibility")
    assert before["value"] == "ineligible" and "asylum.border.securing_the_border_covered" in before["unverified_rules"]
    assert "asylum.border.securing_the_border_covered" not in after.get("unverified_rules", [])
