"""Print an AST back as canonical expression text; parsing the text gives the same AST."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from . import syntax as s
from .values import Duration

_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(1, 10)


def _precedence(node: s.Expr) -> int:
    if isinstance(node, (s.IfThenElse, s.Quantifier)):
        return 0
    if isinstance(node, s.Or):
        return _OR
    if isinstance(node, s.And):
        return _AND
    if isinstance(node, s.Not):
        return _NOT
    if isinstance(node, s.Compare):
        return _COMPARE
    if isinstance(node, s.Arith):
        return _SUM if node.op in "+-" else _PRODUCT
    if isinstance(node, s.Negate):
        return _UNARY
    if isinstance(node, s.Lookup):
        return _POSTFIX
    return _ATOM


def to_text(node: s.Expr, minimum: int = 0) -> str:
    """The text of ``node``, in parentheses if it binds more loosely than ``minimum``."""
    text = _text(node)
    return f"({text})" if _precedence(node) < minimum else text


def _literal(value: object) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if "." in text else text + ".0"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, date):
        return "@" + value.isoformat()
    if isinstance(value, Duration):
        parts = [(value.years, "year"), (value.months, "month"), (value.days, "day")]
        amount, unit = next(((a, u) for a, u in parts if a), (0, "day"))
        return f"{amount} {unit}{'' if amount == 1 else 's'}"
    return str(value)


def _text(node: s.Expr) -> str:
    if isinstance(node, s.Literal):
        return _literal(node.value)
    if isinstance(node, s.ListLiteral):
        return "[" + ", ".join(to_text(i) for i in node.items) + "]"
    if isinstance(node, s.Name):
        return node.dotted
    if isinstance(node, s.Lookup):
        return f"{node.parameter.dotted} at {to_text(node.when, _ATOM)}"
    if isinstance(node, s.Not):
        return f"not {to_text(node.operand, _NOT)}"
    if isinstance(node, s.Negate):
        return f"-{to_text(node.operand, _UNARY)}"
    if isinstance(node, s.And):
        return " and ".join(to_text(o, _NOT) for o in node.operands)
    if isinstance(node, s.Or):
        return " or ".join(to_text(o, _AND) for o in node.operands)
    if isinstance(node, s.Compare):
        return f"{to_text(node.left, _SUM)} {node.op} {to_text(node.right, _SUM)}"
    if isinstance(node, s.Arith):
        level = _SUM if node.op in "+-" else _PRODUCT
        return f"{to_text(node.left, level)} {node.op} {to_text(node.right, level + 1)}"
    if isinstance(node, s.IfThenElse):
        return f"if {to_text(node.condition)} then {to_text(node.then)} else {to_text(node.otherwise)}"
    if isinstance(node, s.Quantifier):
        return f"{node.kind} {node.var} in {to_text(node.items, _OR)}: {to_text(node.body)}"
    assert isinstance(node, s.Call)
    return f"{node.function}(" + ", ".join(to_text(a) for a in node.args) + ")"
