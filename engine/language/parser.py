"""Parse expression text into the AST. The only module that imports lark.

Lark's exceptions are translated here, once, into ``ExpressionError`` with an offset span
and a plain-language list of what was expected. Size and nesting limits are enforced
before any recursive step, so pathological input is an error, never a RecursionError.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from . import syntax as s
from . import values
from .diagnostics import ExpressionError

MAX_EXPRESSION_LENGTH = 20_000
MAX_NESTING_DEPTH = 64
MAX_LIST_ITEMS = 1_000
MAX_NUMBER_DIGITS = 30

_TERMINAL_NAMES = {
    "NAME": "a name",
    "INT": "a number",
    "DECIMAL": "a number",
    "STRING": "a string",
    "DATE": "a date such as @2025-07-04",
    "DURATION": "a duration such as 180 days",
    "COMPARE_OP": "a comparison (== != < <= > >=)",
    "$END": "the end of the expression",
}
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t"}


@cache
def _lark() -> Lark:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    # The basic lexer keeps keywords reserved everywhere (the contextual one lets "and" pass as a name).
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)


def parse(text: str) -> s.Expr:
    """Parse one expression; raise ``ExpressionError`` with the offending span."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            "E110",
            f"expression is {len(text):,} characters long; the limit is {MAX_EXPRESSION_LENGTH:,}",
            (0, 0),
            "split it into derived facts, each a rule of its own",
        )
    if not text.strip():
        raise ExpressionError("E100", "empty expression", (0, 0), "write a condition such as: bars.persecutor")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _translate(exc, text) from None
    _check_depth(tree)
    try:
        return _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            raise exc.orig_exc from None
        raise


def _check_digits(token: Token, digits: str) -> None:
    """Number literals are short: Python will not even convert an integer of more than 4,300 digits."""
    if len(digits) > MAX_NUMBER_DIGITS:
        raise ExpressionError("E110", f"number has more than {MAX_NUMBER_DIGITS} digits", _token_span(token),
                              "amounts in the law are short; check for a pasted value")


