"""The typed AST of rule expressions: one frozen record per grammar alternative.

Spans are character offsets into the expression text; the diagnostics module maps them
to lines and columns of the YAML file that holds the expression.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .record import FrozenRecord
from .values import Duration

Span = tuple[int, int]
NO_SPAN: Span = (0, 0)


class Node(FrozenRecord):
    """The base of every node: ``span`` is its character range in the expression text (not compared, not shown)."""

    span: Span

    def __init__(self, *, span: Span = NO_SPAN) -> None:
        self.__dict__["span"] = span


class Literal(Node):
    """A constant: bool, int, Decimal, str, date, Duration, or None for ``unknown``."""

    _fields = ("value",)
    value: bool | int | Decimal | str | date | Duration | None

    def __init__(self, value: bool | int | Decimal | str | date | Duration | None, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, value=value)


class ListLiteral(Node):
    """``[a, b, ...]``: a list written in the expression."""

    _fields = ("items",)
    items: tuple[Expr, ...]

    def __init__(self, items: tuple[Expr, ...], *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, items=items)


class Name(Node):
    """A dotted name: a fact, a derived fact, a parameter, ``as_of``, or a bound variable's field."""

    _fields = ("dotted",)
    dotted: str

    def __init__(self, dotted: str, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, dotted=dotted)


class Lookup(Node):
    """``parameter at date``: a dated parameter's value in force on a date."""

    _fields = ("parameter", "when")
    parameter: Name
    when: Expr

    def __init__(self, parameter: Name, when: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, parameter=parameter, when=when)


class Not(Node):
    """``not operand``."""

    _fields = ("operand",)
    operand: Expr

    def __init__(self, operand: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, operand=operand)


class Negate(Node):
    """``-operand``."""

    _fields = ("operand",)
    operand: Expr

    def __init__(self, operand: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, operand=operand)


class And(Node):
    """``a and b and ...``."""

    _fields = ("operands",)
    operands: tuple[Expr, ...]

    def __init__(self, operands: tuple[Expr, ...], *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, operands=operands)


class Or(Node):
    """``a or b or ...``."""

    _fields = ("operands",)
    operands: tuple[Expr, ...]

    def __init__(self, operands: tuple[Expr, ...], *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, operands=operands)


class Binary(Node):
    """``left op right``: the shape of comparisons and arithmetic (never a node of its own)."""

    _fields = ("op", "left", "right")
    op: str
    left: Expr
    right: Expr

    def __init__(self, op: str, left: Expr, right: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, op=op, left=left, right=right)


class Compare(Binary):
    """``left op right`` with op one of == != < <= > >= in ``not in``."""


class Arith(Binary):
    """``left op right`` with op one of + - * /."""


class IfThenElse(Node):
    """``if condition then a else b``."""

    _fields = ("condition", "then", "otherwise")
    condition: Expr
    then: Expr
    otherwise: Expr

    def __init__(self, condition: Expr, then: Expr, otherwise: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, condition=condition, then=then, otherwise=otherwise)


class Quantifier(Node):
    """``kind var in items: body`` with kind one of any, all, count, sum, min, max."""

    _fields = ("kind", "var", "items", "body")
    kind: str
    var: str
    items: Expr
    body: Expr

    def __init__(self, kind: str, var: str, items: Expr, body: Expr, *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, kind=kind, var=var, items=items, body=body)


class Call(Node):
    """``function(args)``: a built-in function from the registry in ``functions``."""

    _fields = ("function", "args")
    function: str
    args: tuple[Expr, ...]

    def __init__(self, function: str, args: tuple[Expr, ...], *, span: Span = NO_SPAN) -> None:
        self.__dict__.update(span=span, function=function, args=args)


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
    if isinstance(node, Binary):
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
