"""Compile the checked rules into SQL: one projection per dependency level, for one or more as-of dates.

The checked, typed AST is the only input: every construct maps to SQL that keeps the row engine's
semantics (SQL NULL is Kleene's unknown; ``if`` on an unknown condition is known only when both
branches agree; dates shift by calendar months, clamped to the month's end, then by days). What is
constant for an as-of date (rules in force, parameters read without ``at``) is folded in Python, so
each date gets its own columns and both dates are computed in one scan. A construct SQL cannot
express exactly is a load-time error (E250) naming the rule, never a silent difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Parameter, Rule
from ..language import syntax as s
from ..language import types as t
from ..language.checker import Checked
from ..language.diagnostics import Diagnostic, RulesError
from ..language.holidays import _JUNETEENTH_FROM, _KING_FROM, next_business_day
from ..language.values import Duration
from .dialect import Dialect

_MIN_DATE, _MAX_DATE = date(1, 1, 1), date(9999, 12, 31)
# The years of the business-day table (``business_offsets``); days outside them are computed by the SQL rules.
CALENDAR_FROM, CALENDAR_TO = date(1970, 1, 1), date(2100, 12, 31)
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|NULL|TRUE|FALSE|CAST\(-?[0-9.]+ AS DOUBLE\)|DATE '[0-9-]+'|'[^']*'")
# Lambda variables: v_ (a rule's or quantifier's item) and the compiler's own m_, q_, x_ names.
_LAMBDA_VAR = re.compile(r"\b(v_[A-Za-z0-9_]+|[mq]_[0-9]+|[xli]_[a-z])\b")
_LITERAL = re.compile(r"NULL|TRUE|FALSE|CAST\(-?[0-9.]+ AS DOUBLE\)|DATE '[0-9-]+'|'[^']*'")
_COLUMN_REF = re.compile(r"\b[rh][0-9]+_[0-9]+\b")


class Unsupported(Exception):
    """A construct the SQL backends cannot express with the row engine's exact meaning."""


@dataclass(frozen=True)
class Dur:
    """A duration as SQL: total calendar months and days (years are twelve months, as ``shift_date`` counts)."""

    months: str
    days: str


Sql = str | Dur


def sql_type(dialect: Dialect, type_: t.Type) -> str:
    """The SQL column type that holds values of a rule-language type."""
    if type_.kind == "boolean":
        return "BOOLEAN"
    if type_.kind == "number":
        return dialect.double()
    if type_.kind == "date":
        return "DATE"
    if type_.kind in ("string", "enum"):
        return "VARCHAR" if dialect.name == "duckdb" else "STRING"
    if type_.kind == "list" and type_.item is not None:
        return dialect.list_type(sql_type(dialect, type_.item))
    if type_.kind == "record" and type_.fields is not None:
        return dialect.struct_type([(name, sql_type(dialect, ft)) for name, ft in type_.fields])
    raise Unsupported(f"values of type {type_} have no SQL column type")


