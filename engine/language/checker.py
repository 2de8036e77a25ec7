"""Static checking: resolve every name and give every sub-expression a type before anything runs.

Errors are ``ExpressionError`` with the span of the offending node and, for unknown names,
a "did you mean" hint. A checked expression records, per node, its type and (for names)
what the name is bound to; the compiler reads nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from . import functions
from . import syntax as s
from . import types as t
from .diagnostics import ExpressionError, suggest
from .record import FrozenRecord, Record
from .values import Duration


class Binding(FrozenRecord):
    """What a ``Name`` refers to. ``kind`` is fact, derived, parameter, as_of or var."""

    _fields = ("kind", "target", "field")
    kind: str
    target: str
    field: str | None  # for var: the record field read, if any

    def __init__(self, kind: str, target: str, field: str | None = None) -> None:
        self.__dict__.update(kind=kind, target=target, field=field)


class Scope(Protocol):
    """The names an expression may read, with their types (facts catalog, rules, parameters)."""

    def resolve(self, name: str) -> tuple[str, t.Type] | None: ...

    def names(self) -> Iterable[str]: ...


class Checked(Record):
    """An expression with its type, the type of every node and the binding of every name.

    Node identity keys the two maps, so pickling (the compiled-KB cache) stores them by walk order, and
    unpickling rebuilds them only when first read: a warm ``eval`` runs the compiled program and never
    reads them, and rebuilding every rule's maps took three quarters of unpickling the rules.
    """

    _fields = ("expr", "type", "types", "bindings")
    expr: s.Expr
    type: t.Type
    _types: dict[int, t.Type]
    _bindings: dict[int, Binding]
    _stored: tuple[list[t.Type | None], list[Binding | None]] | None  # unpickled maps not yet rebuilt

    def __init__(self, expr: s.Expr, type: t.Type, types: dict[int, t.Type] | None = None,
                 bindings: dict[int, Binding] | None = None) -> None:
        self.__dict__.update(expr=expr, type=type, _types={} if types is None else types,
                             _bindings={} if bindings is None else bindings, _stored=None)

    @property
    def types(self) -> dict[int, t.Type]:
        if self._stored is not None:
            self._restore(*self._stored)
        return self._types

    @property
    def bindings(self) -> dict[int, Binding]:
        if self._stored is not None:
            self._restore(*self._stored)
        return self._bindings

    def reads(self, kind: str) -> list[str]:
        """The names of the given binding kind this expression reads, in first-use order."""
        return list(dict.fromkeys(b.target for b in self.bindings.values() if b.kind == kind))

    def type_of(self, node: s.Expr) -> t.Type:
        return self.types[id(node)]

    def __getstate__(self) -> dict[str, Any]:
        nodes = s.walk(self.expr)
        return {"expr": self.expr, "type": self.type,
                "types": [self.types.get(id(n)) for n in nodes],
                "bindings": [self.bindings.get(id(n)) for n in nodes]}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(expr=state["expr"], type=state["type"], _stored=(state["types"], state["bindings"]))

    def _restore(self, types: list[t.Type | None], bindings: list[Binding | None]) -> None:
        """The maps from the walk-order lists pickling stored, keyed by the identity of this process's nodes."""
        nodes = s.walk(self.expr)
        self.__dict__.update(_types={id(n): v for n, v in zip(nodes, types) if v is not None},
                             _bindings={id(n): v for n, v in zip(nodes, bindings) if v is not None},
                             _stored=None)


def check(expr: s.Expr, scope: Scope, expected: t.Type | None = None,
          bound: dict[str, t.Type] | None = None) -> Checked:
    """Type-check ``expr`` against ``scope``; optionally require a result type (e.g. boolean).

    ``bound`` names variables already in scope (a rule applied to each item of a list).
    """
    out = Checked(expr, t.ANY)
    out.type = _Checker(scope, out).visit(expr, dict(bound or {}))
    if expected is not None and not t.compatible(out.type, expected):
        raise ExpressionError("E130", f"expected {expected}, but this expression gives {out.type}", expr.span)
    return out


def _literal_type(value: object) -> t.Type:
    if value is None:
        return t.ANY
    if isinstance(value, bool):
        return t.BOOLEAN
    if isinstance(value, (int, Decimal)):
        return t.NUMBER
    if isinstance(value, str):
        return t.enum((value,))  # so derived outcomes are enums and comparisons with them are checked
    if isinstance(value, date):
        return t.DATE
    if isinstance(value, Duration):
        return t.DURATION
    raise TypeError(f"unexpected literal {value!r}")


_ARITH: dict[tuple[str, str, str], t.Type] = {
    ("+", "number", "number"): t.NUMBER,
    ("+", "date", "duration"): t.DATE,
    ("+", "duration", "date"): t.DATE,
    ("+", "duration", "duration"): t.DURATION,
    ("-", "number", "number"): t.NUMBER,
    ("-", "date", "date"): t.NUMBER,
    ("-", "date", "duration"): t.DATE,
    ("-", "duration", "duration"): t.DURATION,
    ("*", "number", "number"): t.NUMBER,
    ("/", "number", "number"): t.NUMBER,
}
_ORDERED = ("number", "date")
_QUANTIFIER_BODY = {"any": ("boolean",), "all": ("boolean",), "count": ("boolean",), "sum": ("number",),
                    "min": ("number", "date"), "max": ("number", "date")}


