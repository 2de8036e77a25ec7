"""The knowledge base in memory and what it answers: ``evaluate`` a case as of a date.

A ``KnowledgeBase`` is immutable after loading and holds no per-case state, so one instance
serves any number of cases (and can be shipped to worker processes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..language import syntax as s
from ..language.codegen import Program
from ..language.diagnostics import UnknownRuleError, suggest
from ..language.values import iso, iso_date
from . import consistency
from .catalog import Catalog
from .consistency import FactWarning
from .explain import Explainer, RuleOutcome
from .model import Era, Manifest, Parameter, Rule, Ruleset
from .shapes import Entry, Shapes


def default_rules_dir() -> Path:
    """The knowledge base shipped inside the package (a plain folder: importlib.resources costs start-up time)."""
    from importlib import import_module

    return Path(import_module("asylum_kb.rules").__path__[0])


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

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_shapes"}  # keyed by node identity: rebuilt, not pickled

    @property
    def shapes(self) -> Shapes:
        """What results need that does not depend on the case, computed once (lazily) per knowledge base."""
        shapes: Shapes | None = self.__dict__.get("_shapes")
        if shapes is None:
            shapes = self.__dict__["_shapes"] = Shapes(self.rules, self.eras)
        return shapes

    @property
    def determinations(self) -> list[Rule]:
        return [self.rules[rule_id] for rule_id in self.shapes.determination_ids]

    def eras_at(self, day: date) -> list[Era]:
        return list(self.shapes.eras_at(day))

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
        values, conditions = self.program.values_and_conditions(flat, day)
        # A rule is traced only if an explanation or a fact still needed asks for it.
        explainer = Explainer(self.rules, flat, values, conditions, day, self.shapes, self.program)
        case_id = facts.get("id") if isinstance(facts, dict) else None
        return Result(self, flat, day, values, explainer, id=case_id, source=source)

    def values(self, facts: dict[str, Any], as_of: date | str) -> dict[str, Any]:
        """Every rule's raw value for already-flat, validated facts (the values path, no explanation)."""
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
    _outcome_dicts: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _briefs: dict[str, tuple[Any, str, Sequence[str]]] = field(default_factory=dict, repr=False)
    _bearing: dict[str, bool] = field(default_factory=dict, repr=False)  # rule id → whether its rulings bear on the case
    shapes: Shapes = field(init=False, repr=False)  # the knowledge base's, read on every step

    def __post_init__(self) -> None:
        self.shapes = self.kb.shapes

    @property
    def warnings(self) -> list[FactWarning]:
        """Facts that contradict each other or the as-of date (the check rules that hold, W100), and date sums
        that ran outside the calendar behind an undetermined answer (W101), located by fact path."""
        self.facts_needed  # noqa: B018 - traces the rules behind undetermined answers, which finds W101 sites
        return (consistency.warnings(self.kb.rules, self.shapes.check_ids, self.facts, self.values)
                + consistency.outside_calendar(self.kb.rules, self.explainer.outside_calendar))

    def outcome(self, rule_id: str) -> RuleOutcome:
        """How one rule came out; an unknown id raises ``UnknownRuleError`` (a ``KeyError``)."""
        return self.explainer.outcome(self.kb.rule(rule_id).id)

    def value(self, rule_id: str) -> Any:
        """A determination's value as Python data: contract words, ``date`` objects, exact numbers.

        ``to_dict`` gives the same values as JSON data (dates as ISO text).
        """
        return self._brief(self.kb.rule(rule_id).id)[0]

    def _brief(self, rule_id: str) -> tuple[Any, str, Sequence[str]]:
        """A rule's reported value (Python data), its status word and the facts it still needs: read straight from
        the values path where that settles it (a complete case: nearly always), else from the facts it still needs
        or its outcome. Once per rule and result."""
        found = self._briefs.get(rule_id)
        if found is None:
            found = self._briefs[rule_id] = self._work_out_brief(rule_id)
        return found

    def _work_out_brief(self, rule_id: str) -> tuple[Any, str, Sequence[str]]:
        value, rule = self.values.get(rule_id), self.kb.rules[rule_id]
        if not rule.for_each and self.explainer.quick_statuses()[rule_id] in _SETTLED:  # it needs no fact
            return (value, "determined", ()) if value is not None else (rule.no_value, "not_applicable", ())
        needed = self.explainer.facts_needed(rule_id) if value is None and not rule.for_each else None
        if needed:  # in force, and waiting for facts
            return rule.no_value, "undetermined", needed
        outcome = self.explainer.summary(rule_id)
        return _reported(outcome), _status(outcome), outcome.facts_needed

    @property
    def facts_needed(self) -> list[str]:
        """Unknown facts that could settle an undetermined determination, most decisive first."""
        if self._needed is None:
            self._needed = self._facts_needed(self.shapes.determination_ids)
        return self._needed

    def _facts_needed(self, rule_ids: Iterable[str]) -> list[str]:
        counts: dict[str, int] = {}  # in order of first sight, which breaks ties
        for rule_id in rule_ids:
            for fact in self._brief(rule_id)[2]:
                counts[fact] = counts.get(fact, 0) + 1
        return sorted(counts, key=counts.__getitem__, reverse=True)  # stable: ties keep their order

    def determination(self, rule_id: str) -> dict[str, Any]:
        """One determination of the default result: value, status, title, rules fired, facts needed, citations, and
        the notes that apply (``_notes``)."""
        value, status, needed = self._brief(rule_id)
        entry, statuses = self.shapes.entry(rule_id), self.explainer.statuses()
        out = {"value": value if value.__class__ in _PLAIN else iso(value), "status": status, "title": entry.title,
               "rules_fired": [r for r in entry.proof if statuses[r] == "fired"],
               "facts_needed": list(needed), "citations": list(map(dict, entry.citations))}
        if entry.unverified or entry.ruled or entry.deciders is not None or status == "not_in_force":
            out.update(self._notes(rule_id, status, entry, statuses))
        return out

    def _notes(self, rule_id: str, status: str, entry: Entry, statuses: dict[str, str]) -> dict[str, Any]:
        """What a determination's entry says besides its answer, where it applies: no rule in force, the unverified
        rules it rests on, court rulings on its rules and who decides it."""
        out: dict[str, Any] = {}
        if status == "not_in_force":
            out["note"] = "no rule in force on the as-of date"
        # An unverified rule matters only where it applied or could still apply, and only through rules that could
        # themselves change the answer.
        unverified = [r for r in entry.unverified if statuses[r] in ("fired", "undetermined")]
        if unverified:
            relevant = self.shapes.could_matter(rule_id, statuses)
            unverified = [r for r in unverified if r in relevant]
            if unverified:
                out["unverified_rules"] = unverified
        rulings = [ruling for r in entry.ruled for ruling in self._rulings_on(r)]
        if rulings:
            out["rulings"] = rulings
        decided_by = self.decided_by(rule_id) if entry.deciders is not None else None
        if decided_by:
            out["decided_by"] = decided_by
        return out

    def decided_by(self, rule_id: str) -> list[dict[str, Any]]:
        """Who decides a determination in this case, from its rule's ``decided_by`` ([] when it names no one).

        ``settled`` is false while a determination an entry depends on (``asylum.procedure``, say) is still
        open: every authority that could still decide is listed then.
        """
        inputs = self.shapes.decider_inputs.get(rule_id)
        if inputs is None:
            return []
        deciders = self.shapes.deciders(rule_id, tuple(self._brief(target)[:2] for target in inputs))
        return [{"authority": authority, "settled": settled} for authority, settled in deciders]

    def rulings(self) -> list[dict[str, Any]]:
        """Court rulings decided by the as-of date that bear on this case (every rule feeds some answer), and those
        on the eras in force."""
        shapes = self.shapes
        out = [ruling for rule_id in shapes.ruled_ids for ruling in self._rulings_on(rule_id)]
        for era in self.kb.eras_at(self.as_of):
            if era.rulings:
                out += shapes.rulings_as_of("era", era.id, era.rulings, self.as_of)
        return out

    def _rulings_on(self, rule_id: str) -> list[dict[str, Any]]:
        rule = self.kb.rules[rule_id]
        bears = self._bearing.get(rule_id)
        if bears is None:  # proofs share rules: asked once per result
            bears = self._bearing[rule_id] = bool(rule.rulings) and self._bears_on_case(rule, self.explainer.status(rule_id))
        return self.shapes.rulings_as_of("rule", rule_id, rule.rulings, self.as_of) if bears else []

    def _bears_on_case(self, rule: Rule, status: str) -> bool:
        """Whether a ruling on this rule matters to the case: the rule applied or could, or, where a ruling set it
        aside, no part of its condition that is itself a rule (in a top-level ``and``) is known to fail."""
        if status in ("fired", "undetermined", "defeated"):
            return True
        when = rule.when
        if status != "not_in_force" or when is None:
            return status == "not_in_force"
        parts = when.expr.operands if isinstance(when.expr, s.And) else (when.expr,)
        return not any(isinstance(p, s.Name) and p.dotted in self.kb.rules and self.values.get(p.dotted) is False
                       for p in parts)

    def to_dict(self, explain: bool = False, only: Iterable[str] | None = None,
                values_only: bool = False) -> dict[str, Any]:
        """The JSON result (docs/engine.md documents every key); it costs what is asked for.

        ``only``: these determinations (default: all). ``values_only``: each determination's value, status
        and facts still needed (and any rulings and warnings), nothing else. ``explain``: also the proof trees
        and the rules that did not apply.
        """
        ids = self._requested(only)
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out |= self._heading()
        warnings = [w.as_dict() for w in self.warnings]
        entry = self._values_only if values_only else self.determination
        out["determinations"] = {rule_id: entry(rule_id) for rule_id in ids}
        out["facts_needed"] = self.facts_needed if only is None else self._facts_needed(ids)
        if not values_only:
            considered = list(self.kb.rules) if only is None else self._proof_rules(ids)
            out["rules_fired"] = self._fired(considered)
            if explain:
                out["rules_not_fired"] = [
                    {"rule": r, "status": o.status, "reasons": self._outcome_dict(r)["reasons"]}
                    for r in considered if (o := self.explainer.summary(r)).status in ("not_fired", "defeated")]
            out["disclaimer"] = self.kb.manifest.disclaimer
        rulings = self.rulings()
        if rulings:
            out["rulings"] = rulings
        if warnings:
            out["warnings"] = warnings
        if explain and not values_only:
            out["explanations"] = {rule_id: self.explanation(rule_id) for rule_id in ids}
        return out

    def _outcome_dict(self, rule_id: str) -> dict[str, Any]:
        """One rule's outcome as JSON data, built once per result (proof trees repeat rules)."""
        found = self._outcome_dicts.get(rule_id)
        if found is None:
            outcome = self.outcome(rule_id)
            as_of = self.as_of if self._bears_on_case(outcome.rule, outcome.status) else None
            found = self._outcome_dicts[rule_id] = rule_outcome_dict(outcome, as_of, self.shapes)
        return found

    def _heading(self) -> dict[str, Any]:
        """What a result says first: the as-of date, the knowledge base and the eras in force."""
        manifest = self.kb.manifest
        return {"as_of": self.as_of.isoformat(), "kb_version": manifest.version,
                "kb": {"id": manifest.id, "version": manifest.version, "date": manifest.date},
                "eras": [era.id for era in self.kb.eras_at(self.as_of)]}

    def _fired(self, rule_ids: list[str]) -> list[str]:
        statuses = self.explainer.statuses()
        return [r for r in rule_ids if statuses[r] == "fired"]

    def _values_only(self, rule_id: str) -> dict[str, Any]:
        value, status, needed = self._brief(rule_id)
        out = {"value": value if value.__class__ in _PLAIN else iso(value), "status": status, "facts_needed": list(needed)}
        decided_by = self.decided_by(rule_id) if rule_id in self.shapes.decider_inputs else None
        if decided_by:
            out["decided_by"] = decided_by
        return out

    def _requested(self, only: Iterable[str] | None) -> list[str]:
        """The determinations asked for, in knowledge-base order; an unknown id is a ``ValueError`` naming close ones."""
        determinations = self.shapes.determination_ids
        if only is None:
            return list(determinations)
        wanted = set(only)
        for rule_id in wanted - set(determinations):
            hint = suggest(rule_id, determinations)
            raise ValueError(f"'{rule_id}' is not a determination" + (f"; {hint}" if hint else ""))
        return [rule_id for rule_id in determinations if rule_id in wanted]

    def _proof_rules(self, rule_ids: list[str]) -> list[str]:
        """Every rule in the proofs of these determinations, in knowledge-base (dependency) order."""
        seen = {r for rule_id in rule_ids for r in self.shapes.proof(rule_id)}
        return [rule_id for rule_id in self.kb.rules if rule_id in seen]

    def explanation(self, rule_id: str) -> dict[str, Any]:
        """The proof tree of one determination, each rule with its outcome, reasons and sources."""
        tree = self.explainer.proof(self.kb.rule(rule_id).id)
        stack = [tree]
        while stack:  # without recursion, as the tree is built
            node = stack.pop()
            if not node.get("see_above"):
                node.update(self._outcome_dict(node["rule"]))
                stack.extend(node["because"])
        return tree