def _check_depth(tree: Tree[Any]) -> None:
    stack: list[tuple[Tree[Any] | Token, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        if depth > MAX_NESTING_DEPTH:
            start = getattr(node.meta, "start_pos", 0)
            raise ExpressionError(
                "E111",
                f"expression is nested more than {MAX_NESTING_DEPTH} levels deep",
                (start, start),
                "name the inner parts as derived facts",
            )
        stack.extend((child, depth + 1) for child in node.children)


def _describe(terminals: set[str]) -> str:
    lark = _lark()
    names = set()
    for name in terminals:
        if name in _TERMINAL_NAMES:
            names.add(_TERMINAL_NAMES[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
        except KeyError:
            names.add(name.lower())
            continue
        names.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    return ", ".join(sorted(names))


def _translate(exc: UnexpectedInput, text: str) -> ExpressionError:
    if isinstance(exc, UnexpectedEOF):
        end = len(text.rstrip())
        return ExpressionError(
            "E102", "the expression ends too early", (end, end), f"expected {_describe(set(exc.expected))}"
        )
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        return ExpressionError(
            "E101",
            f"unexpected character {text[pos]!r}",
            (pos, pos + 1),
            f"expected {_describe(set(exc.allowed))}" if exc.allowed else None,
        )
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            end = len(text.rstrip())
            return ExpressionError(
                "E102", "the expression ends too early", (end, end), f"expected {_describe(set(exc.accepts or exc.expected))}"
            )
        start = token.start_pos or 0
        return ExpressionError(
            "E100",
            f"unexpected {token.value!r}",
            (start, start + len(token.value)),
            f"expected {_describe(set(exc.accepts or exc.expected))}",
        )
    return ExpressionError("E100", "syntax error", (0, 0))


def _span(meta: Any) -> s.Span:
    return (getattr(meta, "start_pos", 0), getattr(meta, "end_pos", 0))


def _token_span(token: Token) -> s.Span:
    return (token.start_pos or 0, token.end_pos or 0)


@v_args(meta=True)
class _ToAst(Transformer[Token, s.Expr]):
    """Parse tree → AST: one method per named grammar alternative."""

    def if_then_else(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.IfThenElse(c[0], c[1], c[2], span=_span(meta))

    def quantifier(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Quantifier(str(c[0]), str(c[1]), c[2], c[3], span=_span(meta))

    def quantifier_kind(self, meta: Any, c: list[Token]) -> str:
        return str(c[0])

    def or_(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Or(tuple(c), span=_span(meta))

    def and_(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.And(tuple(c), span=_span(meta))

    def not_(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Not(c[0], span=_span(meta))

    def compare(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Compare(str(c[1]), c[0], c[2], span=_span(meta))

    def in_(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Compare("in", c[0], c[1], span=_span(meta))

    def not_in(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Compare("not in", c[0], c[1], span=_span(meta))

    def add(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Arith("+", c[0], c[1], span=_span(meta))

    def subtract(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Arith("-", c[0], c[1], span=_span(meta))

    def multiply(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Arith("*", c[0], c[1], span=_span(meta))

    def divide(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Arith("/", c[0], c[1], span=_span(meta))

    def negate(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Negate(c[0], span=_span(meta))

    def lookup(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Lookup(s.Name(str(c[0]), span=_token_span(c[0])), c[1], span=_span(meta))

    def name(self, meta: Any, c: list[Token]) -> s.Expr:
        return s.Name(str(c[0]), span=_token_span(c[0]))

    def call(self, meta: Any, c: list[Any]) -> s.Expr:
        args = tuple(c[1]) if len(c) > 1 else ()
        return s.Call(str(c[0]), args, span=_span(meta))

    def list_(self, meta: Any, c: list[Any]) -> s.Expr:
        items = tuple(c[0]) if c else ()
        if len(items) > MAX_LIST_ITEMS:
            raise ExpressionError("E112", f"list has {len(items)} items; the limit is {MAX_LIST_ITEMS}", _span(meta))
        return s.ListLiteral(items, span=_span(meta))

    def arguments(self, meta: Any, c: list[Any]) -> list[Any]:
        return c

    def true(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Literal(True, span=_span(meta))

    def false(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Literal(False, span=_span(meta))

    def unknown(self, meta: Any, c: list[Any]) -> s.Expr:
        return s.Literal(None, span=_span(meta))

    def integer(self, meta: Any, c: list[Token]) -> s.Expr:
        _check_digits(c[0], str(c[0]))
        return s.Literal(int(c[0]), span=_token_span(c[0]))

    def decimal(self, meta: Any, c: list[Token]) -> s.Expr:
        _check_digits(c[0], str(c[0]))
        return s.Literal(Decimal(str(c[0])), span=_token_span(c[0]))

    def string(self, meta: Any, c: list[Token]) -> s.Expr:
        body = str(c[0])[1:-1]
        return s.Literal(_ESCAPE.sub(lambda m: _ESCAPES.get(m[1], m[1]), body), span=_token_span(c[0]))

    def date(self, meta: Any, c: list[Token]) -> s.Expr:
        text = str(c[0])[1:]
        try:
            return s.Literal(date.fromisoformat(text), span=_token_span(c[0]))
        except ValueError:
            raise ExpressionError(
                "E123", f"'{text}' is not a calendar date", _token_span(c[0]), "write dates as @YYYY-MM-DD"
            ) from None

    def duration(self, meta: Any, c: list[Token]) -> s.Expr:
        amount_text, unit = str(c[0]).split()
        _check_digits(c[0], amount_text)
        try:
            value = values.duration(int(amount_text), unit.rstrip("s"))
        except ValueError as exc:
            raise ExpressionError("E110", str(exc), _token_span(c[0]), "no date is that far from another") from None
        return s.Literal(value, span=_token_span(c[0]))
