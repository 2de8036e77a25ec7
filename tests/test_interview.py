"""The interview: question order from facts_needed, localized questions, and the terminal loop."""

from __future__ import annotations

import json
from pathlib import Path

import asylum_kb
import pytest
import yaml
from asylum_kb.cli.main import main
from asylum_kb.kb.translations import load as load_translations
from asylum_kb.service import interview
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def kb() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


def english() -> interview.Localizer:
    return interview.localizer(load_translations(asylum_kb.load().directory), "en")


def test_the_first_question_is_the_most_decisive_needed_fact(kb: asylum_kb.KnowledgeBase) -> None:
    state = interview.step(kb, {}, None, interview.DEFAULT_GOALS, set(), english())
    result = kb.evaluate({})
    assert state["question"]["fact"] == result.facts_needed[0]
    assert state["answered"] == 0 and state["remaining"] > 10 and not state["done"]


def test_a_skipped_fact_is_not_asked_again(kb: asylum_kb.KnowledgeBase) -> None:
    first = interview.step(kb, {}, None, interview.DEFAULT_GOALS, set(), english())["question"]["fact"]
    second = interview.step(kb, {}, None, interview.DEFAULT_GOALS, {first}, english())["question"]["fact"]
    assert second != first


def test_questions_come_in_spanish_with_english_where_a_translation_is_missing(kb: asylum_kb.KnowledgeBase) -> None:
    spanish = interview.localizer(load_translations(kb.directory), "es")
    question = interview.question(kb.catalog.facts["applicant.location"], spanish)
    assert question["question"] == "¿Dónde está el solicitante ahora?"
    assert {"value": "outside_us", "label": "Fuera de los Estados Unidos"} in question["choices"]
    assert spanish.text("no.such.context", "English text") == "English text"
    assert interview.localizer({}, "xx").language == "en"


def test_a_decided_case_ends_and_a_bar_sends_the_person_to_a_lawyer(kb: asylum_kb.KnowledgeBase) -> None:
    facts = yaml.safe_load((ROOT / "examples" / "crime-cat-deferral-only.yaml").read_text())
    state = interview.step(kb, facts, None, ("asylum.eligibility",), set(), english())
    assert state["determinations"][0]["value"] == "ineligible" and state["done"]
    assert "bar" in [reason["code"] for reason in state["see_a_lawyer"]]


def test_a_court_case_sends_the_person_to_a_lawyer(kb: asylum_kb.KnowledgeBase) -> None:
    facts = {"applicant": {"location": "inside_us", "in_removal_proceedings": True, "unaccompanied_child": False,
                           "date_of_birth": "1990-01-01"}}
    state = interview.step(kb, facts, None, ("asylum.procedure",), set(), english())
    assert state["determinations"][0]["value"] == "defensive" and state["done"]
    assert [reason["code"] for reason in state["see_a_lawyer"]] == ["court"]


def run(*args: str, answers: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["interview", *args], input=answers)
    return result.exit_code, result.output


def scripted(kb: asylum_kb.KnowledgeBase, case: dict[str, object], goals: tuple[str, ...],
             start: dict[str, object] | None = None) -> tuple[str, dict[str, object], list[str], dict[str, object]]:
    """What a person answering from ``case`` types, found by running the same steps the command runs.

    Returns the typed lines, the fact document they build, the facts asked and the last step, so the
    test follows the rules as they are rather than a question order written down here.
    """
    from asylum_kb.service.terminal import set_fact

    document = json.loads(json.dumps(start or {}))
    lines, asked = [], []
    while True:
        state = interview.step(kb, document, None, goals, set(), english())
        question = state["question"]
        if question is None:
            return "".join(lines), document, asked, state
        fact = question["fact"]
        value = case[fact]
        asked.append(fact)
        if question["type"] == "boolean":
            lines.append("y\n" if value else "n\n")
        elif question.get("choices"):
            lines.append(f"{[c['value'] for c in question['choices']].index(value) + 1}\n")
        else:
            lines.append(f"{value}\n")
        set_fact(document, fact, value)


PROCEDURE = ("asylum.procedure",)
IN_COURT = {"applicant.location": "inside_us", "applicant.in_removal_proceedings": True,
            "applicant.unaccompanied_child": False, "applicant.date_of_birth": "1990-01-01"}


