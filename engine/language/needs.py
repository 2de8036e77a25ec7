"""Which facts an unknown rule is waiting for: generated code, read from the rule's trace.

A rule's trace records the value of every node of its expressions in ``syntax.trace_nodes`` order.
The facts still needed are found by walking each expression from its root, past every node whose
value is known: an unknown name needs its fact (or what the rule it names needs); an ``if`` whose
condition is known needs only the branch taken; a quantifier over a known list needs what its body
(which is not traced) reads and is not known: a field some item lacks (``list[*].field``), a fact, a
rule (a per-item rule's list is unknown while any of its items is); a date sum or difference that is unknown although both its operands are known ran outside
the calendar, and is reported (it needs no fact). A rule needs what its condition needs while that is
unknown, then what the branches it could take need (a yes/no rule: its exceptions).

Tracing rule by rule and walking plans per case (an interpreter over tuples, calls per node and per
rule) cost most of an intake case's result. So each expression is compiled once into a plan that
holds only the nodes that can lead to a name, and the plans of every rule into one function of the
generated program, ``needs_all(F, as_of, D, O, oc)``: in dependency order, each rule in ``O`` (the
rules the values path leaves open) is traced and what it needs is worked out, reading what the rules
it names need (``N``, absent: nothing) and the values path's values ``D``; ``oc(rule_id, text,
facts_read)`` is told each date sum outside the calendar. It returns the traces, the needs, and what
each item of a per-item rule needs. Fact and rule names reach the source only as string literals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import syntax as s
from .checker import Checked
from .printer import to_text

# Plan nodes are tuples whose first two items are the kind and the node's position in the trace:
FACT = 0  # (FACT, i, fact name)
DERIVED = 1  # (DERIVED, i, rule id)
VAR = 2  # (VAR, i, variable, field)
QUANTIFIER = 3  # (QUANTIFIER, i, items position, items plan or None, items name, item fields, body facts, body rules)
BRANCH = 4  # (BRANCH, i, condition position, condition plan, then plan, otherwise plan), plans may be None
EVERY = 5  # (EVERY, i, child plans)
CALENDAR = 6  # (CALENDAR, i, left position, right position, child plans, its text, ((fact, position or -1), ...))

Plan = tuple[Any, ...]
MAX_DEPTH = 24  # nested blocks before a part moves to a function of its own (Python allows 100 indents)


def compile_plan(checked: Checked) -> Plan | None:
    """The walk for one expression; ``None`` when no part of it can ever need a fact."""
    position = {id(node): i for i, node in enumerate(s.trace_nodes(checked.expr))}
    bindings = checked.bindings

    def build(node: s.Expr) -> Plan | None:
        at = position[id(node)]
        if isinstance(node, s.Name):
            binding = bindings.get(id(node))
            if binding is None:
                return None
            if binding.kind == "fact":
                return (FACT, at, binding.target)
            if binding.kind == "derived":
                return (DERIVED, at, binding.target)
            if binding.kind == "var" and binding.field:
                return (VAR, at, binding.target, binding.field)
            return None
        if isinstance(node, s.Quantifier):
            items = build(node.items)
            fields, facts, rules = _body_reads(checked, node)
            if items is None and not (fields or facts or rules):
                return None
            name = node.items.dotted if isinstance(node.items, s.Name) else "items"
            return (QUANTIFIER, at, position[id(node.items)], items, name, fields, facts, rules)
        if isinstance(node, s.IfThenElse):
            parts = (build(node.condition), build(node.then), build(node.otherwise))
            if parts == (None, None, None):
                return None
            return (BRANCH, at, position[id(node.condition)], *parts)
        children = (node.when,) if isinstance(node, s.Lookup) else s.children(node)
        plans = tuple(plan for plan in map(build, children) if plan is not None)
        if isinstance(node, s.Arith) and checked.type_of(node).kind == "date":  # kept even if it reads no fact
            read = tuple((binding.target, position.get(id(name), -1)) for name in s.walk(node) if isinstance(name, s.Name)
                         and (binding := bindings.get(id(name))) is not None and binding.kind == "fact")
            return (CALENDAR, at, position[id(node.left)], position[id(node.right)], plans, to_text(node), read)
        return (EVERY, at, plans) if plans else None

    return build(checked.expr)


def _body_reads(checked: Checked, quantifier: s.Quantifier) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """What a quantifier's body (not traced) reads: fields of its variable, facts and rules."""
    bindings = [binding for n in s.walk(quantifier.body)
                if isinstance(n, s.Name) and (binding := checked.bindings.get(id(n))) is not None]
    fields = (b.field for b in bindings if b.kind == "var" and b.target == quantifier.var and b.field)
    return (tuple(dict.fromkeys(fields)), tuple(dict.fromkeys(b.target for b in bindings if b.kind == "fact")),
            tuple(dict.fromkeys(b.target for b in bindings if b.kind == "derived")))


