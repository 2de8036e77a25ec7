"""One expression on its own: parse, check and compile it against declared fact types.

The knowledge-base loader does the same for every rule at once; this entry point serves the
language's tests, the executable examples of docs/language.md, and users exploring the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import checker, codegen, parser, runtime
from . import syntax as s
from . import types as t
from .diagnostics import ExpressionError, RulesError, expression_diagnostic, text_positions


@dataclass
class MapScope:
    """A scope given as plain maps: fact types, derived-fact types and parameter types."""

    facts: dict[str, t.Type] = field(default_factory=dict)
    derived: dict[str, t.Type] = field(default_factory=dict)
    parameters: dict[str, t.Type] = field(default_factory=dict)

    def resolve(self, name: str) -> tuple[str, t.Type] | None:
        for kind, table in (("fact", self.facts), ("derived", self.derived), ("parameter", self.parameters)):
            if name in table:
                return kind, table[name]
        return None

    def names(self) -> Iterable[str]:
        return [*self.facts, *self.derived, *self.parameters]


@dataclass
class CompiledExpression:
    text: str
    checked: checker.Checked
    program: codegen.Program

    @property
    def type(self) -> t.Type:
        return self.checked.type

    def evaluate(self, facts: dict[str, Any], as_of: date) -> Any:
        """The value in three-valued logic (``None`` is unknown)."""
        return self.program.traced(facts, as_of)[0]["expr"]

    def value(self, facts: dict[str, Any], as_of: date) -> Any:
        """The value on the values path (no trace): the same as ``evaluate``, and what batches use."""
        return self.program.values(facts, as_of)["expr"]

    def trace(self, facts: dict[str, Any], as_of: date) -> list[tuple[str, Any]]:
        """Each traced sub-expression's source text with its value, in pre-order."""
        recorded = self.program.traced(facts, as_of)[1]["expr"][1]
        nodes = s.trace_nodes(self.checked.expr)
        return [(self.text[n.span[0]:n.span[1]], value) for n, value in zip(nodes, recorded)]


def compile_expression(
    text: str,
    facts: dict[str, t.Type] | None = None,
    parameters: dict[str, tuple[t.Type, runtime.DatedValues]] | None = None,
    expected: t.Type | None = None,
) -> CompiledExpression:
    """Parse, check and compile ``text``; errors are ``RulesError`` with a caret under the problem."""
    params = parameters or {}
    scope = MapScope(facts=dict(facts or {}), parameters={name: p[0] for name, p in params.items()})
    try:
        checked = checker.check(parser.parse(text), scope, expected)
    except ExpressionError as error:
        raise RulesError([expression_diagnostic(error, text_positions(text), None, None)]) from None
    plan = codegen.RulePlan(id="expr", boolean=False, when=None, value=checked, otherwise=None)
    program = codegen.compile_rules([plan], {name: p[1] for name, p in params.items()})
    return CompiledExpression(text, checked, program)