class _Checker:
    def __init__(self, scope: Scope, out: Checked):
        self.scope, self.out = scope, out

    def visit(self, node: s.Expr, env: dict[str, t.Type]) -> t.Type:
        method = getattr(self, "visit_" + type(node).__name__)
        result: t.Type = method(node, env)
        self.out.types[id(node)] = result
        return result

    def require(self, node: s.Expr, env: dict[str, t.Type], kinds: tuple[str, ...], what: str) -> t.Type:
        got = self.visit(node, env)
        if got.kind != "any" and got.kind not in kinds and not ("string" in kinds and got.kind == "enum"):
            raise ExpressionError("E130", f"{what} must be {' or '.join(kinds)}, not {got}", node.span)
        return got

    def visit_Literal(self, node: s.Literal, env: dict[str, t.Type]) -> t.Type:
        return _literal_type(node.value)

    def visit_ListLiteral(self, node: s.ListLiteral, env: dict[str, t.Type]) -> t.Type:
        item = t.ANY
        for element in node.items:
            got = self.visit(element, env)
            if not t.compatible(item, got):
                raise ExpressionError("E130", f"list items must share one type: {item} and {got}", element.span)
            item = t.join(item, got)
        return t.list_of(item)

    def visit_Name(self, node: s.Name, env: dict[str, t.Type]) -> t.Type:
        head, _, rest = node.dotted.partition(".")
        if head in env:
            return self._bound(node, head, rest, env[head])
        if node.dotted == "as_of":
            self.out.bindings[id(node)] = Binding("as_of", "as_of")
            return t.DATE
        resolved = self.scope.resolve(node.dotted)
        if resolved is None:
            known = list(self.scope.names()) + list(env) + ["as_of"]
            hint = suggest(node.dotted, known)
            if hint is None and "." not in node.dotted:
                hint = f'to give the text {node.dotted}, quote it: "{node.dotted}"'
            raise ExpressionError("E120", f"unknown name '{node.dotted}'", node.span, hint)
        kind, declared = resolved
        self.out.bindings[id(node)] = Binding(kind, node.dotted)
        return declared

    def _bound(self, node: s.Name, var: str, rest: str, var_type: t.Type) -> t.Type:
        if not rest:
            self.out.bindings[id(node)] = Binding("var", var)
            return var_type
        field_type = var_type.field(rest) if var_type.kind == "record" else None
        if field_type is None:
            known = [name for name, _ in var_type.fields or ()]
            raise ExpressionError(
                "E132", f"'{var}' has no field '{rest}'", node.span,
                suggest(rest, known) or (f"fields: {', '.join(known)}" if known else f"'{var}' is a {var_type}"),
            )
        self.out.bindings[id(node)] = Binding("var", var, rest)
        return field_type

    def visit_Lookup(self, node: s.Lookup, env: dict[str, t.Type]) -> t.Type:
        resolved = self.scope.resolve(node.parameter.dotted)
        if resolved is None or resolved[0] != "parameter":
            params = [n for n in self.scope.names() if (self.scope.resolve(n) or ("",))[0] == "parameter"]
            raise ExpressionError(
                "E124", f"'{node.parameter.dotted}' is not a parameter; only parameters can be looked up 'at' a date",
                node.parameter.span, suggest(node.parameter.dotted, params),
            )
        self.out.bindings[id(node.parameter)] = Binding("parameter", node.parameter.dotted)
        self.out.types[id(node.parameter)] = resolved[1]
        self.require(node.when, env, ("date",), "the date after 'at'")
        return resolved[1]

    def visit_Not(self, node: s.Not, env: dict[str, t.Type]) -> t.Type:
        self.require(node.operand, env, ("boolean",), "the operand of 'not'")
        return t.BOOLEAN

    def visit_Negate(self, node: s.Negate, env: dict[str, t.Type]) -> t.Type:
        self.require(node.operand, env, ("number",), "the operand of '-'")
        return t.NUMBER

    def visit_And(self, node: s.And, env: dict[str, t.Type]) -> t.Type:
        for operand in node.operands:
            self.require(operand, env, ("boolean",), "each operand of 'and'")
        return t.BOOLEAN

    def visit_Or(self, node: s.Or, env: dict[str, t.Type]) -> t.Type:
        for operand in node.operands:
            self.require(operand, env, ("boolean",), "each operand of 'or'")
        return t.BOOLEAN

    def visit_Compare(self, node: s.Compare, env: dict[str, t.Type]) -> t.Type:
        left, right = self.visit(node.left, env), self.visit(node.right, env)
        if node.op in ("in", "not in"):
            if right.kind not in ("list", "any"):
                raise ExpressionError("E130", f"the right side of '{node.op}' must be a list, not {right}", node.right.span)
            item = right.item or t.ANY
            if not t.compatible(left, item):
                raise ExpressionError("E130", f"cannot look for {left} in a {right}", node.span)
            self._check_enum_values(left, node.right)
            self._check_enum_values(item, node.left)
        elif node.op in ("==", "!="):
            if not t.compatible(left, right):
                raise ExpressionError("E130", f"cannot compare {left} with {right}", node.span,
                                      "both sides of '==' must have the same type")
            self._check_enum_values(left, node.right)
            self._check_enum_values(right, node.left)
        else:
            for side, side_type in ((node.left, left), (node.right, right)):
                if side_type.kind not in _ORDERED + ("any",):
                    raise ExpressionError("E130", f"'{node.op}' compares numbers or dates, not {side_type}", side.span)
            if left.kind != "any" and right.kind != "any" and left.kind != right.kind:
                raise ExpressionError("E130", f"cannot compare {left} with {right}", node.span)
        return t.BOOLEAN

    def _check_enum_values(self, declared: t.Type, other: s.Expr) -> None:
        """A string literal compared with an enum must be one of its values."""
        if declared.kind != "enum" or declared.values is None:
            return
        literals = other.items if isinstance(other, s.ListLiteral) else (other,)
        for literal in literals:
            if isinstance(literal, s.Literal) and isinstance(literal.value, str) and literal.value not in declared.values:
                raise ExpressionError(
                    "E131", f'"{literal.value}" is not a possible value here', literal.span,
                    suggest(literal.value, declared.values) or f"possible values: {', '.join(declared.values)}",
                )

    def visit_Arith(self, node: s.Arith, env: dict[str, t.Type]) -> t.Type:
        left, right = self.visit(node.left, env), self.visit(node.right, env)
        if left.kind == "any" or right.kind == "any":
            # An unknown literal could be of any type: the result is whatever every fitting row agrees on.
            fits = {result for (op, lk, rk), result in _ARITH.items() if op == node.op
                    and left.kind in (lk, "any") and right.kind in (rk, "any")}
            if not fits:
                raise ExpressionError("E130", f"cannot compute {left} {node.op} {right}", node.span)
            return fits.pop() if len(fits) == 1 else t.ANY
        result = _ARITH.get((node.op, left.kind, right.kind))
        if result is None:
            raise ExpressionError("E130", f"cannot compute {left} {node.op} {right}", node.span,
                                  "dates take durations (@2025-01-01 + 1 year); date - date gives days")
        return result

    def visit_IfThenElse(self, node: s.IfThenElse, env: dict[str, t.Type]) -> t.Type:
        self.require(node.condition, env, ("boolean",), "the condition of 'if'")
        then, otherwise = self.visit(node.then, env), self.visit(node.otherwise, env)
        if not t.compatible(then, otherwise):
            raise ExpressionError("E130", f"'then' gives {then} but 'else' gives {otherwise}", node.span)
        return t.join(then, otherwise)

    def visit_Quantifier(self, node: s.Quantifier, env: dict[str, t.Type]) -> t.Type:
        if "." in node.var:
            # 'x.y' could never be read back (a dotted name is a field of 'x'), and it is no Python name.
            raise ExpressionError("E125", f"the variable of '{node.kind}' must be a plain name, not '{node.var}'",
                                  node.span, f"write e.g. '{node.kind} {node.var.replace('.', '_')} in ...'")
        items = self.require(node.items, env, ("list",), f"the collection of '{node.kind}'")
        body = self.require(node.body, {**env, node.var: items.item or t.ANY},
                            _QUANTIFIER_BODY[node.kind], f"the body of '{node.kind}'")
        if node.kind in ("any", "all"):
            return t.BOOLEAN
        if node.kind in ("count", "sum"):
            return t.NUMBER
        return body if body.kind != "any" else t.NUMBER

    def visit_Call(self, node: s.Call, env: dict[str, t.Type]) -> t.Type:
        function = functions.lookup(node.function)
        if function is None:
            raise ExpressionError(
                "E121", f"unknown function '{node.function}'", node.span,
                suggest(node.function, functions.FUNCTIONS) or "known functions: " + ", ".join(sorted(functions.FUNCTIONS)),
            )
        if not function.arity_ok(len(node.args)):
            raise ExpressionError(
                "E122", f"{node.function}() takes {_arity_text(function)}, not {len(node.args)}", node.span,
                f"example: {function.example}",
            )
        arg_types = []
        for index, arg in enumerate(node.args):
            kind = function.params[min(index, len(function.params) - 1)]
            if kind == "*":
                kind = function.params[-2]
            got = self.visit(arg, env)
            if not functions.accepts(kind, got):
                raise ExpressionError("E130", f"argument {index + 1} of {node.function}() must be {kind}, not {got}",
                                      arg.span, f"example: {function.example}")
            arg_types.append(got)
        if function.name == "coalesce" and any(not t.compatible(arg_types[0], a) for a in arg_types):
            raise ExpressionError("E130", "coalesce() arguments must share one type", node.span)
        return function.result(arg_types)


def _arity_text(function: functions.Function) -> str:
    if function.params and function.params[-1] == "*":
        return f"at least {len(function.params) - 1} argument(s)"
    count = len(function.params)
    return f"{count} argument{'s' if count != 1 else ''}"