class _Expressions:
    """One checked expression → SQL, for one as-of date."""

    def __init__(self, compiler: _Compiler, checked: Checked):
        self.c, self.checked, self.as_of = compiler, checked, compiler.as_of
        self.d = compiler.dialect

    def bind(self, sql: str) -> str:
        """A value used more than once: a column of its own (computed once), unless it reads a lambda's variable."""
        if _SIMPLE.fullmatch(sql) or _LAMBDA_VAR.search(sql):
            return sql
        return self.c.helper(sql)

    def scalar(self, node: s.Expr) -> str:
        out = self.emit(node)
        if isinstance(out, Dur):
            raise Unsupported("a duration can only be added to or subtracted from a date here")
        return out

    def emit(self, node: s.Expr) -> Sql:
        method = getattr(self, "e_" + type(node).__name__)
        return method(node)  # type: ignore[no-any-return]

    def kind(self, node: s.Expr) -> str:
        return self.checked.type_of(node).kind

    def e_Literal(self, node: s.Literal) -> Sql:
        return self.c.literal(node.value)

    def e_ListLiteral(self, node: s.ListLiteral) -> Sql:
        raise Unsupported("a list written in the rule is supported only on the right of 'in'")

    def e_Name(self, node: s.Name) -> Sql:
        binding = self.checked.bindings[id(node)]
        if binding.kind == "var":
            var = _var(binding.target)
            return self.d.field(var, binding.field) if binding.field else var
        if binding.kind == "fact":
            return self.c.fact_column(binding.target)
        if binding.kind == "derived":
            return self.c.rule_column(binding.target)
        if binding.kind == "parameter":
            return self.c.parameter_on(binding.target, self.as_of)
        return self.d.date(self.as_of)

    def e_Lookup(self, node: s.Lookup) -> Sql:
        found = self.c.parameter_at(node.parameter.dotted, self.bind(self.scalar(node.when)))
        return Dur(self.bind(found.months), self.bind(found.days)) if isinstance(found, Dur) else self.bind(found)

    def e_Not(self, node: s.Not) -> Sql:
        return f"(NOT {self.scalar(node.operand)})"

    def e_Negate(self, node: s.Negate) -> Sql:
        return f"(-{self.scalar(node.operand)})"

    def e_And(self, node: s.And) -> Sql:
        return "(" + " AND ".join(self.scalar(o) for o in node.operands) + ")"

    def e_Or(self, node: s.Or) -> Sql:
        return "(" + " OR ".join(self.scalar(o) for o in node.operands) + ")"

    def e_Compare(self, node: s.Compare) -> Sql:
        if node.op in ("in", "not in"):
            found = self._member(node.left, node.right)
            return found if node.op == "in" else f"(NOT {found})"
        if self.kind(node.left) == "list" or self.kind(node.right) == "list":
            raise Unsupported(f"comparing lists with '{node.op}'")
        op = {"==": "=", "!=": "<>"}.get(node.op, node.op)
        return f"({self.scalar(node.left)} {op} {self.scalar(node.right)})"

    def _member(self, needle_node: s.Expr, haystack: s.Expr) -> str:
        needle = self.bind(self.scalar(needle_node))
        if isinstance(haystack, s.ListLiteral):
            if not haystack.items:
                return f"(CASE WHEN {needle} IS NULL THEN NULL ELSE FALSE END)"
            # SQL's IN is Kleene: true on a match, unknown if an item or the needle is unknown, else false.
            return f"({needle} IN (" + ", ".join(self.scalar(item) for item in haystack.items) + "))"
        items = self.scalar(haystack)
        x = self.c.fresh("m")
        codes = self.d.transform(items, x, f"CASE WHEN {x} = {needle} THEN 2 WHEN {x} IS NULL THEN 1 ELSE 0 END")
        return _from_code(f"coalesce({self.d.list_max(codes)}, 0)", needle_known=needle)

    def e_Arith(self, node: s.Arith) -> Sql:
        kinds = (self.kind(node.left), self.kind(node.right))
        if node.op == "/":
            raise Unsupported("division: the row engine divides exact decimals, which SQL doubles cannot match")
        if kinds == ("date", "date") and node.op == "-":
            return self.d.days_between(self.scalar(node.right), self.scalar(node.left))
        left, right = self.emit(node.left), self.emit(node.right)
        if isinstance(left, Dur) and isinstance(right, Dur):
            sign = node.op
            return Dur(f"({left.months} {sign} {right.months})", f"({left.days} {sign} {right.days})")
        if isinstance(right, Dur) and isinstance(left, str):
            return self.shift(left, right, 1 if node.op == "+" else -1)
        if isinstance(left, Dur) and isinstance(right, str):
            return self.shift(right, left, 1)
        if "any" in kinds:
            return "NULL"
        return f"({left} {node.op} {right})"

    def e_IfThenElse(self, node: s.IfThenElse) -> Sql:
        condition = self.bind(self.scalar(node.condition))
        then, otherwise = self.emit(node.then), self.emit(node.otherwise)
        if isinstance(then, Dur) or isinstance(otherwise, Dur):
            then_d, other_d = _as_dur(then), _as_dur(otherwise)
            return Dur(self.choose(condition, then_d.months, other_d.months),
                       self.choose(condition, then_d.days, other_d.days))
        return self.choose(condition, then, otherwise)

    def choose(self, condition: str, then: str, otherwise: str) -> str:
        return choose(self.bind(condition), self.bind(then), self.bind(otherwise), self.d)

    def e_Quantifier(self, node: s.Quantifier) -> Sql:
        items = self.bind(self.scalar(node.items))
        var = _var(node.var)
        body = self.scalar(node.body)
        d = self.d
        if node.kind in ("any", "all", "count"):
            codes = d.transform(items, var, f"CASE WHEN {body} THEN 2 WHEN NOT {body} THEN 0 ELSE 1 END")
            if node.kind == "any":
                return _from_code(f"coalesce({d.list_max(codes)}, 0)")
            if node.kind == "all":
                return _from_code(f"coalesce({d.list_min(codes)}, 2)")
            x = self.c.fresh("q")
            unknowns = d.size(d.filter(codes, x, f"{x} = 1"))
            hits = d.size(d.filter(codes, x, f"{x} = 2"))
            return f"(CASE WHEN {unknowns} > 0 THEN NULL ELSE CAST({hits} AS {d.double()}) END)"
        values = d.transform(items, var, body)
        x = self.c.fresh("q")
        unknowns = d.size(d.filter(values, x, f"{x} IS NULL"))
        if node.kind == "sum":
            return f"(CASE WHEN {unknowns} > 0 THEN NULL ELSE coalesce({d.list_sum(values)}, 0) END)"
        extreme = d.list_min(values) if node.kind == "min" else d.list_max(values)
        return f"(CASE WHEN {unknowns} > 0 THEN NULL ELSE {extreme} END)"

    def e_Call(self, node: s.Call) -> Sql:
        name, d = node.function, self.d
        if name == "coalesce":
            parts = [self.emit(a) for a in node.args]
            if any(isinstance(p, Dur) for p in parts):
                durs = [_as_dur(p) for p in parts]
                # A duration is known when its months are: take months and days from the same argument.
                months = "coalesce(" + ", ".join(x.months for x in durs) + ")"
                days = "CASE " + " ".join(f"WHEN {x.months} IS NOT NULL THEN {x.days}" for x in durs) + " END"
                return Dur(months, days)
            return "coalesce(" + ", ".join(str(p) for p in parts) + ")"
        if name == "is_known":
            arg = self.emit(node.args[0])
            return f"({(arg.months if isinstance(arg, Dur) else arg)} IS NOT NULL)"
        if name in ("years", "months", "days"):
            amount = self.bind(self.scalar(node.args[0]))
            whole = f"(CASE WHEN {amount} = floor({amount}) THEN {amount} END)"
            if name == "days":
                return Dur("0", whole)
            return Dur(f"({whole} * 12)" if name == "years" else whole, "0")
        args = [self.scalar(a) for a in node.args]
        if name == "length":
            return f"CAST({d.size(args[0])} AS {d.double()})"
        if name == "days_between":
            return f"CAST({d.days_between(args[0], args[1])} AS {d.double()})"
        if name in ("years_between", "age_on"):
            return self.years_between(args[0], args[1])
        if name == "floor":
            return f"floor({args[0]})"
        if name == "is_business_day":
            day = self.bind(args[0])
            return self.by_calendar(day, f"({self.business_offset(day)} = 0)", self.business_day(day))
        if name == "next_business_day":
            day = self.bind(args[0])
            # Weekends and holidays come at most three in a row (5 U.S.C. 6103): a week covers every case.
            steps = [(self.d.add_days(day, str(k)) if k else day) for k in range(7)]
            computed = "(CASE " + " ".join(f"WHEN {self.business_day(x)} THEN {x}" for x in steps) + " END)"
            return self.by_calendar(day, self.d.add_days(day, self.business_offset(day)), computed)
        if name == "round_down":
            value, multiple = args
            return f"(CASE WHEN {multiple} > 0 THEN floor({value} / {multiple}) * {multiple} END)"
        raise Unsupported(f"the function {name}()")

    def shift(self, day: str, duration: Dur, sign: int) -> str:
        """Calendar months first (clamped to the month's end), then days; outside years 1-9999 it has no value."""
        day = self.bind(day)
        months = self.bind(duration.months if sign > 0 else f"(-({duration.months}))")
        days = self.bind(duration.days if sign > 0 else f"(-({duration.days}))")
        d = self.d
        moved = self.bind(d.add_days(d.add_months(day, months), days))
        # Guard the calendar range where the row engine's dates stop (it has no value there).
        total = f"({d.year(day)} * 12 + {d.month(day)} - 1 + {months})"
        return (f"(CASE WHEN {total} BETWEEN 12 AND {9999 * 12 + 11} AND {days} BETWEEN -3000000 AND 3000000 "
                f"THEN (CASE WHEN {moved} BETWEEN {d.date(_MIN_DATE)} AND {d.date(_MAX_DATE)} THEN {moved} END) END)")

    def by_calendar(self, day: str, looked_up: str, computed: str) -> str:
        """Inside the years ``business_offsets`` covers, the looked-up answer; outside them, the computed one."""
        lo, hi = self.d.date(CALENDAR_FROM), self.d.date(CALENDAR_TO)
        return f"(CASE WHEN {day} BETWEEN {lo} AND {hi} THEN {looked_up} ELSE {computed} END)"

    def business_offset(self, day: str) -> str:
        """Days from ``day`` to the next business day, read from a constant string (one digit a day)."""
        d = self.d
        position = f"{d.days_between(d.date(CALENDAR_FROM), day)} + 1"
        return f"CAST(substr({d.string(business_offsets())}, {position}, 1) AS INTEGER)"

    def business_day(self, day: str) -> str:
        """Neither a weekend nor a federal holiday or its observed day, computed as ``holidays`` does."""
        d = self.d
        weekday = d.weekday(day)
        month, dom = d.month(day), d.day(day)
        observed = (f"({weekday} = 4 AND {_fixed_holiday(d, d.add_days(day, '1'))}) OR "
                    f"({weekday} = 0 AND {_fixed_holiday(d, d.add_days(day, '-1'))})")
        moving = (f"({weekday} = 0 AND (({month} = 2 AND {dom} BETWEEN 15 AND 21) OR ({month} = 5 AND {dom} >= 25) "
                  f"OR ({month} = 9 AND {dom} <= 7) OR ({month} = 10 AND {dom} BETWEEN 8 AND 14) "
                  f"OR ({month} = 1 AND {dom} BETWEEN 15 AND 21 AND {d.year(day)} >= {_KING_FROM}))) "
                  f"OR ({weekday} = 3 AND {month} = 11 AND {dom} BETWEEN 22 AND 28)")
        return f"({weekday} < 5 AND NOT ({_fixed_holiday(d, day)} OR {observed} OR {moving}))"

    def years_between(self, start: str, end: str) -> str:
        """Whole years completed, as the row engine counts them (a Feb 29 birthday falls on Feb 28 in common years).

        With dates as numbers yyyymmdd and the start's anniversary placed in the end's year, the whole years
        are trunc((end - start) / 10000): the month and day part is under 10000 either way.
        """
        d = self.d
        start, end = self.bind(start), self.bind(end)
        end_year = self.bind(d.year(end))
        leap = f"(({end_year} % 4 = 0 AND {end_year} % 100 <> 0) OR {end_year} % 400 = 0)"
        start_md = self.bind(f"({d.month(start)} * 100 + {d.day(start)})")
        anniversary = f"(CASE WHEN {start_md} = 229 AND NOT {leap} THEN 228 ELSE {start_md} END)"
        end_number = f"({end_year} * 10000 + {d.month(end)} * 100 + {d.day(end)})"
        start_number = f"({d.year(start)} * 10000 + {anniversary})"
        return f"CAST({d.truncate(f'(({end_number} - {start_number}) / 10000.0)')} AS {d.double()})"


