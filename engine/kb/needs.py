"""Which facts an unknown expression is waiting for, as a plan compiled once per expression.

A rule's trace records the value of every node of its expressions in ``trace_nodes`` order. The facts
still needed are found by walking the expression from its root, past every node whose value is known:
an unknown name needs its fact (or what the rule it names needs); an ``if`` whose condition is known
needs only the branch taken; a quantifier over a known list needs the fields its body reads; a date sum
or difference that is unknown although both its operands are known ran outside the calendar, and is
reported (it needs no fact). Walking
the syntax tree per case (isinstance tests, node ids, a dict of node values) cost most of a sparse
case's result, so each expression is compiled once into a small tree of tuples that holds only the
nodes that can lead to a name, each with its position in the trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..language import syntax as s
from ..language.checker import Checked
from ..language.codegen import trace_nodes
from ..language.printer import to_text

# Plan nodes are tuples whose first two items are the kind and the node's position in the trace:
FACT = 0  # (FACT, i, fact name)
DERIVED = 1  # (DERIVED, i, rule id)
VAR = 2  # (VAR, i, variable, field)
QUANTIFIER = 3  # (QUANTIFIER, i, items position, items plan or None, fields read as "list[*].field")
BRANCH = 4  # (BRANCH, i, condition position, condition plan, then plan, otherwise plan), plans may be None
EVERY = 5  # (EVERY, i, child plans)
CALENDAR = 6  # (CALENDAR, i, left position, right position, child plans, its text, ((fact, position or -1), ...))

Plan = tuple[Any, ...]
Context = tuple[str, str, int]  # the per-item variable, the name of the items list, the item's index
OutsideCalendar = Callable[[str, dict[str, Any]], None]  # told a date sum's text and the facts it read


def compile_plan(checked: Checked) -> Plan | None:
    """The walk for one expression; ``None`` when no part of it can ever need a fact."""
    position = {id(node): i for i, node in enumerate(trace_nodes(checked.expr))}
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


def facts_needed(plan: Plan | None, trace: tuple[Any, ...], derived: Callable[[str], list[str]],
                 context: Context | None, outside_calendar: OutsideCalendar) -> list[str]:
    """The unknown facts (in expression order, each once) that the traced expression is waiting for.

    ``derived(rule_id)`` gives the facts a rule named in the expression needs; ``context`` places a
    per-item rule's variable (``family.children[2].married``); ``outside_calendar`` is told each date
    sum met on the way that has no value although its operands have one.
    """
    if plan is None or trace[plan[1]] is not None:
        return []
    out: list[str] = []
    _walk(plan, trace, out, derived, context, outside_calendar)
    return list(dict.fromkeys(out))


def _walk(plan: Plan, trace: tuple[Any, ...], out: list[str], derived: Callable[[str], list[str]],
          context: Context | None, outside_calendar: OutsideCalendar) -> None:
    if trace[plan[1]] is not None:
        return
    kind = plan[0]
    if kind == FACT:
        out.append(plan[2])
    elif kind == DERIVED:
        out += derived(plan[2])
    elif kind == VAR:
        if context is not None and plan[2] == context[0]:
            out.append(f"{context[1]}[{context[2]}].{plan[3]}")
    elif kind == QUANTIFIER:
        if trace[plan[2]] is None:
            if plan[3] is not None:
                _walk(plan[3], trace, out, derived, context, outside_calendar)
        else:
            out += plan[4]
    elif kind == BRANCH:
        condition = trace[plan[2]]
        chosen = (plan[4],) if condition is True else (plan[5],) if condition is False else plan[3:]
        for part in chosen:
            if part is not None:
                _walk(part, trace, out, derived, context, outside_calendar)
    elif kind == CALENDAR and trace[plan[2]] is not None and trace[plan[3]] is not None:
        read: dict[str, Any] = {}
        for fact, at in plan[6]:
            read[fact] = trace[at] if at >= 0 else None  # a name inside a quantifier's body is not traced
        outside_calendar(plan[5], read)
    else:
        for part in plan[4] if kind == CALENDAR else plan[2]:
            _walk(part, trace, out, derived, context, outside_calendar)
