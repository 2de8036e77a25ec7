"""Turn recorded traces into explanations: what each rule did, why, and which facts are still needed.

Explanations are read from the values the three-valued path recorded for every
sub-expression; nothing is re-evaluated. For a false ``and`` the false parts are the reason,
for a true ``or`` the true parts; an unknown part names the facts it is waiting for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..language import syntax as s
from ..language.checker import Checked
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
                 conditions: dict[str, Any], as_of: date, shapes: Shapes, trace: Callable[[str], Any]):
        self.rules, self.facts, self.values, self.conditions = rules, facts, values, conditions
        self.as_of, self.shapes, self._trace = as_of, shapes, trace
        self.traces: dict[str, Any] = {}  # rule id → its recorded trace, for the rules that needed one
        self._outcomes: dict[str, RuleOutcome] = {}
        self._explained: set[str] = set()
        self._needed: dict[str, list[str]] = {}
        # (rule id, expression) → the facts it read: date sums that ran outside the calendar, found while
        # looking for the facts an undetermined answer needs
        self.outside_calendar: dict[tuple[str, str], dict[str, Any]] = {}

    def trace(self, rule_id: str) -> Any:
        if rule_id not in self.traces:
            self.traces[rule_id] = self._trace(rule_id)
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
        found = self._outcomes.get(rule_id)
        if found is not None:
            return found.status
        plan = self.shapes.plans[rule_id]
        if plan.mode == "boolean" and self.values.get(rule_id) is None:
            return "undetermined"  # in force: a rule not in force is False, never unknown
        return self.summary(rule_id).status

    def outcome(self, rule_id: str) -> RuleOutcome:
        """What a rule did, with the sub-conditions that decided it."""
        outcome = self.summary(rule_id)
        if rule_id not in self._explained:
            self._explained.add(rule_id)
            self._add_reasons(outcome)
        return outcome

    def _untraced(self, rule: Rule) -> RuleOutcome | None:
        """The outcome from values and conditions alone, or ``None`` when it needs the rule's trace."""
        plan = self.shapes.plans[rule.id]
        value = self.values.get(rule.id)
        if not plan.in_force(self.as_of):
            return RuleOutcome(rule, "not_in_force", value)
        if plan.mode == "value":
            condition = self.conditions[rule.id] if plan.has_when else True
            if value is None and (condition is None or (plan.has_value if condition else plan.has_otherwise)):
                return None  # the facts still needed are read from the trace
            return RuleOutcome(rule, _status_of(plan.by_value, condition, value), value)
        if plan.mode == "boolean":
            if value is None:
                return None
            outcome = RuleOutcome(rule, "fired" if value else "not_fired", value)
            if plan.defeated_by:
                outcome.defeated_by = [d for d in plan.defeated_by if self.values.get(d) is True]
                if outcome.defeated_by and self.conditions[rule.id] is True:
                    outcome.status = "defeated"
            return outcome
        if plan.has_when or value is None or None in value:
            return None
        labels = self._labels(rule, self.conditions[rule.id])
        items = [(label, RuleOutcome(rule, _status_of(plan.by_value, True, v), v)) for label, v in zip(labels, value)]
        status = "undetermined" if any(o.status == "undetermined" for _, o in items) else "fired"
        return RuleOutcome(rule, status, value, items=items)

    def _build(self, rule: Rule) -> RuleOutcome:
        trace = self.trace(rule.id)
        if trace is None:
            return RuleOutcome(rule, "not_in_force", self.values.get(rule.id))
        if rule.for_each:
            items_trace, per_item = trace
            labels = self._labels(rule, node_values(self.shapes, rule.items, items_trace).get(id(rule.items.expr))
                                  if rule.items else None)
            items = [(label, self._single(rule, item_trace, self._item_value(rule, i), rule.for_each["var"], i))
                     for i, (label, item_trace) in enumerate(zip(labels, per_item))]
            status = "undetermined" if any(o.status == "undetermined" for _, o in items) else "fired"
            needed = list(dict.fromkeys(n for _, o in items for n in o.facts_needed))
            if self.values.get(rule.id) is None:
                status = "undetermined"
                needed = needed or self._unknown_facts(rule.items, node_values(self.shapes, rule.items, items_trace), None,
                                                       rule.id)
            return RuleOutcome(rule, status, self.values.get(rule.id), facts_needed=needed, items=items)
        return self._single(rule, trace, self.values.get(rule.id), None, None)

    def _item_value(self, rule: Rule, index: int) -> Any:
        values = self.values.get(rule.id)
        return values[index] if values is not None and index < len(values) else None

    def _labels(self, rule: Rule, items: list[Any] | None) -> list[Any]:
        label_field = (rule.for_each or {}).get("label")
        return [item.get(label_field, f"#{i + 1}") if isinstance(item, dict) and label_field else f"#{i + 1}"
                for i, item in enumerate(items or [])]

    def _single(self, rule: Rule, trace: tuple[Any, ...], value: Any, var: str | None,
                index: int | None) -> RuleOutcome:
        when_trace, value_trace, otherwise_trace = trace
        when_values = node_values(self.shapes, rule.when, when_trace)
        condition = when_values.get(id(rule.when.expr)) if rule.when else True
        context = (var, rule, index) if var is not None else None
        outcome = RuleOutcome(rule, _status(rule, condition, value), value)
        if rule.boolean:
            outcome.defeated_by = [d for d in rule.defeated_by if self.values.get(d) is True]
            if condition is True and outcome.defeated_by:
                outcome.status = "defeated"
        if value is None:
            # Only what could still change the value: the condition if it is unknown, the branches it could take,
            # and, for a condition that may hold, the exceptions that could defeat it.
            needed = self._unknown_facts(rule.when, when_values, context, rule.id) if condition is None else []
            for chosen, chosen_trace in _branches(rule, condition, value_trace, otherwise_trace):
                needed += self._unknown_facts(chosen, node_values(self.shapes, chosen, chosen_trace), context, rule.id)
            if rule.boolean and condition is not False:
                needed += [n for d in rule.defeated_by if self.values.get(d) is None for n in self.facts_needed(d)]
            outcome.facts_needed = list(dict.fromkeys(needed))
            if outcome.facts_needed and outcome.status == "fired":
                outcome.status = "undetermined"
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
        if rule_id not in self._needed:
            self._needed[rule_id] = []  # guards against re-entry; rules are acyclic
            self._needed[rule_id] = self.summary(rule_id).facts_needed
        return self._needed[rule_id]

    def _unknown_facts(self, checked: Checked | None, values: NodeValues,
                       context: tuple[str, Rule, int | None] | None, rule_id: str) -> list[str]:
        """The unknown facts that an unknown expression is waiting for (only parts that could matter).

        A date sum or difference that is unknown although its operands are known ran outside the
        calendar; it is recorded in ``outside_calendar`` (it waits for no fact).
        """
        if checked is None or values.get(id(checked.expr), 0) is not None:
            return []
        out: list[str] = []
        stack = [checked.expr]
        while stack:
            node = stack.pop()
            if values.get(id(node), 0) is not None and id(node) in values:
                continue
            if isinstance(node, s.Arith) and checked.type_of(node).kind == "date" and id(node) in values \
                    and all(values.get(id(part)) is not None for part in (node.left, node.right)):
                self._outside_calendar(rule_id, checked, node, values)
            elif isinstance(node, s.Name):
                out += self._name_needed(checked, node, context)
            elif isinstance(node, s.Quantifier):
                if values.get(id(node.items)) is None:
                    stack.append(node.items)
                else:
                    out += self._fields_read(checked, node)
            elif isinstance(node, s.IfThenElse):
                condition = values.get(id(node.condition))
                if condition is True or condition is False:
                    branches = [node.then if condition else node.otherwise]
                else:
                    branches = [node.condition, node.then, node.otherwise]
                stack.extend(reversed(branches))
            elif isinstance(node, s.Lookup):
                stack.append(node.when)
            else:
                stack.extend(reversed(s.children(node)))
        return list(dict.fromkeys(out))

    def _outside_calendar(self, rule_id: str, checked: Checked, node: s.Arith, values: NodeValues) -> None:
        """Record a date sum with known operands and no value, with the facts it read (by their path)."""
        from ..language.printer import to_text

        read = {}
        for name in s.walk(node):
            binding = checked.bindings.get(id(name)) if isinstance(name, s.Name) else None
            if binding is not None and binding.kind == "fact":
                read[binding.target] = values.get(id(name))
        self.outside_calendar.setdefault((rule_id, to_text(node)), read)

    def _name_needed(self, checked: Checked, node: s.Name, context: tuple[str, Rule, int | None] | None) -> list[str]:
        binding = checked.bindings.get(id(node))
        if binding is None:
            return []
        if binding.kind == "fact":
            return [binding.target]
        if binding.kind == "derived":
            return self.facts_needed(binding.target)
        if binding.kind == "var" and context is not None and binding.target == context[0] and binding.field:
            items_name = _items_name(context[1])
            return [f"{items_name}[{context[2]}].{binding.field}"]
        return []

    def _fields_read(self, checked: Checked, quantifier: s.Quantifier) -> list[str]:
        items_name = quantifier.items.dotted if isinstance(quantifier.items, s.Name) else "items"
        fields = [checked.bindings[id(n)].field for n in s.walk(quantifier.body)
                  if isinstance(n, s.Name) and id(n) in checked.bindings
                  and checked.bindings[id(n)].kind == "var" and checked.bindings[id(n)].target == quantifier.var]
        return [f"{items_name}[*].{f}" for f in dict.fromkeys(fields) if f]

    def _part(self, node: s.Expr, values: NodeValues, context: tuple[str, Rule, int | None] | None) -> Part:
        facts = {name: values[key] for key, name in self.shapes.names_read(node) if key in values}
        return Part(self.shapes.text(node), values.get(id(node)), facts)

    def proof(self, rule_id: str) -> dict[str, Any]:
        """The proof tree of a rule: its outcome and, recursively, the rules it read (each shown once)."""
        shown: set[str] = set()

        def node(current: str) -> dict[str, Any]:
            outcome = self.outcome(current)
            out: dict[str, Any] = {"rule": current, "title": outcome.rule.title, "status": outcome.status}
            if current in shown:
                out["see_above"] = True
                return out
            shown.add(current)
            out["because"] = [node(dep) for dep in outcome.rule.reads]
            return out

        return node(rule_id)

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


def _status(rule: Rule, condition: Any, value: Any) -> str:
    """fired, not_fired or undetermined: conditions and yes/no facts by their value, other rules by their ``when``."""
    return _status_of(rule.boolean or rule.type.kind == "boolean", condition, value)


def _status_of(by_value: bool, condition: Any, value: Any) -> str:
    if by_value:
        return "fired" if value is True else "not_fired" if value is False else "undetermined"
    if value is None and condition is not False:
        return "undetermined" if condition is None else "fired"
    return "fired" if condition is True else "not_fired" if condition is False else "undetermined"


def _items_name(rule: Rule) -> str:
    if rule.items is not None and isinstance(rule.items.expr, s.Name):
        return rule.items.expr.dotted
    return "items"


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