_PLAIN = frozenset((str, bool, int, type(None)))  # values that are JSON data as they are (``iso`` converts the rest)
_SETTLED = frozenset(("fired", "not_fired", "defeated"))  # statuses whose value is the determination's, when it has one


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
    return rule.no_value if value is None else value


def _status(outcome: RuleOutcome) -> str:
    if outcome.status == "not_in_force":
        return "not_in_force"
    # A value is known whatever its condition (both branches agree); a per-item rule is open while any item is.
    if outcome.facts_needed or (outcome.status == "undetermined" and (outcome.value is None or outcome.rule.for_each)):
        return "undetermined"
    return "determined" if outcome.value is not None else "not_applicable"


def rule_outcome_dict(outcome: RuleOutcome, as_of: date | None = None, shapes: Shapes | None = None) -> dict[str, Any]:
    rule = outcome.rule
    out: dict[str, Any] = {
        "rule": rule.id,
        "title": rule.title,
        "kind": rule.kind,
        "status": outcome.status,
        "value": iso(outcome.value),
        "reasons": [{"condition": p.text, "value": iso(p.value), "facts": iso(p.facts)} for p in outcome.reasons],
        "citations": list(shapes.citations(rule)[0]) if shapes else [c.text() for c in rule.citations],
        "confidence": rule.confidence,
        "file": rule.file,
    }
    if outcome.defeated_by:
        out["defeated_by"] = outcome.defeated_by
    if outcome.facts_needed:
        out["facts_needed"] = outcome.facts_needed
    if outcome.items:
        out["items"] = [{"label": label, **rule_outcome_dict(item, as_of, shapes)} for label, item in outcome.items]
    if as_of is not None and rule.rulings:
        decided = [r.as_dict(as_of) for r in rule.rulings if r.day <= as_of]
        if decided:
            out["rulings"] = decided
        if outcome.status == "not_in_force" and rule.set_aside_by(as_of):
            out["set_aside_by"] = [r.case for r in rule.set_aside_by(as_of)]
    return out
