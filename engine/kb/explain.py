"""Turn recorded traces into explanations: what each rule did, why, and which facts are still needed.

Explanations are read from the values the three-valued path recorded for every
sub-expression; nothing is re-evaluated. For a false ``and`` the false parts are the reason,
for a true ``or`` the true parts; an unknown part names the facts it is waiting for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, repeat
from operator import is_
from typing import Any, cast

from ..language import syntax as s
from ..language.checker import Checked
from ..language.codegen import Program
from .model import Rule
from .shapes import Shapes

NodeValues = dict[int, Any]


@dataclass
class Part:
    """One sub-condition of a rule with its value and the facts it read."""

    text: str
    value: Any
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class RuleOutcome:
    """What one rule did for this case."""

    rule: Rule
    status: str  # fired, not_fired, defeated, undetermined, not_in_force
    value: Any
    reasons: list[Part] = field(default_factory=list)
    defeated_by: list[str] = field(default_factory=list)
    facts_needed: list[str] = field(default_factory=list)
    items: list[tuple[Any, RuleOutcome]] = field(default_factory=list)  # for_each rules: (label, outcome)


def node_values(shapes: Shapes, checked: Checked | None, trace: tuple[Any, ...] | None) -> NodeValues:
    if checked is None or trace is None:
        return {}
    return dict(zip(shapes.node_ids(checked.expr), trace))


class Explainer:
    """Builds ``RuleOutcome`` objects on demand from one evaluation.

    A rule's status is read from the values path's values and conditions where they settle it
    (a complete case, above all); anything else (facts still needed, reasons, per-item outcomes
    with conditions) is read from that rule's trace, recorded on first need (``trace(rule_id)``).
    """

    def __init__(self, rules: dict[str, Rule], facts: dict[str, Any], values: dict[str, Any],
                 conditions: dict[str, Any], as_of: date, shapes: Shapes, program: Program):
        self.rules, self.facts, self.values, self.conditions = rules, facts, values, conditions
        self.as_of, self.shapes, self._program = as_of, shapes, program
        self.traces: dict[str, Any] = {}  # rule id → its recorded trace, for the rules that needed one
        self._outcomes: dict[str, RuleOutcome] = {}
        self._explained: set[str] = set()
        self._needs_all = program.needs_all
        self._needed: dict[str, list[str]] | None = None  # rule id → the facts it still needs (``needed``)
        self._item_needs: dict[str, list[list[str]]] = {}  # per-item rule id → the facts each item still needs
        self._quick: dict[str, str | None] | None = None
        self._open: set[str] = set()  # the rules the values path leaves open (``is_open``), once ``_quick`` is read
        self._statuses: dict[str, str] | None = None
        # (rule id, expression) → the facts it read: date sums that ran outside the calendar, found while
        # looking for the facts an undetermined answer needs
        self.outside_calendar: dict[tuple[str, str], dict[str, Any]] = {}
        self._outside_rules: set[str] = set()

    def trace(self, rule_id: str) -> Any:
        """A rule's trace. The first rule asked for that is not traced yet has every such rule traced with it: an
        explanation reads many (one generated function, with its facts and parameters bound once)."""
        if rule_id not in self.traces:
            untraced = self._program.rule_ids.difference(self.traces)
            self.traces.update(self._program.traces(self.facts, self.as_of, self.values, untraced))
        return self.traces[rule_id]

    def summary(self, rule_id: str) -> RuleOutcome:
        """What a rule did (status, value, defeaters, facts still needed), without the reasons."""
        found = self._outcomes.get(rule_id)
        if found is None:
            rule = self.rules[rule_id]
            found = self._outcomes[rule_id] = self._untraced(rule) or self._build(rule)
        return found

    def status(self, rule_id: str) -> str:
        """A rule's status alone: an unknown yes/no rule in force is undetermined whatever facts it awaits."""
        return self.quick_statuses()[rule_id] or self.summary(rule_id).status

    def statuses(self) -> dict[str, str]:
        """Every rule's status, in knowledge-base order (``status`` rule by rule)."""
        if self._statuses is None:
            quick, summary = self.quick_statuses(), self.summary
            if None in quick.values():  # an open rule's status turns on the facts it still needs
                self._statuses = {rule_id: status or summary(rule_id).status for rule_id, status in quick.items()}
            else:
                self._statuses = cast(dict[str, str], quick)
        return self._statuses

    def quick_statuses(self) -> dict[str, str | None]:
        """Each rule's status where the values path's values and conditions settle it (a complete case: nearly
        all), else ``None``: the facts still needed decide it, read from the rule's trace. One pass over the
        rules, since a default result lists every rule fired and a values-only one every determination's status."""
        if self._quick is None:
            self._quick, self._open = self._read_statuses()
        return self._quick

    def _read_statuses(self) -> tuple[dict[str, str | None], set[str]]:
        """The quick statuses, and the rules left open (``is_open``)."""
        values, conditions = self.values, self.conditions
        groups = self.shapes.status_groups(self.as_of)
        out: dict[str, str | None] = dict.fromkeys(groups.not_in_force, "not_in_force")
        # in force, a yes/no rule is False or unknown, never "no value"
        by_value = groups.by_value_of(values)
        out.update(zip(groups.by_value, map(_BY_VALUE.__getitem__, by_value)))
        unknown = set(compress(groups.by_value, map(is_, by_value, repeat(None))))
        for rule_id, plan in groups.others:
            value = values.get(rule_id)
            if plan.mode == "boolean":
                if value is None:
                    out[rule_id] = "undetermined"
                    unknown.add(rule_id)
                elif conditions[rule_id] is True and any(values.get(d) is True for d in plan.defeated_by):
                    out[rule_id] = "defeated"
                else:
                    out[rule_id] = "fired" if value else "not_fired"
            elif plan.mode == "value":
                condition = conditions[rule_id] if plan.has_when else True
                if value is None and (condition is None or (plan.has_value if condition else plan.has_otherwise)):
                    out[rule_id] = None
                    unknown.add(rule_id)
                else:
                    out[rule_id] = _status_of(plan.by_value, condition, value)
            elif plan.has_when or value is None or None in value:
                out[rule_id] = None
                unknown.add(rule_id)
            else:  # per item: every item has a value, so each fired or not (by its value) and the rule fired
                out[rule_id] = "fired"
        return out, unknown

    def outcome(self, rule_id: str) -> RuleOutcome:
        """What a rule did, with the sub-conditions that decided it."""
        outcome = self.summary(rule_id)
        if rule_id not in self._explained:
            self._explained.add(rule_id)
            self._add_reasons(outcome)
        return outcome

    def _untraced(self, rule: Rule) -> RuleOutcome | None:
        """The outcome from values and conditions alone, or ``None`` when it needs the rule's trace."""
        status = self.quick_statuses()[rule.id]
        if status is None or self.is_open(rule.id):
            return None  # the facts still needed are read from the trace
        value, plan = self.values.get(rule.id), self.shapes.plans[rule.id]
        if status == "not_in_force" or plan.mode == "value":
            return RuleOutcome(rule, status, value)
        if plan.mode == "boolean":
            return RuleOutcome(rule, status, value, defeated_by=[d for d in plan.defeated_by if self.values.get(d) is True])
        labels = self._labels(rule, self.conditions[rule.id])
        items = [(label, RuleOutcome(rule, _status_of(plan.by_value, True, v), v)) for label, v in zip(labels, value or ())]
        return RuleOutcome(rule, status, value, items=items)

    def _build(self, rule: Rule) -> RuleOutcome:
        needed = self.facts_needed(rule.id)  # first: it traces every open rule at once
        trace = self.trace(rule.id)
        value = self.values.get(rule.id)
        if trace is None:
            return RuleOutcome(rule, "not_in_force", value)
        if rule.for_each:
            items_trace, per_item = trace
            labels = self._labels(rule, items_trace[0] if rule.items else None)  # a trace starts with its root
            item_needs = self._item_needs.get(rule.id) or [[] for _ in per_item]  # every item has a value
            items = [(label, self._single(rule, item_trace, self._item_value(rule, i), item_needs[i]))
                     for i, (label, item_trace) in enumerate(zip(labels, per_item))]
            status = "undetermined" if value is None or any(o.status == "undetermined" for _, o in items) else "fired"
            return RuleOutcome(rule, status, value, facts_needed=needed, items=items)
        return self._single(rule, trace, value, needed)

    def _item_value(self, rule: Rule, index: int) -> Any:
        values = self.values.get(rule.id)
        return values[index] if values is not None and index < len(values) else None

    def _labels(self, rule: Rule, items: list[Any] | None) -> list[Any]:
        label_field = (rule.for_each or {}).get("label")
        return [item.get(label_field, f"#{i + 1}") if isinstance(item, dict) and label_field else f"#{i + 1}"
                for i, item in enumerate(items or [])]

    def _single(self, rule: Rule, trace: tuple[Any, ...], value: Any, needed: list[str]) -> RuleOutcome:
        """One rule's (or item's) outcome from its trace; ``needed``: only what could still change its value (the
        condition while unknown, the branches it could take, the exceptions that could defeat it)."""
        plan = self.shapes.plans[rule.id]
        condition = trace[0][0] if plan.has_when else True  # a trace starts with its root
        outcome = RuleOutcome(rule, _status_of(plan.by_value, condition, value), value, facts_needed=needed)
        if plan.boolean:
            outcome.defeated_by = [d for d in plan.defeated_by if self.values.get(d) is True]
            if condition is True and outcome.defeated_by:
                outcome.status = "defeated"
        if outcome.status == "fired" and (needed or (value is None and rule.id in self._outside_rules)):
            outcome.status = "undetermined"  # waiting for facts, or a date outside the calendar (W101)
        return outcome

    def _add_reasons(self, outcome: RuleOutcome) -> None:
        rule = outcome.rule
        trace = self.trace(rule.id)
        if trace is None:
            return
        if rule.for_each:
            for index, ((_, item), item_trace) in enumerate(zip(outcome.items, trace[1])):
                item.reasons = self._reasons(rule, item_trace, (rule.for_each["var"], rule, index))
        else:
            outcome.reasons = self._reasons(rule, trace, None)

    def _reasons(self, rule: Rule, trace: tuple[Any, ...], context: tuple[str, Rule, int | None] | None) -> list[Part]:
        """The deciding sub-conditions of the condition, then of the branch (or branches) it leads to."""
        when_trace, value_trace, otherwise_trace = trace
        reasons: list[Part] = []
        condition: Any = True
        if rule.when is not None:
            when_values = node_values(self.shapes, rule.when, when_trace)
            condition = when_values.get(id(rule.when.expr))
            reasons = [self._part(n, when_values, context) for n in _deciding(rule.when.expr, when_values, condition)]
        if condition is not None:
            for chosen, chosen_trace in _branches(rule, condition, value_trace, otherwise_trace):
                if chosen is not None:
                    values = node_values(self.shapes, chosen, chosen_trace)
                    deciding = _deciding(chosen.expr, values, values.get(id(chosen.expr)))
                    reasons += [self._part(n, values, context) for n in deciding if not isinstance(n, s.Literal)]
        return reasons

    def facts_needed(self, rule_id: str) -> list[str]:
        return self.needed().get(rule_id, []) if self.is_open(rule_id) else []

    def is_open(self, rule_id: str) -> bool:
        """Whether the values path leaves a rule's outcome open: the facts it still needs decide it (read from its
        trace). Otherwise it needs none."""
        if self._quick is None:
            self.quick_statuses()
        return rule_id in self._open

    def needed(self) -> dict[str, list[str]]:
        """The facts each rule still needs, for the rules the values path leaves open (absent: none).

        Worked out for all of them at once by the generated ``needs_all`` (``language.needs``), which traces them too:
        a rule at a time, through outcomes, cost most of an intake case's result.
        """
        if self._needed is None:
            self.quick_statuses()
            self._needed = {}
            if self._open:
                traces, self._needed, self._item_needs, _ = self._needs_all(self.facts, self.as_of, self.values,
                                                                            self._open, self._outside)
                for rule_id, trace in traces.items():
                    self.traces.setdefault(rule_id, trace)
                if self._outside_rules:
                    self._spread_outside()
        return self._needed

    def _spread_outside(self) -> None:
        """An open rule with no value and no fact to wait for, reading a rule whose date ran outside the calendar,
        has no value because of it: it is undetermined too (W101 names the date sum)."""
        order, values, needed = self.shapes.order, self.values, self._needed or {}
        for rule_id in sorted(self._open, key=order.__getitem__):
            if rule_id not in self._outside_rules and values.get(rule_id) is None and not needed.get(rule_id) \
                    and any(dep in self._outside_rules for dep in self.rules[rule_id].reads):
                self._outside_rules.add(rule_id)

    def _outside(self, rule_id: str, text: str, read: dict[str, Any]) -> None:
        self.outside_calendar.setdefault((rule_id, text), read)
        self._outside_rules.add(rule_id)

    def _part(self, node: s.Expr, values: NodeValues, context: tuple[str, Rule, int | None] | None) -> Part:
        facts = {name: values[key] for key, name in self.shapes.names_read(node) if key in values}
        return Part(self.shapes.text(node), values.get(id(node)), facts)

    def proof(self, rule_id: str) -> dict[str, Any]:
        """The proof tree of a rule: its outcome and, recursively, the rules it read (each shown once)."""
        shown: set[str] = set()
        root: list[dict[str, Any]] = []
        stack: list[tuple[str, list[dict[str, Any]]]] = [(rule_id, root)]  # depth-first, without recursion: a chain
        while stack:                                                      # of rules can be as long as it likes
            current, siblings = stack.pop()
            outcome = self.outcome(current)
            out: dict[str, Any] = {"rule": current, "title": outcome.rule.title, "status": outcome.status}
            siblings.append(out)
            if current in shown:
                out["see_above"] = True
                continue
            shown.add(current)
            out["because"] = []
            stack.extend((dep, out["because"]) for dep in reversed(outcome.rule.reads))
        return root[0]

    def walk_proof(self, rule_id: str) -> Iterator[RuleOutcome]:
        """Each rule in the proof of ``rule_id`` once, depth-first."""
        for current in self.shapes.proof(rule_id):
            yield self.summary(current)


