"""What explanations need that does not depend on the case, computed once per loaded knowledge base.

The nodes each trace records, the text of each sub-condition, the names it reads and each
rule's citations are the same for every case; results look them up here instead of walking and
printing expression trees per case. Entries are keyed by node identity, so one ``Shapes``
belongs to one knowledge base (it is rebuilt, not pickled, with it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, NamedTuple

from ..language import syntax as s
from ..language.printer import to_text
from .model import Era, Rule, Ruling
from .outcome import deciding

IN_FORCE_DAYS_KEPT = 64  # as-of dates whose in-force table is kept (a service sees many dates; a batch one)
RULINGS_KEPT = 4096  # (rule or era, as-of date) pairs whose rulings are kept as JSON objects
DECIDERS_KEPT = 4096  # (determination, values it depends on) pairs whose deciders, or rules that matter, are kept


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """What decides a rule's status besides its value and condition, read once from the rule."""

    start: date | None
    end: date | None
    mode: str  # items (per-item rule), boolean (criterion, bar, exception), value
    boolean: bool  # a criterion, bar or exception (``Rule.boolean``), per-item or not
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


class StatusGroups(NamedTuple):
    """The rules in force on a day or not, the yes/no rules among them whose status is their value's, and the rest."""

    not_in_force: tuple[str, ...]
    by_value: tuple[str, ...]
    others: tuple[tuple[str, StatusPlan], ...]
    by_value_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # the values of the ``by_value`` rules


class Entry(NamedTuple):
    """What a determination's entry in a result reads that does not depend on the case."""

    title: str
    proof: tuple[str, ...]  # the rules in its proof, depth-first (``Shapes.proof``)
    citations: list[dict[str, Any]]  # as JSON objects (copied into each result)
    unverified: tuple[str, ...]  # the rules marked ``confidence: unverified`` in its proof
    ruled: tuple[str, ...]  # the rules with court rulings in its proof
    deciders: tuple[str, ...] | None  # what its ``decided_by`` entries read (None: it names no one)


