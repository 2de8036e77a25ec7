"""One step of the interview: evaluate the answers so far and pick the most decisive question still open.

Shared by the web page (through ``POST /v1/interview``) and ``asylum-kb interview``. A step holds no
state: the answers travel with every request, so the server stores nothing about the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from asylum_kb import KnowledgeBase, Result
from asylum_kb.kb.factspec import FactSpec
from asylum_kb.kb.translations import SOURCE_LANGUAGE, Translation

from .interface import ANSWER_WORDS, WORDS

# The contract's yes/no determinations a screening is about; --goal or "goals" choose others.
DEFAULT_GOALS = ("asylum.eligibility", "asylum.one_year_deadline", "asylum.procedure",
                 "withholding_of_removal.eligibility", "cat.withholding.eligibility", "cat.deferral.eligibility",
                 "refugee.eligibility")
# Rule kinds that bar relief: one that applies, or may apply, to a goal is a reason to see a lawyer.
LAWYER_BAR_KINDS = ("bar",)


@dataclass(frozen=True)
class Localizer:
    """Texts in one language; the English source wherever a translation is missing or stale."""

    language: str
    translation: Translation | None
    english_labels: Translation | None

    def text(self, context: str, english: str) -> str:
        if self.translation is not None:
            return self.translation.text(context, english) or english
        return english

    def word(self, key: str) -> str:
        return self.text(f"interface.{key}", WORDS[key])

    def label(self, value: str) -> str:
        for source in (self.translation, self.english_labels):
            found = source.text(f"value.{value}", value) if source is not None else None
            if found:
                return found
        return value.replace("_", " ")

    def answer(self, value: Any) -> str:
        if isinstance(value, str) and value in ANSWER_WORDS:
            return self.text(f"interface.answer.{value}", ANSWER_WORDS[value])
        if isinstance(value, list):
            return ", ".join(f"{item['name']}: {self.answer(item['value'])}" for item in value)
        return "—" if value is None else str(value)


def localizer(translations: dict[str, Translation], language: str) -> Localizer:
    """A localizer for ``language``; unknown languages fall back to English."""
    chosen = translations.get(language) if language != SOURCE_LANGUAGE else None
    return Localizer(language if chosen else SOURCE_LANGUAGE, chosen, translations.get(SOURCE_LANGUAGE))


def question(spec: FactSpec, words: Localizer) -> dict[str, Any]:
    """A fact as a question: its type, text, help and choices, in the chosen language."""
    out: dict[str, Any] = {
        "fact": spec.name,
        "type": spec.kind,
        "question": words.text(f"{spec.name}.question", spec.question),
        "help": words.text(f"{spec.name}.help", spec.help) if spec.help else "",
    }
    if spec.values:
        out["choices"] = [{"value": v, "label": words.label(v)} for v in spec.values]
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    if spec.kind == "list" and spec.items is not None:
        out["max_items"] = spec.max_items
        if spec.items.values:
            out["choices"] = [{"value": v, "label": words.label(v)} for v in spec.items.values]
        out["items"] = spec.items.kind
        out["fields"] = [{"name": f.name, "type": f.kind,
                          "question": words.text(f"{spec.name}.{f.name}.question", f.question)}
                         for f in spec.items.fields]
    return out


def open_facts(result: Result, goals: tuple[str, ...], skipped: set[str]) -> list[str]:
    """Facts that could still change a goal, most decisive first, without those the user cannot answer."""
    wanted = {fact for goal in goals if goal in result.kb.rules for fact in result.outcome(goal).facts_needed}
    return [fact for fact in result.facts_needed if fact in wanted and fact not in skipped]


def step(kb: KnowledgeBase, document: dict[str, Any], as_of: date | None, goals: tuple[str, ...],
         skipped: set[str], words: Localizer) -> dict[str, Any]:
    """The state of the interview after these answers: the answers firming up and the next question."""
    result = kb.evaluate(document, as_of=as_of, source="answers")
    data = result.to_dict(explain=True)
    remaining = open_facts(result, goals, skipped)
    goals = tuple(goal for goal in goals if goal in kb.rules)
    return {
        "language": words.language,
        "as_of": data["as_of"],
        "answered": len(result.facts),
        "remaining": len(remaining),
        "done": not remaining,
        "question": question(kb.catalog.facts[remaining[0]], words) if remaining else None,
        "determinations": [_determination(kb, data, goal, words) for goal in goals],
        "see_a_lawyer": see_a_lawyer(kb, result, data, goals, words),
        "answers": [{"fact": fact, "question": words.text(f"{fact}.question", kb.catalog.facts[fact].question),
                     "value": data_value} for fact, data_value in _shown_facts(result, words)],
    }


def _determination(kb: KnowledgeBase, data: dict[str, Any], goal: str, words: Localizer) -> dict[str, Any]:
    entry = data["determinations"][goal]
    tree = data["explanations"][goal]
    return {
        "id": goal,
        "title": words.text(f"interface.rule.{goal}", kb.rules[goal].title),
        "value": entry["value"],
        "status": entry["status"],
        "label": words.answer("not_applicable" if entry["status"] == "not_applicable" else entry["value"]),
        "reasons": _reasons(kb, tree.get("reasons", []), words),
        "unverified_rules": entry.get("unverified_rules", []),
    }


def _reasons(kb: KnowledgeBase, reasons: list[dict[str, Any]], words: Localizer) -> list[str]:
    """The deciding parts of a determination as sentences: each rule or fact they read, with its value."""
    out: list[str] = []
    for reason in reasons:
        for name, value in reason.get("facts", {}).items():
            if name in kb.rules:
                line = f"{words.text(f'interface.rule.{name}', kb.rules[name].title)}: {_plain(value, words)}"
            elif name in kb.catalog.facts:
                line = f"{words.text(f'{name}.question', kb.catalog.facts[name].question)} {_plain(value, words)}"
            else:
                continue
            if line not in out:
                out.append(line)
    return out


def _plain(value: Any, words: Localizer) -> str:
    if isinstance(value, bool):
        return words.word("yes" if value else "no")
    if value is None:
        return words.word("unknown")
    if isinstance(value, str):
        return words.answer(value) if value in ANSWER_WORDS else words.label(value)
    if isinstance(value, list):
        return ", ".join(_plain(item, words) for item in value) or words.word("none")
    if isinstance(value, dict):  # a record, such as a child: its fields in order
        return "(" + ", ".join(_plain(item, words) if key == "name" else f"{key.replace('_', ' ')}: {_plain(item, words)}"
                               for key, item in value.items()) + ")"
    return value.isoformat() if isinstance(value, date) else str(value)


def _shown_facts(result: Result, words: Localizer) -> list[tuple[str, str]]:
    return [(fact, _plain(value, words)) for fact, value in result.facts.items()]


def see_a_lawyer(kb: KnowledgeBase, result: Result, data: dict[str, Any], goals: tuple[str, ...],
                 words: Localizer) -> list[dict[str, str]]:
    """Why the person should see a lawyer or accredited representative, if the answers call for it."""
    reasons = []
    in_proofs = {outcome.rule.id for goal in goals for outcome in result.explainer.walk_proof(goal)}
    bars = [rule.title for rule in kb.rules.values() if rule.id in in_proofs and rule.kind in LAWYER_BAR_KINDS
            and result.outcome(rule.id).status in ("fired", "undetermined")]
    if bars:
        reasons.append({"code": "bar", "text": words.word("lawyer.bar").format(rules="; ".join(bars))})
    procedure = data["determinations"].get("asylum.procedure", {}).get("value")
    if procedure == "defensive" or result.facts.get("applicant.in_removal_proceedings") is True:
        reasons.append({"code": "court", "text": words.word("lawyer.court")})
    unverified = sorted({rule for goal in goals for rule in data["determinations"][goal].get("unverified_rules", [])})
    if unverified:
        titles = "; ".join(kb.rules[rule].title for rule in unverified)
        reasons.append({"code": "unverified", "text": words.word("lawyer.unverified").format(rules=titles)})
    return reasons