@lru_cache(maxsize=1)
def business_offsets() -> str:
    """For each day from CALENDAR_FROM to CALENDAR_TO, the days to the next business day (0 on one), as digits.

    Made from ``holidays`` itself, so SQL and the row engine share one calendar; reading a digit costs far less
    per case than evaluating the weekend and holiday rules for up to a week of candidate days.
    """
    days = (CALENDAR_TO - CALENDAR_FROM).days + 1
    return "".join(str((next_business_day(day) - day).days)
                   for day in (CALENDAR_FROM + timedelta(days=n) for n in range(days)))


def _fixed_holiday(d: Dialect, day: str) -> str:
    """The day is a fixed-date federal holiday (5 U.S.C. 6103; Juneteenth from 2021), as ``holidays`` lists them."""
    month_day = f"({d.month(day)} * 100 + {d.day(day)})"
    return f"({month_day} IN (101, 704, 1111, 1225) OR ({month_day} = 619 AND {d.year(day)} >= {_JUNETEENTH_FROM}))"


def choose(condition: str, then: str, otherwise: str, dialect: Dialect | None = None) -> str:
    """``if``: an unknown condition gives a value only when both branches give the same one."""
    if then == otherwise:
        return then
    if _LITERAL.fullmatch(then) and _LITERAL.fullmatch(otherwise) and dialect is not None:
        # Two different constants never agree, so an unknown condition gives unknown.
        return dialect.pick(condition, then, otherwise)
    return (f"(CASE WHEN {condition} THEN {then} WHEN NOT {condition} THEN {otherwise} "
            f"WHEN {then} = {otherwise} THEN {then} END)")


