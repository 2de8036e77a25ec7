"""What explanations need that does not depend on the case, computed once per loaded knowledge base.

The nodes each trace records, the text of each sub-condition, the names it reads and each
rule's citations are the same for every case; results look them up here instead of walking and
printing expression trees per case. Entries are keyed by node identity, so one ``Shapes``
belongs to one knowledge base (it is rebuilt, not pickled, with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..language import syntax as s
from ..language.codegen import trace_nodes
from ..language.printer import to_text
from .model import Rule


@dataclass(frozen=True)
class StatusPlan:
    """What decides a rule's status besides its value and condition, read once from the rule."""

    start: date | None
    end: date | None
    mode: str  # items (per-item rule), boolean (criterion, bar, exception), value
    by_value: bool  # status follows the value (yes/no rules) rather than the condition
    has_when: bool
    has_value: bool
    has_otherwise: bool
    defeated_by: tuple[str, ...]
    suspended: tuple[tuple[date, date | None], ...]  # [from, until) windows a court ruling holds it out of force

    def in_force(self, day: date) -> bool:
        """``Rule.in_force``, from values read once."""
        if (self.start is not None and day < self.start) or (self.end is not None and day >= self.end):
            return False
        return not (self.suspended and any(start <= day and (until is None or day < until)
                                           for start, until in self.suspended))


class Shapes:
    """Lazily filled tables of case-independent facts about a knowledge base's expressions and rules."""

    def __init__(self, rules: dict[str, Rule]) -> None:
        self.rules = rules
        self.determination_ids = tuple(rule.id for rule in rules.values() if rule.determination)
        self.check_ids = tuple(rule.id for rule in rules.values() if rule.check)
        # Who decides: for each determination with ``decided_by``, the determinations its ``where`` entries read.
        self.decider_inputs = {rule.id: tuple(dict.fromkeys(target for entry in rule.decided_by for target, _ in entry.where))
                               for rule in rules.values() if rule.decided_by}
        self.plans = {rule.id: _plan(rule) for rule in rules.values()}
        self._proofs: dict[str, tuple[str, ...]] = {}
        self._unverified: dict[str, tuple[str, ...]] = {}
        self._ruled: dict[str, tuple[str, ...]] = {}
        self._nodes: dict[int, tuple[s.Expr, list[s.Expr], tuple[int, ...]]] = {}
        self._texts: dict[int, tuple[s.Expr, str]] = {}
        self._names: dict[int, tuple[s.Expr, tuple[tuple[int, str], ...]]] = {}
        self._citations: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}

    def nodes(self, expr: s.Expr) -> list[s.Expr]:
        """The nodes a trace of ``expr`` records, in order (``codegen.trace_nodes``)."""
        return self._entry(expr)[1]

    def node_ids(self, expr: s.Expr) -> tuple[int, ...]:
        return self._entry(expr)[2]

    def _entry(self, expr: s.Expr) -> tuple[s.Expr, list[s.Expr], tuple[int, ...]]:
        entry = self._nodes.get(id(expr))
        if entry is None:
            nodes = trace_nodes(expr)
            entry = self._nodes[id(expr)] = (expr, nodes, tuple(id(n) for n in nodes))  # expr kept alive: ids stay valid
        return entry

    def text(self, node: s.Expr) -> str:
        """The canonical text of a sub-expression."""
        entry = self._texts.get(id(node))
        if entry is None:
            entry = self._texts[id(node)] = (node, to_text(node))
        return entry[1]

    def names_read(self, node: s.Expr) -> tuple[tuple[int, str], ...]:
        """(node id, dotted name) of each name a sub-expression reads (a looked-up parameter's name excepted)."""
        entry = self._names.get(id(node))
        if entry is None:
            nodes = self.nodes(node)
            looked_up = {id(sub.parameter) for sub in nodes if isinstance(sub, s.Lookup)}
            names = tuple((id(sub), sub.dotted) for sub in nodes if isinstance(sub, s.Name) and id(sub) not in looked_up)
            entry = self._names[id(node)] = (node, names)
        return entry[1]

    def citations(self, rule: Rule) -> tuple[list[str], list[dict[str, Any]]]:
        """A rule's citations as text and as JSON objects (callers copy before changing them)."""
        entry = self._citations.get(rule.id)
        if entry is None:
            entry = self._citations[rule.id] = ([c.text() for c in rule.citations], [c.as_dict() for c in rule.citations])
        return entry

    def proof(self, rule_id: str) -> tuple[str, ...]:
        """Each rule in the proof of ``rule_id`` once, depth-first (the rules it reads, and theirs)."""
        found = self._proofs.get(rule_id)
        if found is None:
            seen: dict[str, None] = {}
            stack = [rule_id]
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen[current] = None
                    stack.extend(reversed(self.rules[current].reads))
            found = self._proofs[rule_id] = tuple(seen)
        return found

    def ruled_in_proof(self, rule_id: str) -> tuple[str, ...]:
        """The rules with court rulings in the proof of ``rule_id``, in proof order."""
        found = self._ruled.get(rule_id)
        if found is None:
            found = self._ruled[rule_id] = tuple(r for r in self.proof(rule_id) if self.rules[r].rulings)
        return found

    def unverified_in_proof(self, rule_id: str) -> tuple[str, ...]:
        """The rules marked ``confidence: unverified`` in the proof of ``rule_id``, in proof order."""
        found = self._unverified.get(rule_id)
        if found is None:
            found = self._unverified[rule_id] = tuple(
                r for r in self.proof(rule_id) if self.rules[r].confidence == "unverified")
        return found


def _plan(rule: Rule) -> StatusPlan:
    mode = "items" if rule.for_each else "boolean" if rule.boolean else "value"
    return StatusPlan(rule.effective_from, rule.effective_to, mode, rule.boolean or rule.type.kind == "boolean",
                      rule.when is not None, rule.value is not None, rule.otherwise is not None, tuple(rule.defeated_by),
                      rule.suspensions)
