"""Which facts an unknown rule is waiting for: generated code, one function per rule, read from its trace.

A rule's trace records the value of every node of its expressions in ``syntax.trace_nodes`` order.
The facts still needed are found by walking each expression from its root, past every node whose
value is known: an unknown name needs its fact (or what the rule it names needs); an ``if`` whose
condition is known needs only the branch taken; a quantifier over a known list needs the fields its
body reads; a date sum or difference that is unknown although both its operands are known ran outside
the calendar, and is reported (it needs no fact). A rule needs what its condition needs while that is
unknown, then what the branches it could take need (a yes/no rule: its exceptions).

Walking plans per case (an interpreter over tuples, a call per node and per rule) cost most of an
intake case's result; so each expression is compiled once into a plan that holds only the nodes that
can lead to a name, and each rule's plans into one function of the generated program (``NEEDS``):
``needs(trace, value, D, N, oc)``, where ``D`` holds the values path's values, ``N`` maps a rule id to
what that rule needs (absent: nothing; the caller fills it in dependency order) and
``oc(rule_id, text, facts_read)`` is told each date sum outside the calendar. A per-item rule's function returns what the rule needs and what
each item needs. Fact and rule names reach the source only as string literals (``repr``).
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
QUANTIFIER = 3  # (QUANTIFIER, i, items position, items plan or None, fields read as "list[*].field")
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
            fields = _fields_read(checked, node)
            if items is None and not fields:
                return None
            return (QUANTIFIER, at, position[id(node.items)], items, fields)
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


def _fields_read(checked: Checked, quantifier: s.Quantifier) -> tuple[str, ...]:
    """``list[*].field`` for each field of the quantified variable its body reads."""
    items_name = quantifier.items.dotted if isinstance(quantifier.items, s.Name) else "items"
    fields = [binding.field for n in s.walk(quantifier.body)
              if isinstance(n, s.Name) and (binding := checked.bindings.get(id(n))) is not None
              and binding.kind == "var" and binding.target == quantifier.var]
    return tuple(f"{items_name}[*].{f}" for f in dict.fromkeys(fields) if f)


def items_name(items: Checked | None) -> str:
    """How a per-item rule's facts are named: ``family.children[2].married``."""
    return items.expr.dotted if items is not None and isinstance(items.expr, s.Name) else "items"


class NeedsWriter:
    """Writes ``needs_<index>`` for each rule, and ``NEEDS``, the table from rule id to function."""

    def __init__(self, helpers: list[str]) -> None:
        self.helpers = helpers  # functions for parts nested too deep, written at module level
        self.counter = 0

    def rule(self, index: int, plan: Any, for_each: tuple[str, Checked] | None) -> list[str]:
        """The function for one rule; ``for_each`` is (variable, items) for a per-item rule."""
        name = f"needs_{index}"
        if for_each is None:
            return [f"def {name}(t, value, D, N, oc):", "    if value is not None:", "        return []",
                    "    out = []", *self._parts(plan, "    ", None), "    return list(dict.fromkeys(out))", ""]
        var, items = for_each
        context = (var, items_name(items))
        items_plan = compile_plan(items)
        return [f"def {name}(t, value, D, N, oc):",
                "    items_trace, per_item = t",
                "    item_needs = []",
                "    for i, it in enumerate(per_item):",
                "        item_value = value[i] if value is not None and i < len(value) else None",
                "        out = []",
                "        if item_value is None:",
                *self._parts(plan, "            ", context, trace="it"),
                "        item_needs.append(list(dict.fromkeys(out)))",
                "    needed = list(dict.fromkeys(n for found in item_needs for n in found))",
                "    if value is None and not needed:",
                "        out = []",
                *(self._walk(items_plan, "items_trace", "        ", None, plan.id) or ["        pass"]),
                "        needed = list(dict.fromkeys(out))",
                "    return needed, item_needs", ""]

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
                    lines += [f"{indent}    if D[{defeater!r}] is None:", f"{indent}        out += N.get({defeater!r}, ())"]
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
        if kind == DERIVED:
            return [guard, f"{inner}out += N.get({plan[2]!r}, ())"]
        if kind == VAR:
            if context is None or plan[2] != context[0]:
                return []
            return [guard, f"{inner}out.append({context[1] + '['!r} + str(i) + {'].' + plan[3]!r})"]
        deeper = inner + "    "
        if kind == QUANTIFIER:
            return [guard, f"{inner}if {x}[{plan[2]}] is None:",
                    *(self._walk(plan[3], x, deeper, context, rule_id) or [f"{deeper}pass"]),
                    f"{inner}else:", f"{deeper}out += {plan[4]!r}"]
        if kind == BRANCH:
            self.counter += 1
            condition = f"b_{self.counter}"
            unknown = [line for part in plan[3:] for line in self._walk(part, x, deeper, context, rule_id)]
            return [guard, f"{inner}{condition} = {x}[{plan[2]}]",
                    f"{inner}if {condition} is True:", *(self._walk(plan[4], x, deeper, context, rule_id) or [f"{deeper}pass"]),
                    f"{inner}elif {condition} is False:",
                    *(self._walk(plan[5], x, deeper, context, rule_id) or [f"{deeper}pass"]),
                    f"{inner}else:", *(unknown or [f"{deeper}pass"])]
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
        self.helpers += [f"def {name}(x, out, N, oc, i):", *body, ""]
        return [f"{indent}{name}({x}, out, N, oc, {'i' if context is not None else 'None'})"]


def table(ids: list[str]) -> str:
    """The source of ``NEEDS``: rule id → its function."""
    return "NEEDS = {" + ", ".join(f"{rule_id!r}: needs_{i}" for i, rule_id in enumerate(ids)) + "}"


Needs = Callable[[Any, Any, dict[str, Any], Any, Callable[[str, str, dict[str, Any]], None]], Any]