def _from_code(code: str, needle_known: str | None = None) -> str:
    """2 → true, 1 → unknown, 0 → false (the any/all/in aggregates count in these codes)."""
    guard = f"WHEN {needle_known} IS NULL THEN NULL " if needle_known else ""
    return f"(CASE {guard}WHEN {code} = 2 THEN TRUE WHEN {code} = 1 THEN NULL ELSE FALSE END)"


def _as_dur(value: Sql) -> Dur:
    if isinstance(value, Dur):
        return value
    if value == "NULL":
        return Dur("NULL", "NULL")
    raise Unsupported("mixing durations with other values")


def _var(name: str) -> str:
    return f"v_{name}"


@dataclass
class Column:
    """A computed column: its SQL name, expression and dependency level."""

    name: str
    sql: str
    level: int


class _Compiler:
    """The rules of one knowledge base on one as-of date (one "variant" of a run)."""

    def __init__(self, kb: KnowledgeBase, dialect: Dialect, variant: int, as_of: date):
        self.kb, self.dialect, self.variant, self.as_of = kb, dialect, variant, as_of
        self.rule_index = {rule_id: i for i, rule_id in enumerate(kb.rules)}
        self.counter = 0
        self.helpers: dict[str, str] = {}
        self.alias: dict[str, str] = {}  # set once every variant is compiled: columns shared with another variant
        self.columns: list[tuple[str, str]] = []  # (name, SQL) in the order they were made

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def fact_column(self, name: str) -> str:
        return fact_column(name)

    def helper(self, sql: str) -> str:
        """A column for a shared sub-expression (one per distinct text)."""
        if sql not in self.helpers:
            self.helpers[sql] = f"h{self.variant}_{len(self.helpers)}"
            self.columns.append((self.helpers[sql], sql))
        return self.helpers[sql]

    def rule_column(self, rule_id: str) -> str:
        name = f"r{self.variant}_{self.rule_index[rule_id]}"
        return self.alias.get(name, name)

    def literal(self, value: Any) -> Sql:
        d = self.dialect
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return f"CAST({value} AS {d.double()})"
        if isinstance(value, Decimal):
            return f"CAST({d.string(str(value))} AS {d.double()})"
        if isinstance(value, str):
            return d.string(value)
        if isinstance(value, Duration):
            return Dur(str(value.years * 12 + value.months), str(value.days))
        if isinstance(value, date):
            return d.date(value)
        raise Unsupported(f"the constant {value!r}")

    def parameter_on(self, name: str, day: date) -> Sql:
        entry = self.kb.parameters[name].value_at(day)
        return self.literal(None if entry is None else entry.value)

    def parameter_at(self, name: str, when: str) -> Sql:
        parameter: Parameter = self.kb.parameters[name]
        history = sorted(parameter.values, key=lambda v: v.start, reverse=True)
        values = [(self.dialect.date(v.start), self.literal(v.value)) for v in history]
        if parameter.type.kind == "duration":
            months = "CASE " + " ".join(f"WHEN {when} >= {start} THEN {_as_dur(v).months}" for start, v in values) + " END"
            days = "CASE " + " ".join(f"WHEN {when} >= {start} THEN {_as_dur(v).days}" for start, v in values) + " END"
            return Dur(months, days) if values else Dur("NULL", "NULL")
        if not values:
            return "NULL"
        return "(CASE " + " ".join(f"WHEN {when} >= {start} THEN {v}" for start, v in values) + " END)"

    def rule_value(self, rule: Rule) -> str:
        """One rule's value, as the row engine's three-valued path computes it."""
        if not rule.in_force(self.as_of):
            return "FALSE" if rule.boolean else f"CAST(NULL AS {self.rule_sql_type(rule)})"
        body = self._single_value(rule)
        if rule.for_each:
            assert rule.items is not None
            items = _Expressions(self, rule.items).scalar(rule.items.expr)
            return self.dialect.transform(items, _var(rule.for_each["var"]), body)
        return body

    def _single_value(self, rule: Rule) -> str:
        def emit(checked: Checked | None) -> str:
            if checked is None:
                return "NULL"
            return _Expressions(self, checked).scalar(checked.expr)

        if rule.boolean:
            condition = emit(rule.when) if rule.when else "TRUE"
            if not rule.defeated_by:
                return condition
            defeated = " OR ".join(self.rule_column(d) for d in rule.defeated_by)
            return f"({condition} AND NOT ({defeated}))"
        if rule.type.kind == "duration":
            raise Unsupported("a rule whose value is a duration")
        value = emit(rule.value)
        if rule.when is None:
            return value
        assert rule.value is not None
        return _Expressions(self, rule.value).choose(emit(rule.when), value, emit(rule.otherwise))

    def rule_sql_type(self, rule: Rule) -> str:
        item = sql_type(self.dialect, rule.type)
        return self.dialect.list_type(item) if rule.for_each else item

    def reported(self, rule: Rule) -> str:
        """A determination as results report it: text values unknown → 'undetermined'; per-item lists labelled."""
        column = self.rule_column(rule.id)
        d = self.dialect
        textual = rule.type.kind in ("enum", "string")
        if not rule.in_force(self.as_of):
            if rule.for_each:
                value_type = sql_type(d, rule.type)
                return f"CAST(NULL AS {d.list_type(d.struct_type([('name', d.text_type()), ('value', value_type)]))})"
            return f"CAST(NULL AS {self.rule_sql_type(rule)})"
        if not rule.for_each:
            return f"coalesce({column}, 'undetermined')" if textual else column
        assert rule.items is not None and rule.for_each is not None
        items = _Expressions(self, rule.items).scalar(rule.items.expr)
        label_field = rule.for_each.get("label")
        fallback = f"'#' || {d.index_text('i_x')}"
        label = f"coalesce(CAST({d.field('l_x', label_field)} AS {d.text_type()}), {fallback})" \
            if label_field else fallback
        item_value = d.element(column, "i_x")
        if textual:
            item_value = f"coalesce({item_value}, 'undetermined')"
        return d.transform_indexed(items, "l_x", "i_x", d.record([("name", label), ("value", item_value)]))

    def member_values(self, rule: Rule) -> str:
        """A per-item determination's reported values without their labels: what its transitions count."""
        if not rule.in_force(self.as_of):
            return f"CAST(NULL AS {self.rule_sql_type(rule)})"
        column = self.rule_column(rule.id)
        if rule.type.kind in ("enum", "string"):
            return self.dialect.transform(column, "m_x", "coalesce(m_x, 'undetermined')")
        return column