def test_terminal_interview_asks_until_decided_and_saves_the_fact_document(kb: asylum_kb.KnowledgeBase,
                                                                           tmp_path: Path) -> None:
    typed, document, asked, last = scripted(kb, IN_COURT, PROCEDURE)
    assert asked[0] == "applicant.location" and last["determinations"][0]["value"] == "defensive"
    saved = tmp_path / "answers.json"
    code, out = run("--goal", "asylum.procedure", "--save", str(saved), answers=typed)
    assert code == 0, out
    assert "Where is the applicant now?" in out and "Defensive (immigration court)" in out
    assert json.loads(saved.read_text()) == document


def test_terminal_interview_back_dont_know_quit_and_resume(kb: asylum_kb.KnowledgeBase, tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    code, out = run("--save", str(saved), answers="q\n")
    assert code == 0 and yaml.safe_load(saved.read_text()) == {}
    # With the procedure as the goal, location comes first. 2 = at a port; '<' goes back to the same
    # question; 1 = inside; '?' = don't know the next one; quit.
    code, out = run("--goal", "asylum.procedure", "--save", str(saved), answers="2\n<\n1\n?\nq\n")
    assert code == 0, out
    assert out.count("Where is the applicant now?") == 2
    assert yaml.safe_load(saved.read_text()) == {"applicant": {"location": "inside_us"}}
    not_in_court = {**IN_COURT, "applicant.in_removal_proceedings": False}
    typed, document, asked, last = scripted(kb, not_in_court, PROCEDURE, start={"applicant": {"location": "inside_us"}})
    assert "applicant.location" not in asked and last["determinations"][0]["value"] == "affirmative"
    code, out = run("--goal", "asylum.procedure", "--resume", str(saved), "--save", str(saved), "--lang", "es",
                    answers=typed)
    assert code == 0, out
    spanish = interview.localizer(load_translations(kb.directory), "es")
    assert spanish.text(f"{asked[0]}.question", kb.catalog.facts[asked[0]].question) in out and "Afirmativo" in out
    assert yaml.safe_load(saved.read_text()) == document


def test_terminal_interview_rejects_a_bad_answer_and_asks_again(tmp_path: Path) -> None:
    code, out = run("--goal", "asylum.procedure", answers="9\n1\nmaybe\ny\nq\n")
    assert code == 0 and out.count("a number from 1 to 3") == 1 and out.count("y or n") == 1


def test_terminal_interview_errors_use_the_cli_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("applicant:\n  location: mars\n")
    code, out = run("--resume", str(bad), answers="q\n")
    assert code == 3 and "F302" in out
    code, out = run("--goal", "asylum.eligibilty", answers="")
    assert code == 2 and "asylum.eligibility" in out
    code, out = run("--as-of", "2025-02-30", answers="")
    assert code == 2


def test_reasons_name_the_deciding_rules_and_facts_in_the_chosen_language(kb: asylum_kb.KnowledgeBase) -> None:
    facts = yaml.safe_load((ROOT / "examples" / "affirmative-grant.yaml").read_text())
    facts.pop("as_of")
    spanish = interview.localizer(load_translations(kb.directory), "es")
    state = interview.step(kb, facts, None, ("asylum.eligibility", "asylum.procedure"), set(), spanish)
    eligibility, procedure = state["determinations"]
    assert eligibility["label"] == "Elegible" and "Cumple la definición de refugiado: Sí" in eligibility["reasons"]
    assert "¿Dónde está el solicitante ahora? Dentro de los Estados Unidos" in procedure["reasons"]


def test_answers_are_shown_readably_including_lists_of_records(kb: asylum_kb.KnowledgeBase) -> None:
    facts = {"claim": {"protected_grounds": ["race", "political_opinion"], "past_persecution": True},
             "family": {"children": [{"name": "Ana", "date_of_birth": "2006-05-01", "married": False}]}}
    shown = {a["fact"]: a["value"] for a in interview.step(kb, facts, None, interview.DEFAULT_GOALS, set(),
                                                          english())["answers"]}
    assert shown == {"claim.protected_grounds": "Race, Political opinion", "claim.past_persecution": "Yes",
                     "family.children": "(Ana, date of birth: 2006-05-01, married: No)"}
