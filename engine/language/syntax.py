"""The typed AST of rule expressions: one frozen dataclass per grammar alternative.

Spans are character offsets into the expression text; the diagnostics module maps them
to lines and columns of the YAML file that holds the expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .values import Duration

Span = tuple[int, int]
NO_SPAN: Span = (0, 0)


@dataclass(frozen=True)
class Node:
    """The base of every node: ``span`` is its character range in the expression text."""

    span: Span = field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Literal(Node):
    """A constant: bool, int, Decimal, str, date, Duration, or None for ``unknown``."""

    value: bool | int | Decimal | str | date | Duration | None


@dataclass(frozen=True)
class ListLiteral(Node):
    """``[a, b, ...]``: a list written in the expression."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Name(Node):
    """A dotted name: a fact, a derived fact, a parameter, ``as_of``, or a bound variable's field."""

    dotted: str


@dataclass(frozen=True)
class Lookup(Node):
    """``parameter at date``: a dated parameter's value in force on a date."""

    parameter: Name
    when: Expr


@dataclass(frozen=True)
class Not(Node):
    """``not operand``."""

    operand: Expr


@dataclass(frozen=True)
class Negate(Node):
    """``-operand``."""

    operand: Expr


@dataclass(frozen=True)
class And(Node):
    """``a and b and ...``."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or(Node):
    """``a or b or ...``."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare(Node):
    """``left op right`` with op one of == != < <= > >= in ``not in``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Arith(Node):
    """``left op right`` with op one of + - * /."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class IfThenElse(Node):
    """``if condition then a else b``."""

    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Quantifier(Node):
    """``kind var in items: body`` with kind one of any, all, count, sum, min, max."""

    kind: str
    var: str
    items: Expr
    body: Expr


@dataclass(frozen=True)
class Call(Node):
    """``function(args)``: a built-in function from the registry in ``functions``."""

    function: str
    args: tuple[Expr, ...]


Expr = Literal | ListLiteral | Name | Lookup | Not | Negate | And | Or | Compare | Arith | IfThenElse | Quantifier | Call


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node, in source order."""
    if isinstance(node, ListLiteral):
        return node.items
    if isinstance(node, Lookup):
        return (node.parameter, node.when)
    if isinstance(node, (Not, Negate)):
        return (node.operand,)
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, (Compare, Arith)):
        return (node.left, node.right)
    if isinstance(node, IfThenElse):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Quantifier):
        return (node.items, node.body)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Expr) -> list[Expr]:
    """Every node of the tree in pre-order, without recursion."""
    out: list[Expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(children(current)))
    return out


def trace_nodes(expr: Expr) -> list[Expr]:
    """The nodes whose values a trace records, in pre-order; quantifier bodies are summarised by the quantifier."""
    out: list[Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, Quantifier):
            stack.append(node.items)
        else:
            stack.extend(reversed(children(node)))
    return out