def fact_column(name: str) -> str:
    """The internal column of a fact: fact ids are dotted identifiers, so this is unique and needs no quoting."""
    return "f_" + name.replace(".", "__")


@dataclass
class CompiledRules:
    """The SQL of a population run: rule levels over the facts, for each variant (rules and as-of date)."""

    dialect: Dialect
    variants: list[_Compiler]
    levels: list[list[Column]]

    def select(self, base: str) -> str:
        """A query over ``base`` (a relation with ``id`` and the internal fact columns) adding every rule column."""
        query = f"SELECT * FROM {base}"
        for index, level in enumerate(self.levels):
            columns = ", ".join(f"{c.sql} AS {c.name}" for c in level)
            query = f"SELECT *, {columns} FROM ({query}) AS l{index}"
        return query

    def reported(self, variant: int, rule_id: str) -> str:
        """The SQL of a determination's reported value in one variant."""
        compiler = self.variants[variant]
        return compiler.reported(compiler.kb.rules[rule_id])

    def member_values(self, variant: int, rule_id: str) -> str:
        """The SQL of a per-item determination's values (no labels) in one variant."""
        compiler = self.variants[variant]
        return compiler.member_values(compiler.kb.rules[rule_id])

    def applied(self, variant: int, rule: Rule) -> str:
        """SQL that is true when a rule applied: a condition that held, a value that is known."""
        compiler = self.variants[variant]
        if not rule.in_force(compiler.as_of):
            return "FALSE"
        column = compiler.rule_column(rule.id)
        if rule.boolean and not rule.for_each:
            return f"coalesce({column}, FALSE)"
        return f"({column} IS NOT NULL)"