def items_name(items: Checked | None) -> str:
    """How a per-item rule's facts are named: ``family.children[2].married``."""
    return items.expr.dotted if items is not None and isinstance(items.expr, s.Name) else "items"


class NeedsWriter:
    """Writes, for one rule at a time, the statements of ``needs_all`` that work out what it still needs."""

    def __init__(self, helpers: list[str], per_item: set[str]) -> None:
        self.helpers = helpers  # functions for parts nested too deep, written at module level
        self.per_item = per_item  # the per-item rules: their value is a list, unknown while any item is
        self.counter = 0

    def _unknown(self, value: str, rule_id: str) -> str:
        """The test that a rule's value (the expression ``value``) is not known."""
        return f"({value} is None or None in {value})" if rule_id in self.per_item else f"{value} is None"

    def rule(self, plan: Any, value: str, for_each: tuple[str, Checked] | None, indent: str) -> list[str]:
        """Statements setting ``N[id]`` (and ``I[id]``, each item's needs, for a per-item rule) from ``T[id]``, the
        rule's trace, and ``value`` (the atom holding its value); ``for_each`` is (variable, items)."""
        i1, i2, i3 = indent + "    ", indent + "        ", indent + "            "
        if for_each is None:
            return [f"{indent}t = T[{plan.id!r}]", f"{indent}if t is not None and {value} is None:", f"{i1}out = []",
                    *self._parts(plan, i1, None), f"{i1}N[{plan.id!r}] = list(dict.fromkeys(out))"]
        var, items = for_each
        context = (var, items_name(items))
        return [f"{indent}t = T[{plan.id!r}]",
                f"{indent}if t is not None:",
                f"{i1}items_trace, per_item = t",
                f"{i1}item_needs = []",
                f"{i1}for i, it in enumerate(per_item):",
                f"{i2}out = []",
                f"{i2}if {value} is None or i >= len({value}) or {value}[i] is None:",
                *self._parts(plan, i3, context, trace="it"),
                f"{i2}item_needs.append(list(dict.fromkeys(out)))",
                f"{i1}needed = list(dict.fromkeys(n for found in item_needs for n in found))",
                f"{i1}if {value} is None and not needed:",
                f"{i2}out = []",
                *(self._walk(compile_plan(items), "items_trace", i2, None, plan.id) or [f"{i2}pass"]),
                f"{i2}needed = list(dict.fromkeys(out))",
                f"{i1}N[{plan.id!r}], I[{plan.id!r}] = needed, item_needs"]

    def _parts(self, plan: Any, indent: str, context: tuple[str, str] | None, trace: str = "t") -> list[str]:
        """What an unknown rule needs: its condition while unknown, then the branches it could take (a yes/no rule:
        the exceptions that could defeat it, while its condition may hold)."""
        lines = [f"{indent}w, v, o = {trace}", f"{indent}c = {'w[0]' if plan.when is not None else 'True'}"]
        walked = self._walk(compile_plan(plan.when), "w", indent + "    ", context, plan.id) if plan.when else []
        if walked:
            lines += [f"{indent}if c is None:", *walked]
        if plan.boolean:
            if plan.defeaters:
                lines.append(f"{indent}if c is not False:")
                for defeater in plan.defeaters:
                    lines += [f"{indent}    if {self._unknown(f'D[{defeater!r}]', defeater)}:",
                              f"{indent}        out += N.get({defeater!r}, ())"]
            return lines
        for test, checked, part in (("is not False", plan.value, "v"), ("is not True", plan.otherwise, "o")):
            walked = self._walk(compile_plan(checked), part, indent + "    ", context, plan.id) if checked else []
            if walked:
                lines += [f"{indent}if c {test}:", *walked]
        return lines

    def _walk(self, plan: Plan | None, x: str, indent: str, context: tuple[str, str] | None, rule_id: str) -> list[str]:
        """Statements adding to ``out`` what ``plan`` needs, read from the trace tuple named ``x`` (none: it needs nothing
        here, as a per-item variable outside its rule's items)."""
        if plan is None:
            return []
        if len(indent) > 4 * MAX_DEPTH:
            return self._moved(plan, x, indent, context, rule_id)
        kind, at = plan[0], plan[1]
        inner = indent + "    "
        guard = f"{indent}if {x}[{at}] is None:"
        if kind == FACT:
            return [guard, f"{inner}out.append({plan[2]!r})"]
        if kind == DERIVED:  # a per-item rule's list is known only when every item is
            return [f"{indent}if {self._unknown(f'{x}[{at}]', plan[2])}:", f"{inner}out += N.get({plan[2]!r}, ())"]
        if kind == VAR:
            if context is None or plan[2] != context[0]:
                return []
            return [guard, f"{inner}out.append({context[1] + '['!r} + str(i) + {'].' + plan[3]!r})"]
        deeper = inner + "    "
        if kind == QUANTIFIER:  # its body is not traced: what it reads that is not known
            items = f"{x}[{plan[2]}]"
            known = [*(line for field in plan[5] for line in (
                         f"{deeper}if any(item is None or item.get({field!r}) is None for item in {items}):",
                         f"{deeper}    out.append({f'{plan[4]}[*].{field}'!r})")),
                     *(line for fact in plan[6] for line in (f"{deeper}if F.get({fact!r}) is None:",
                                                              f"{deeper}    out.append({fact!r})")),
                     *(line for rule in plan[7] for line in (f"{deeper}if {self._unknown(f'D[{rule!r}]', rule)}:",
                                                              f"{deeper}    out += N.get({rule!r}, ())"))]
            return [guard, f"{inner}if {items} is None:",
                    *(self._walk(plan[3], x, deeper, context, rule_id) or [f"{deeper}pass"]),
                    f"{inner}else:", *(known or [f"{deeper}pass"])]
        if kind == BRANCH:  # each part written once: the code grows with the expression, not with 2 ** its depth
            self.counter += 1
            condition = f"b_{self.counter}"
            lines = [guard, f"{inner}{condition} = {x}[{plan[2]}]"]
            for test, part in ((f"{condition} is None", plan[3]), (f"{condition} is not False", plan[4]),
                               (f"{condition} is not True", plan[5])):
                walked = self._walk(part, x, deeper, context, rule_id)
                if walked:
                    lines += [f"{inner}if {test}:", *walked]
            return lines
        if kind == CALENDAR:
            read = "{" + ", ".join(f"{fact!r}: {f'{x}[{pos}]' if pos >= 0 else 'None'}" for fact, pos in plan[6]) + "}"
            parts = [line for part in plan[4] for line in self._walk(part, x, deeper, context, rule_id)]
            return [guard, f"{inner}if {x}[{plan[2]}] is not None and {x}[{plan[3]}] is not None:",
                    f"{deeper}oc({rule_id!r}, {plan[5]!r}, {read})", *([f"{inner}else:", *parts] if parts else [])]
        parts = [line for part in plan[2] for line in self._walk(part, x, inner, context, rule_id)]
        return [guard, *parts] if parts else []

    def _moved(self, plan: Plan, x: str, indent: str, context: tuple[str, str] | None, rule_id: str) -> list[str]:
        """A part nested too deep for one function: written as a module-level function and called."""
        self.counter += 1
        name = f"needs_part_{self.counter}"
        body = self._walk(plan, "x", "    ", context, rule_id)
        if not body:
            return []
        self.helpers += [f"def {name}(x, out, F, D, N, oc, i):", *body, ""]
        return [f"{indent}{name}({x}, out, F, D, N, oc, {'i' if context is not None else 'None'})"]


# needs_all(facts, as_of, values, rule ids, oc) → (traces, needs, each item's needs) of those rules, every rule's value
NeedsAll = Callable[[dict[str, Any], Any, dict[str, Any], set[str] | frozenset[str],
                     Callable[[str, str, dict[str, Any]], None]],
                    tuple[dict[str, Any], dict[str, list[str]], dict[str, list[list[str]]], dict[str, Any]]]
