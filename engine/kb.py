"""The knowledge base in memory and what it answers: ``evaluate`` a case as of a date.

A ``KnowledgeBase`` is immutable after loading and holds no per-case state, so one instance
serves any number of cases (and can be shipped to worker processes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import consistency
from . import syntax as s
from .catalog import Catalog
from .codegen import Program
from .consistency import FactWarning
from .diagnostics import UnknownRuleError, suggest
from .explain import Explainer, RuleOutcome
from .model import Era, Manifest, Parameter, Rule, Ruleset
from .values import iso, iso_date


def default_rules_dir() -> Path:
    """The knowledge base shipped inside the package (a plain folder: importlib.resources costs start-up time)."""
    from . import rules

    return Path(rules.__path__[0])


@dataclass
class KnowledgeBase:
    manifest: Manifest
    catalog: Catalog
    eras: list[Era]
    parameters: dict[str, Parameter]
    rulesets: dict[str, Ruleset]
    rules: dict[str, Rule]  # in dependency order
    program: Program
    directory: str = ""

    @property
    def determinations(self) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.determination]

    def eras_at(self, day: date) -> list[Era]:
        return [era for era in self.eras if era.contains(day)]

    def evaluate(self, facts: dict[str, Any] | None = None, as_of: date | str | None = None,
                 source: str = "<facts>") -> Result:
        """Evaluate a fact document (nested sections, as in the contract) as of a date.

        ``as_of`` (a ``date`` or ``YYYY-MM-DD`` text) wins over the document's own ``as_of``; the
        default is today. The document's optional top-level ``id`` is not a fact: it is echoed in
        the result. Raises ``FactsError`` for an unknown fact or a value of the wrong type.
        """
        day = as_date(as_of, "as_of")
        flat, document_as_of = self.catalog.validate(facts, source)
        day = day or document_as_of or date.today()
        values, traces = self.program.traced(flat, day)
        case_id = facts.get("id") if isinstance(facts, dict) else None
        return Result(self, flat, day, values, Explainer(self.rules, flat, values, traces), id=case_id,
                      source=source)

    def values(self, facts: dict[str, Any], as_of: date | str) -> dict[str, Any]:
        """Every rule's value for already-flat, validated facts: the fast path, no explanation."""
        return self.program.values(facts, as_of_date(as_of, "as_of"))

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; an unknown id raises ``UnknownRuleError`` with the closest ids."""
        try:
            return self.rules[rule_id]
        except (KeyError, TypeError):
            known = [r.id for r in self.determinations] + list(self.rules)
            raise UnknownRuleError(rule_id, suggest(str(rule_id), dict.fromkeys(known))) from None


def as_date(value: date | str | None, argument: str) -> date | None:
    """A date argument of the Python API: a ``date``, ISO ``YYYY-MM-DD`` text or ``None``."""
    if value is None:
        return None
    return as_of_date(value, argument)


def as_of_date(value: date | str, argument: str) -> date:
    if isinstance(value, datetime):  # a datetime is a date too, but comparing it with one fails
        raise TypeError(f"{argument} must be a datetime.date or an ISO date string (YYYY-MM-DD), not a datetime: "
                        f"use {argument}=value.date()")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return iso_date(value)
        except ValueError:
            raise ValueError(f"{argument} must be an ISO date (YYYY-MM-DD), not {value!r}") from None
    raise TypeError(f"{argument} must be a datetime.date or an ISO date string (YYYY-MM-DD), "
                    f"not {type(value).__name__}")


@dataclass
class Result:
    kb: KnowledgeBase
    facts: dict[str, Any]
    as_of: date
    values: dict[str, Any]
    explainer: Explainer
    id: str | int | None = None  # the case's own id, echoed from the fact document
    source: str = "<facts>"  # where the facts came from, for located warnings
    _needed: list[str] | None = field(default=None, repr=False)

    @property
    def warnings(self) -> list[FactWarning]:
        """Facts that contradict each other or the as-of date (the check rules that hold), located by fact path."""
        return consistency.warnings(self.kb, self.facts, self.values)

    def outcome(self, rule_id: str) -> RuleOutcome:
        """How one rule came out; an unknown id raises ``UnknownRuleError`` (a ``KeyError``)."""
        return self.explainer.outcome(self.kb.rule(rule_id).id)

    def value(self, rule_id: str) -> Any:
        """A determination's value as Python data: contract words, ``date`` objects, exact numbers.

        ``to_dict`` gives the same values as JSON data (dates as ISO text).
        """
        return _reported(self.outcome(rule_id))

    @property
    def facts_needed(self) -> list[str]:
        """Unknown facts that could settle an undetermined determination, most decisive first."""
        if self._needed is None:
            counts: Counter[str] = Counter()
            first_seen: dict[str, int] = {}
            for rule in self.kb.determinations:
                for fact in self.outcome(rule.id).facts_needed:
                    counts[fact] += 1
                    first_seen.setdefault(fact, len(first_seen))
            self._needed = sorted(counts, key=lambda f: (-counts[f], first_seen[f]))
        return self._needed

    def determination(self, rule_id: str) -> dict[str, Any]:
        outcome = self.outcome(rule_id)
        proof = list(self.explainer.walk_proof(rule_id))
        # An unverified rule matters only where it applied or could still apply, and only through rules that could
        # themselves change the answer.
        unverified = [o.rule.id for o in proof if o.rule.confidence == "unverified" and o.status in ("fired", "undetermined")]
        if unverified:
            relevant = self._could_matter(rule_id)
            unverified = [r for r in unverified if r in relevant]
        out: dict[str, Any] = {
            "value": iso(_reported(outcome)),
            "status": _status(outcome),
            "title": outcome.rule.title,
            "rules_fired": [o.rule.id for o in proof if o.status == "fired"],
            "facts_needed": outcome.facts_needed,
            "citations": [c.as_dict() for c in outcome.rule.citations],
        }
        if outcome.rule.determination and outcome.status == "not_in_force":
            out["note"] = "no rule in force on the as-of date"
        if unverified:
            out["unverified_rules"] = unverified
        rulings = [ruling for o in proof for ruling in self._rulings_on(o)]
        if rulings:
            out["rulings"] = rulings
        return out

    def rulings(self) -> list[dict[str, Any]]:
        """Court rulings decided by the as-of date that bear on this case (every rule feeds some answer), and those
        on the eras in force."""
        out = [ruling for rule in self.kb.rules.values() if rule.rulings for ruling in self._rulings_on(self.outcome(rule.id))]
        for era in self.kb.eras_at(self.as_of):
            out += [{"era": era.id, **r.as_dict(self.as_of)} for r in era.rulings if r.day <= self.as_of]
        return out

    def _rulings_on(self, outcome: RuleOutcome) -> list[dict[str, Any]]:
        if not outcome.rule.rulings or not self._bears_on_case(outcome):
            return []
        return [{"rule": outcome.rule.id, **r.as_dict(self.as_of)} for r in outcome.rule.rulings if r.day <= self.as_of]

    def _could_matter(self, rule_id: str) -> set[str]:
        """The rules in a proof that could change its answer: not those read only by a rule out of force, nor the
        exceptions of a bar whose own condition failed."""
        marked, stack = {rule_id}, [rule_id]
        while stack:
            outcome = self.outcome(stack.pop())
            if outcome.status == "not_in_force":
                continue
            for dep in outcome.rule.reads:
                if dep in marked or (dep in outcome.rule.defeated_by and outcome.status == "not_fired"):
                    continue
                marked.add(dep)
                stack.append(dep)
        return marked

    def _bears_on_case(self, outcome: RuleOutcome) -> bool:
        """Whether a ruling on this rule matters to the case: the rule applied or could, or, where a ruling set it
        aside, no part of its condition that is itself a rule (in a top-level ``and``) is known to fail."""
        if outcome.status in ("fired", "undetermined", "defeated"):
            return True
        when = outcome.rule.when
        if outcome.status != "not_in_force" or when is None:
            return outcome.status == "not_in_force"
        parts = when.expr.operands if isinstance(when.expr, s.And) else (when.expr,)
        return not any(isinstance(p, s.Name) and p.dotted in self.kb.rules and self.values.get(p.dotted) is False
                       for p in parts)

    def to_dict(self, explain: bool = False) -> dict[str, Any]:
        """The JSON result (docs/engine.md documents every key)."""
        fired = [r.id for r in self.kb.rules.values() if self.outcome(r.id).status == "fired"]
        not_fired = [rule_outcome_dict(self.outcome(r.id), self.as_of) for r in self.kb.rules.values()
                     if self.outcome(r.id).status in ("not_fired", "defeated")]
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out |= {
            "as_of": self.as_of.isoformat(),
            "kb_version": self.kb.manifest.version,
            "kb": {"id": self.kb.manifest.id, "version": self.kb.manifest.version, "date": self.kb.manifest.date},
            "eras": [era.id for era in self.kb.eras_at(self.as_of)],
            "determinations": {rule.id: self.determination(rule.id) for rule in self.kb.determinations},
            "facts_needed": self.facts_needed,
            "rules_fired": fired,
            "rules_not_fired": [{"rule": o["rule"], "status": o["status"], "reasons": o["reasons"]} for o in not_fired],
            "disclaimer": self.kb.manifest.disclaimer,
        }
        rulings = self.rulings()
        if rulings:
            out["rulings"] = rulings
        if self.warnings:
            out["warnings"] = [w.as_dict() for w in self.warnings]
        if explain:
            out["explanations"] = {rule.id: self.explanation(rule.id) for rule in self.kb.determinations}
        return out

    def explanation(self, rule_id: str) -> dict[str, Any]:
        """The proof tree of one determination, each rule with its outcome, reasons and sources."""
        tree = self.explainer.proof(self.kb.rule(rule_id).id)

        def fill(node: dict[str, Any]) -> dict[str, Any]:
            if not node.get("see_above"):
                outcome = self.outcome(node["rule"])
                node.update(rule_outcome_dict(outcome, self.as_of if self._bears_on_case(outcome) else None))
                node["because"] = [fill(child) for child in node["because"]]
            return node

        return fill(tree)


def _reported(outcome: RuleOutcome) -> Any:
    if outcome.status == "not_in_force":
        return None
    return reported_value(outcome.rule, outcome.value, [label for label, _ in outcome.items])


def reported_value(rule: Rule, raw: Any, labels: list[Any]) -> Any:
    """A rule's computed value as the Python API reports it; per-item rules pair each value with its item's label."""
    if rule.for_each:
        if raw is None:
            return None  # the list itself is unknown
        return [{"name": label, "value": _enum_or_value(rule, v)} for label, v in zip(labels, raw)]
    return _enum_or_value(rule, raw)


def _enum_or_value(rule: Rule, value: Any) -> Any:
    if value is None and rule.type.kind in ("enum", "string"):
        return "undetermined"
    return value


def _status(outcome: RuleOutcome) -> str:
    if outcome.status == "not_in_force":
        return "not_in_force"
    if outcome.status == "undetermined" or outcome.facts_needed:
        return "undetermined"
    return "determined" if outcome.value is not None else "not_applicable"


def rule_outcome_dict(outcome: RuleOutcome, as_of: date | None = None) -> dict[str, Any]:
    rule = outcome.rule
    out: dict[str, Any] = {
        "rule": rule.id,
        "title": rule.title,
        "kind": rule.kind,
        "status": outcome.status,
        "value": iso(outcome.value),
        "reasons": [{"condition": p.text, "value": iso(p.value), "facts": iso(p.facts)} for p in outcome.reasons],
        "citations": [c.text() for c in rule.citations],
        "confidence": rule.confidence,
        "file": rule.file,
    }
    if outcome.defeated_by:
        out["defeated_by"] = outcome.defeated_by
    if outcome.facts_needed:
        out["facts_needed"] = outcome.facts_needed
    if outcome.items:
        out["items"] = [{"label": label, **rule_outcome_dict(item, as_of)} for label, item in outcome.items]
    if as_of is not None and rule.rulings:
        decided = [r.as_dict(as_of) for r in rule.rulings if r.day <= as_of]
        if decided:
            out["rulings"] = decided
        if outcome.status == "not_in_force" and rule.set_aside_by(as_of):
            out["set_aside_by"] = [r.case for r in rule.set_aside_by(as_of)]
    return out