def compile_rules(variants: list[tuple[KnowledgeBase, date]], dialect: Dialect) -> CompiledRules:
    """Compile every rule of every variant; raises ``RulesError`` (E250) naming each rule SQL cannot express."""
    problems: list[Diagnostic] = []
    compilers = []
    for index, (kb, day) in enumerate(variants):
        compiler = _Compiler(kb, dialect, index, day)
        compilers.append(compiler)
        for rule in kb.rules.values():
            try:
                compiler.columns.append((compiler.rule_column(rule.id), compiler.rule_value(rule)))
                if rule.determination:
                    compiler.reported(rule)
            except Unsupported as exc:
                problems.append(Diagnostic(
                    "E250", f"the SQL backends cannot evaluate this rule: {exc}", file=rule.file,
                    position=rule.position, rule_id=rule.id,
                    hint="evaluate it with the row engine (asylum-kb eval), or rewrite the rule"))
    if problems:
        raise RulesError(list({(p.rule_id, p.message): p for p in problems}.values()))
    # A column's level is one more than the deepest column it reads: each level is one projection.
    level: dict[str, int] = {}
    columns = []
    alias: dict[str, str] = {}  # a column whose SQL another variant already computes → that column
    by_text: dict[str, str] = {}
    for compiler in compilers:
        for name, sql in compiler.columns:
            sql = _COLUMN_REF.sub(lambda m: alias.get(m.group(0), m.group(0)), sql)
            if sql in by_text:
                alias[name] = by_text[sql]
                continue
            by_text[sql] = name
            level[name] = 1 + max((level[ref] for ref in _COLUMN_REF.findall(sql) if ref in level), default=-1)
            columns.append(Column(name, sql, level[name]))
    for compiler in compilers:
        compiler.alias = alias
    levels: list[list[Column]] = [[] for _ in range(max((c.level for c in columns), default=-1) + 1)]
    for column in columns:
        levels[column.level].append(column)
    return CompiledRules(dialect, compilers, levels)