class Shapes:
    """Lazily filled tables of case-independent facts about a knowledge base's expressions and rules."""

    def __init__(self, rules: dict[str, Rule], eras: list[Era]) -> None:
        self.rules, self.eras = rules, eras
        self.determination_ids = tuple(rule.id for rule in rules.values() if rule.determination)
        self.check_ids = tuple(rule.id for rule in rules.values() if rule.check)
        # Who decides: for each determination with ``decided_by``, the determinations its ``where`` entries read.
        self.decider_inputs = {rule.id: tuple(dict.fromkeys(target for entry in rule.decided_by for target, _ in entry.where))
                               for rule in rules.values() if rule.decided_by}
        self.plans = {rule.id: _plan(rule) for rule in rules.values()}
        self.order = {rule_id: index for index, rule_id in enumerate(rules)}  # dependency order
        self._proofs: dict[str, tuple[str, ...]] = {}
        self._unverified: dict[str, tuple[str, ...]] = {}
        self._ruled: dict[str, tuple[str, ...]] = {}
        self._nodes: dict[int, tuple[s.Expr, list[s.Expr], tuple[int, ...]]] = {}
        self._texts: dict[int, tuple[s.Expr, str]] = {}
        self._names: dict[int, tuple[s.Expr, tuple[tuple[int, str], ...]]] = {}
        self._citations: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
        self._in_force: dict[date, StatusGroups] = {}
        self.ruled_ids = tuple(rule.id for rule in rules.values() if rule.rulings)
        self._rulings: dict[tuple[str, str, date], tuple[dict[str, Any], ...]] = {}
        self._deciders: dict[tuple[str, tuple[Any, ...]], tuple[tuple[str, bool], ...]] = {}
        self._entries: dict[str, Entry] = {}
        self._eras: dict[date, tuple[Era, ...]] = {}
        # per determination: the statuses ``could_matter`` reads, those of the rules in its proof with exceptions or dates
        self._gates: dict[str, Callable[[dict[str, str]], Any]] = {}
        self._matter: dict[tuple[str, Any], frozenset[str]] = {}

    def nodes(self, expr: s.Expr) -> list[s.Expr]:
        """The nodes a trace of ``expr`` records, in order (``syntax.trace_nodes``)."""
        return self._entry(expr)[1]

    def node_ids(self, expr: s.Expr) -> tuple[int, ...]:
        return self._entry(expr)[2]

    def _entry(self, expr: s.Expr) -> tuple[s.Expr, list[s.Expr], tuple[int, ...]]:
        entry = self._nodes.get(id(expr))
        if entry is None:
            nodes = s.trace_nodes(expr)
            entry = self._nodes[id(expr)] = (expr, nodes, tuple(id(n) for n in nodes))  # expr kept alive: ids stay valid
        return entry

    def status_groups(self, day: date) -> StatusGroups:
        """The rules grouped by how their status is read on a day; a batch shares its as-of date, so this is worked
        out once per batch."""
        found = self._in_force.get(day)
        if found is None:
            if len(self._in_force) >= IN_FORCE_DAYS_KEPT:
                self._in_force.clear()
            in_force = [(rule_id, plan) for rule_id, plan in self.plans.items() if plan.in_force(day)]
            by_value = tuple(rule_id for rule_id, plan in in_force if plan.mode == "boolean" and not plan.defeated_by)
            found = self._in_force[day] = StatusGroups(
                tuple(rule_id for rule_id, plan in self.plans.items() if not plan.in_force(day)), by_value,
                tuple((rule_id, plan) for rule_id, plan in in_force if plan.mode != "boolean" or plan.defeated_by),
                _getter(by_value))
        return found

    def eras_at(self, day: date) -> tuple[Era, ...]:
        """The eras in force on a day, read once per day (a batch shares its as-of date)."""
        found = self._eras.get(day)
        if found is None:
            if len(self._eras) >= IN_FORCE_DAYS_KEPT:
                self._eras.clear()
            found = self._eras[day] = tuple(era for era in self.eras if era.contains(day))
        return found

    def rulings_as_of(self, owner: str, name: str, rulings: tuple[Ruling, ...], day: date) -> list[dict[str, Any]]:
        """The rulings decided by ``day`` as JSON objects headed by ``{owner: name}`` (``rule`` or ``era``): built
        once per day, copied for each caller (a result's data is its reader's to change)."""
        key = (owner, name, day)
        found = self._rulings.get(key)
        if found is None:
            if len(self._rulings) >= RULINGS_KEPT:
                self._rulings.clear()
            found = self._rulings[key] = tuple({owner: name, **r.as_dict(day)} for r in rulings if r.day <= day)
        return [{**ruling, "citations": list(ruling["citations"])} for ruling in found]

    def deciders(self, rule_id: str, inputs: tuple[tuple[Any, str], ...]) -> tuple[tuple[str, bool], ...]:
        """(authority, settled) for each ``decided_by`` entry of a determination that holds, given the reported value
        and status word of each of its ``decider_inputs``: a handful of combinations recur across cases, so each is
        worked out once."""
        key = (rule_id, inputs)
        try:
            found = self._deciders.get(key)
            keep = True
        except TypeError:  # a list among the values: worked out each time
            found, keep = None, False
        if found is None:
            targets = self.decider_inputs[rule_id]
            values = {target: value for target, (value, status) in zip(targets, inputs) if status == "determined"}
            undetermined = {target for target, (_, status) in zip(targets, inputs) if status == "undetermined"}
            authorities, settled = deciding(self.rules[rule_id], values, undetermined)
            found = tuple((authority.authority, settled) for authority in authorities)
            if keep:
                if len(self._deciders) >= DECIDERS_KEPT:
                    self._deciders.clear()
                self._deciders[key] = found
        return found

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

    def could_matter(self, rule_id: str, statuses: dict[str, str]) -> frozenset[str]:
        """The rules in a proof that could change its answer: not those read only by a rule out of force, nor the
        exceptions of a bar whose own condition failed. That turns on the statuses of the few rules in the proof
        that can be out of force or have exceptions, so each combination is worked out once."""
        gates = self._gates.get(rule_id)
        if gates is None:
            gates = self._gates[rule_id] = _getter(r for r in self.proof(rule_id) if self.plans[r].defeated_by or (
                self.plans[r].start or self.plans[r].end or self.plans[r].suspended))
        key = (rule_id, gates(statuses))
        found = self._matter.get(key)
        if found is None:
            marked, stack = {rule_id}, [rule_id]
            while stack:
                current = stack.pop()
                status, rule = statuses[current], self.rules[current]
                if status == "not_in_force":
                    continue
                for dep in rule.reads:
                    if dep in marked or (dep in rule.defeated_by and status == "not_fired"):
                        continue
                    marked.add(dep)
                    stack.append(dep)
            if len(self._matter) >= DECIDERS_KEPT:
                self._matter.clear()
            found = self._matter[key] = frozenset(marked)
        return found

    def ruled_in_proof(self, rule_id: str) -> tuple[str, ...]:
        """The rules with court rulings in the proof of ``rule_id``, in proof order."""
        found = self._ruled.get(rule_id)
        if found is None:
            found = self._ruled[rule_id] = tuple(r for r in self.proof(rule_id) if self.rules[r].rulings)
        return found

    def entry(self, rule_id: str) -> Entry:
        """A determination's case-independent part of its result entry, read once per knowledge base."""
        found = self._entries.get(rule_id)
        if found is None:
            rule = self.rules[rule_id]
            found = self._entries[rule_id] = Entry(rule.title, self.proof(rule_id), self.citations(rule)[1],
                                                   self.unverified_in_proof(rule_id), self.ruled_in_proof(rule_id),
                                                   self.decider_inputs.get(rule_id))
        return found

    def unverified_in_proof(self, rule_id: str) -> tuple[str, ...]:
        """The rules marked ``confidence: unverified`` in the proof of ``rule_id``, in proof order."""
        found = self._unverified.get(rule_id)
        if found is None:
            found = self._unverified[rule_id] = tuple(
                r for r in self.proof(rule_id) if self.rules[r].confidence == "unverified")
        return found


def _getter(keys: Iterable[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """What a mapping holds at ``keys``, as a tuple: C-level ``itemgetter`` where it gives one (two keys or more)."""
    keys = tuple(keys)
    return itemgetter(*keys) if len(keys) > 1 else lambda mapping: tuple(mapping[key] for key in keys)


def _plan(rule: Rule) -> StatusPlan:
    mode = "items" if rule.for_each else "boolean" if rule.boolean else "value"
    return StatusPlan(rule.effective_from, rule.effective_to, mode, rule.boolean, rule.boolean or rule.type.kind == "boolean",
                      rule.when is not None, rule.value is not None, rule.otherwise is not None, tuple(rule.defeated_by),
                      rule.suspensions)