def _branches(rule: Rule, condition: Any, value_trace: Any, otherwise_trace: Any) -> list[tuple[Checked | None, Any]]:
    """The branches of a value rule that its condition leads to: the one taken, or both while it is unknown."""
    if rule.boolean:
        return []
    if condition is True or condition is False:
        return [(rule.value, value_trace)] if condition else [(rule.otherwise, otherwise_trace)]
    return [(rule.value, value_trace), (rule.otherwise, otherwise_trace)]


_BY_VALUE = {True: "fired", False: "not_fired", None: "undetermined"}


def _status_of(by_value: bool, condition: Any, value: Any) -> str:
    """fired, not_fired or undetermined: conditions and yes/no facts by their value, other rules by their ``when``."""
    if by_value:  # a yes/no outcome whose condition failed, with no otherwise, has no value: it did not apply
        return "fired" if value is True else "not_fired" if value is False or condition is False else "undetermined"
    if value is None and condition is not False:
        return "undetermined" if condition is None else "fired"
    return "fired" if condition is True else "not_fired" if condition is False else "undetermined"


def _deciding(expr: s.Expr, values: NodeValues, want: Any) -> list[s.Expr]:
    """The sub-conditions that decided a value: false parts of a false ``and``, true parts of a true ``or``,
    every part of a false ``or`` or a true ``and``, unknown parts of an unknown one; for ``if``, the
    condition's deciding parts and the branch taken."""
    out: list[s.Expr] = []
    stack: list[tuple[s.Expr, Any]] = [(expr, want)]
    while stack:
        node, wanted = stack.pop()
        value = values.get(id(node))
        if isinstance(node, (s.And, s.Or)) and value == wanted:
            if wanted is None:
                parts = [o for o in node.operands if values.get(id(o)) is None]
            elif isinstance(node, s.And):
                parts = [o for o in node.operands if values.get(id(o)) is False] if wanted is False else list(node.operands)
            else:
                parts = [o for o in node.operands if values.get(id(o)) is True] if wanted is True else list(node.operands)
            stack.extend((p, wanted) for p in reversed(parts))
        elif isinstance(node, s.IfThenElse) and id(node.condition) in values:
            condition = values[id(node.condition)]
            branch = {True: node.then, False: node.otherwise}.get(condition)
            if branch is not None and not isinstance(branch, s.Literal):
                stack.append((branch, values.get(id(branch))))
            stack.append((node.condition, condition))
        else:
            out.append(node)
    return out
