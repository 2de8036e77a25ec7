"""Compile checked rules into Python functions, generated from our AST nodes only.

* ``values(facts, as_of)``: one Python expression per rule in Kleene three-valued logic
  (``None`` is unknown or "no value"), short-circuiting where a value is decided and recording
  nothing; it answers every case, with the values of the traced path. It also returns the
  condition of each value rule, which decides its status.
* ``needs_all(facts, as_of, values, rules, oc)``: the traced path, straight-line Kleene
  three-valued code that evaluates every part and records the value of every sub-expression
  (outside quantifier bodies), for the rules asked for only (the others read from the values
  path), each followed by the facts it still needs (``needs``). ``Program.traced`` (every rule)
  and ``Program.traces`` (a few, for explanations) are this function: the traced code is written
  once, as the generated program is about 35 times its rules' expression text.

No code from rule files reaches ``compile()``: names become generated identifiers, constants
become entries of the module's globals, and operators come from the fixed tables below. Rule ids,
fact names and an expression's canonical text appear only inside string literals (``repr``).
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import functions, needs, runtime, values
from . import syntax as s
from .checker import Binding, Checked

FactsMap = dict[str, Any]


@dataclass(frozen=True)
class ForEach:
    """A rule applied to each item of a list: ``var`` is bound to the item."""

    var: str
    items: Checked


@dataclass(frozen=True)
class RulePlan:
    """What the compiler needs of one rule; the loader builds it from the rule file."""

    id: str
    boolean: bool  # criterion, bar, exception: value = when and not (any defeater)
    when: Checked | None
    value: Checked | None
    otherwise: Checked | None
    defeaters: tuple[str, ...] = ()
    in_force: tuple[date | None, date | None] | None = None  # [from, to); None = always
    suspended: tuple[tuple[date, date | None], ...] = ()  # [from, until) windows a court ruling holds it out of force
    for_each: ForEach | None = None


class Program:
    """The compiled knowledge base: the two entry points, built from generated source and its constants.

    Pickles as (source, constants) so the compiled-KB cache can rebuild it without the parser.
    """

    def __init__(self, source: str, constants: dict[str, Any], code: bytes | None = None):
        self.source, self.constants = source, constants
        compiled = marshal.loads(code) if code else compile(source, "<asylum-kb rules>", "exec")
        self._code = code or marshal.dumps(compiled)
        namespace = {**_HELPERS, **constants}
        if "_PARAMS_AT_TABLES" in constants:
            namespace["_PARAMS_AT"] = runtime.ParametersAt(constants["_PARAMS_AT_TABLES"])
        exec(compiled, namespace)  # noqa: S102 - generated from our AST only
        self.values_and_conditions: Callable[[FactsMap, date], tuple[dict[str, Any], dict[str, Any]]] = \
            namespace["values"]
        # traces the rules asked for and works out the facts each still needs (``needs``)
        self.needs_all: needs.NeedsAll = namespace["needs_all"]
        self.rule_ids = frozenset(namespace["RULE_IDS"])

    def __reduce__(self) -> tuple[Any, ...]:
        # The compiled code travels with the cache (keyed by the Python version), so a hit skips compile().
        return (Program, (self.source, self.constants, self._code))

    def values(self, facts: FactsMap, as_of: date) -> dict[str, Any]:
        """Every rule's value (``None``: unknown or no value), the same as the traced path's, without traces."""
        return self.values_and_conditions(facts, as_of)[0]

    def traced(self, facts: FactsMap, as_of: date) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every rule's value computed on the traced path, and every rule's trace (``traces``)."""
        traces, _, _, values = self.needs_all(facts, as_of, self.values(facts, as_of), self.rule_ids, _unheard)
        return values, traces

    def traces(self, facts: FactsMap, as_of: date, values: dict[str, Any], rule_ids: Iterable[str]) -> dict[str, Any]:
        """The traces of these rules alone, reading the others from the values path's ``values``."""
        return self.needs_all(facts, as_of, values, set(rule_ids), _unheard)[0]


def _unheard(rule_id: str, text: str, read: dict[str, Any]) -> None:
    """Where a trace is wanted for itself, a date outside the calendar is not reported (it is, by ``needs``)."""


_HELPERS: dict[str, Any] = {
    "_agree": runtime.agree,
    "_safe3": runtime.safe3,
    "_in3": runtime.in3,
    "_any3": runtime.any3,
    "_all3": runtime.all3,
    "_count3": runtime.count3,
    "_sum3": runtime.sum3,
    "_extreme3": runtime.extreme3,
    "_choose3": runtime.choose3,
    "_shift": values.shift_date,
    "_add_years": values.add_years,
    "_divide": values.divide,
    **{f"_fn_{name}": f.implementation for name, f in functions.FUNCTIONS.items()},
}
_SCALAR_REPR = (bool, int, str)


class _Names:
    """Generated identifiers and module constants, shared by both paths."""

    def __init__(self, parameters: dict[str, runtime.DatedValues]):
        self.globals: dict[str, Any] = dict(_HELPERS)
        self.facts: dict[str, str] = {}
        self.derived: dict[str, str] = {}
        self.params: dict[str, str] = {}
        self.param_tables = parameters
        self._constants: dict[tuple[type, object], str] = {}
        self.constant_atoms: dict[str, Any] = {"None": None}

    def is_test(self, atoms: list[str], value: bool | None) -> str:
        """``a is V or b is V ...`` with tests on constants folded away (a constant is never unknown)."""
        tests = []
        for atom in atoms:
            if atom in self.constant_atoms:
                if self.constant_atoms[atom] is value:
                    return "True"
            else:
                tests.append(f"{atom} is {value}")
        return " or ".join(tests) or "False"

    def const(self, value: Any) -> str:
        if isinstance(value, _SCALAR_REPR):
            atom = repr(value)
        else:
            key = (type(value), value)
            if key not in self._constants:
                self._constants[key] = f"K_{len(self._constants)}"
                self.globals[self._constants[key]] = value
            atom = self._constants[key]
        self.constant_atoms[atom] = value
        return atom

    def fact(self, name: str) -> str:
        return self.facts.setdefault(name, f"x_{len(self.facts)}")

    def param_table(self, name: str) -> str:
        symbol = _identifier("P", name)
        self.globals[symbol] = self.param_tables[name]
        return symbol

    def param_at_as_of(self, name: str) -> str:
        return self.params.setdefault(name, f"p_{len(self.params)}")


def _var(name: str) -> str:
    return _identifier("v", name)


def _identifier(prefix: str, name: str) -> str:
    """A Python identifier for a dotted name, one-to-one: ``_`` becomes ``__`` and ``.`` becomes ``_d``.

    A plain ``.`` → ``__`` would give ``zz.fee`` and ``zz__fee`` one name, and one of them the
    other's value. Names are ASCII letters, digits, ``_`` and ``.`` (the grammar's NAME).
    """
    if not name.replace(".", "_").isidentifier() or not name.isascii():
        raise ValueError(f"not a name the code generator can take: {name!r}")
    return f"{prefix}_" + name.replace("_", "__").replace(".", "_d")


class _Values:
    """Expression → one Python expression in Kleene logic (``None`` is unknown), without traces.

    Each operand is evaluated once (bound with ``:=`` when it is not already an atom), the operation
    short-circuits where its value is decided, and every operation gives the value the three-valued
    path records for it: unknowns and "no value" are values here, never exceptions.
    """

    def __init__(self, names: _Names, checked: Checked, counter: list[int]):
        self.names, self.checked, self.counter = names, checked, counter

    def emit(self, node: s.Expr) -> str:
        return getattr(self, "e_" + type(node).__name__)(node)  # type: ignore[no-any-return]

    def bind(self, node: s.Expr) -> tuple[str, str]:
        """The node's value as (first use, later uses): an atom is used as is, anything else bound once."""
        text = self.emit(node)
        if text.isidentifier() or text in self.names.constant_atoms:
            return text, text
        self.counter[0] += 1
        name = f"t_{self.counter[0]}"
        return f"({name} := {text})", name

    def guarded(self, operands: list[s.Expr], expression: Callable[..., str]) -> str:
        """``expression`` of the operands' values, or unknown when one of them is unknown."""
        bound = [self.bind(o) for o in operands]
        tests = [self.names.is_test([first], None) for first, _ in bound]
        firsts_used = " or ".join(t for t in tests if t != "False")
        result = expression(*(later for _, later in bound))
        if not firsts_used:
            # No test reads the operands: they are constants, used directly.
            return f"({expression(*(first for first, _ in bound))})"
        # Operands whose test folded away (constants) are atoms, so their later use is their first.
        return f"(None if {firsts_used} else {result})"

    def e_Literal(self, node: s.Literal) -> str:
        return "None" if node.value is None else self.names.const(node.value)

    def e_ListLiteral(self, node: s.ListLiteral) -> str:
        if node.items and all(isinstance(i, s.Literal) and i.value is not None for i in node.items):
            return self.names.const(tuple(i.value for i in node.items))  # type: ignore[union-attr]
        return "[" + ", ".join(self.emit(item) for item in node.items) + "]"

    def e_Name(self, node: s.Name) -> str:
        binding = self.checked.bindings[id(node)]
        atom = _atom(self.names, binding)
        if binding.kind == "var" and binding.field:
            return f"(None if {atom} is None else {atom}.get({binding.field!r}))"
        return atom

    def e_Lookup(self, node: s.Lookup) -> str:
        return f"{self.names.param_table(node.parameter.dotted)}.at3({self.emit(node.when)})"

    def e_Not(self, node: s.Not) -> str:
        return self.guarded([node.operand], lambda x: f"not {x}")

    def e_Negate(self, node: s.Negate) -> str:
        return self.guarded([node.operand], lambda x: f"-{x}")

    def _connective(self, operands: tuple[s.Expr, ...], decisive: bool) -> str:
        bound = [self.bind(o) for o in operands]
        hit = " or ".join(f"{first} is {decisive}" for first, _ in bound)
        unknown = self.names.is_test([later for _, later in bound], None)
        return f"({decisive} if {hit} else (None if {unknown} else {not decisive}))"

    def e_And(self, node: s.And) -> str:
        return self._connective(node.operands, False)

    def e_Or(self, node: s.Or) -> str:
        return self._connective(node.operands, True)

    def e_Compare(self, node: s.Compare) -> str:
        if node.op in ("in", "not in"):
            haystack = node.right
            constant = isinstance(haystack, s.ListLiteral) and all(
                isinstance(i, s.Literal) and i.value is not None for i in haystack.items) and haystack.items
            if constant:  # no unknown item: plain membership is the Kleene answer
                return self.guarded([node.left], lambda x: f"{x} {node.op} {self.emit(haystack)}")
            found = f"_in3({self.emit(node.left)}, {self.emit(haystack)})"
            if node.op == "in":
                return found
            self.counter[0] += 1
            name = f"t_{self.counter[0]}"
            return f"(None if ({name} := {found}) is None else not {name})"
        return self.guarded([node.left, node.right], lambda x, y: f"{x} {node.op} {y}")

    def e_Arith(self, node: s.Arith) -> str:
        kinds = (self.checked.type_of(node.left).kind, self.checked.type_of(node.right).kind)
        duration = node.right.value if isinstance(node.right, s.Literal) else None
        if kinds == ("date", "duration") and isinstance(duration, values.Duration) and node.op in "+-" \
                and not duration.months and not duration.days:
            # A literal number of years (the common case): a faster helper with the same calendar rule.
            years = duration.years if node.op == "+" else -duration.years
            return f"_safe3(_add_years, {self.emit(node.left)}, {years})"
        plain = _arith(node.op, kinds, "L", "R", three_valued=False)
        if plain.startswith("_"):  # helpers that may have no value go through _safe3, as on the traced path
            return _arith(node.op, kinds, self.emit(node.left), self.emit(node.right), three_valued=True)
        return self.guarded([node.left, node.right],
                            lambda x, y: _arith(node.op, kinds, x, y, three_valued=False))

    def e_IfThenElse(self, node: s.IfThenElse) -> str:
        return self.choose(node.condition, self.emit(node.then), self.emit(node.otherwise))

    def choose(self, condition_node: s.Expr, then: str, otherwise: str) -> str:
        """``if`` in Kleene logic: the branch taken, or with an unknown condition the value both branches agree on."""
        first, condition = self.bind(condition_node)
        if condition in self.names.constant_atoms:
            value = self.names.constant_atoms[condition]
            return then if value is True else otherwise if value is False else f"_agree({then}, {otherwise})"
        self.counter[0] += 1
        t, o = f"t_{self.counter[0]}_then", f"t_{self.counter[0]}_else"
        # Each branch is written once: a known condition evaluates its branch alone, an unknown one both.
        return (f"({t} if {first} is not False and (({t} := {then}) is {t}) and {condition} is True else "
                f"({o} if (({o} := {otherwise}) is {o}) and {condition} is False else _agree({t}, {o})))")

    def e_Quantifier(self, node: s.Quantifier) -> str:
        first, items = self.bind(node.items)
        body, var = self.emit(node.body), _var(node.var)
        aggregate = {"any": "_any3", "all": "_all3", "count": "_count3", "sum": "_sum3"}.get(node.kind)
        collect = f"[{body} for {var} in {items}]"
        call = f"{aggregate}({collect})" if aggregate else f"_extreme3({node.kind!r}, {collect})"
        return f"(None if {first} is None else {call})"

    def e_Call(self, node: s.Call) -> str:
        function = functions.FUNCTIONS[node.function]
        if node.function == "length":
            return self.guarded(list(node.args), lambda x: f"len({x})")
        args = [self.emit(a) for a in node.args]
        if function.strict:
            return f"_safe3(_fn_{node.function}" + "".join(f", {a}" for a in args) + ")"
        return f"_fn_{node.function}(" + ", ".join(args) + ")"


def _atom(names: _Names, binding: Binding) -> str:
    if binding.kind == "fact":
        return names.fact(binding.target)
    if binding.kind == "derived":
        return names.derived[binding.target]
    if binding.kind == "parameter":
        return names.param_at_as_of(binding.target)
    if binding.kind == "as_of":
        return "as_of"
    return _var(binding.target)


def _arith(op: str, kinds: tuple[str, str], left: str, right: str, three_valued: bool) -> str:
    """The Python for one arithmetic operation, chosen by the operand types the checker found."""
    if op == "/":
        call: tuple[str, ...] = ("_divide", left, right)
    elif kinds == ("date", "duration"):
        call = ("_shift", left, right, "1" if op == "+" else "-1")
    elif kinds == ("duration", "date"):
        call = ("_shift", right, left, "1")
    elif kinds == ("date", "date"):
        return f"({left} - {right}).days"
    else:
        return f"({left} {op} {right})"
    if three_valued:
        return "_safe3(" + ", ".join(call) + ")"
    return f"{call[0]}(" + ", ".join(call[1:]) + ")"


class _ThreeValued:
    """Expression → straight-line statements in Kleene logic; every node's value lands in an atom."""

    def __init__(self, names: _Names, checked: Checked, lines: list[str], indent: str, counter: list[int]):
        self.names, self.checked, self.lines, self.indent, self.counter = names, checked, lines, indent, counter
        self.atoms: dict[int, str] = {}

    def temp(self) -> str:
        self.counter[0] += 1
        return f"n_{self.counter[0]}"

    def put(self, expression: str) -> str:
        name = self.temp()
        self.lines.append(f"{self.indent}{name} = {expression}")
        return name

    def emit(self, node: s.Expr) -> str:
        atom: str = getattr(self, "e_" + type(node).__name__)(node)
        self.atoms[id(node)] = atom
        return atom

    def trace(self, expr: s.Expr) -> str:
        """A tuple of the atoms of the traced nodes, in ``syntax.trace_nodes`` order."""
        atoms = [self.atoms[id(n)] for n in s.trace_nodes(expr)]
        return "(" + ", ".join(atoms) + ("," if len(atoms) == 1 else "") + ")"

    def e_Literal(self, node: s.Literal) -> str:
        return "None" if node.value is None else self.names.const(node.value)

    def e_ListLiteral(self, node: s.ListLiteral) -> str:
        return self.put("[" + ", ".join(self.emit(item) for item in node.items) + "]")

    def e_Name(self, node: s.Name) -> str:
        binding = self.checked.bindings[id(node)]
        atom = _atom(self.names, binding)
        if binding.kind == "var" and binding.field:
            return self.put(f"None if {atom} is None else {atom}.get({binding.field!r})")
        return atom

    def e_Lookup(self, node: s.Lookup) -> str:
        when = self.emit(node.when)
        self.atoms[id(node.parameter)] = "None"
        return self.put(f"{self.names.param_table(node.parameter.dotted)}.at3({when})")

    def e_Not(self, node: s.Not) -> str:
        x = self.emit(node.operand)
        return self.put(self.unknown_guard([x], f"not {x}"))

    def e_Negate(self, node: s.Negate) -> str:
        x = self.emit(node.operand)
        return self.put(self.unknown_guard([x], f"-{x}"))

    def _connective(self, operands: tuple[s.Expr, ...], decisive: bool) -> str:
        atoms = [self.emit(o) for o in operands]
        hit, unknown = self.names.is_test(atoms, decisive), self.names.is_test(atoms, None)
        return self.put(f"{decisive} if ({hit}) else (None if ({unknown}) else {not decisive})")

    def e_And(self, node: s.And) -> str:
        return self._connective(node.operands, False)

    def e_Or(self, node: s.Or) -> str:
        return self._connective(node.operands, True)

    def unknown_guard(self, atoms: list[str], expression: str) -> str:
        return f"None if ({self.names.is_test(atoms, None)}) else ({expression})"

    def e_Compare(self, node: s.Compare) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        if node.op == "in":
            return self.put(f"_in3({left}, {right})")
        if node.op == "not in":
            found = self.put(f"_in3({left}, {right})")
            return self.put(self.unknown_guard([found], f"not {found}"))
        return self.put(self.unknown_guard([left, right], f"{left} {node.op} {right}"))

    def e_Arith(self, node: s.Arith) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        kinds = (self.checked.type_of(node.left).kind, self.checked.type_of(node.right).kind)
        plain = _arith(node.op, kinds, left, right, three_valued=False)
        if plain.startswith("_"):  # helpers that may have no value go through _safe3
            return self.put(_arith(node.op, kinds, left, right, three_valued=True))
        return self.put(self.unknown_guard([left, right], plain))

    def e_IfThenElse(self, node: s.IfThenElse) -> str:
        condition, then, otherwise = self.emit(node.condition), self.emit(node.then), self.emit(node.otherwise)
        return self.put(f"_choose3({condition}, {then}, {otherwise})")

    def e_Quantifier(self, node: s.Quantifier) -> str:
        items = self.emit(node.items)
        body_fn = f"q_{self.temp()}"
        var = _var(node.var)
        self.lines.append(f"{self.indent}def {body_fn}({var}):")
        inner = _ThreeValued(self.names, self.checked, self.lines, self.indent + "    ", self.counter)
        result = inner.emit(node.body)
        self.lines.append(f"{self.indent}    return {result}")
        collect = f"[{body_fn}({var}) for {var} in {items}]"
        aggregate = {"any": "_any3", "all": "_all3", "count": "_count3", "sum": "_sum3"}.get(node.kind)
        call = f"{aggregate}({collect})" if aggregate else f"_extreme3({node.kind!r}, {collect})"
        return self.put(self.unknown_guard([items], call))

    def e_Call(self, node: s.Call) -> str:
        args = [self.emit(a) for a in node.args]
        function = functions.FUNCTIONS[node.function]
        if function.strict:
            return self.put(f"_safe3(_fn_{node.function}" + "".join(f", {a}" for a in args) + ")")
        return self.put(f"_fn_{node.function}(" + ", ".join(args) + ")")


def _in_force_test(names: _Names, plan: RulePlan) -> str:
    tests = []
    span = plan.in_force or (None, None)
    if span[0] is not None:
        tests.append(f"{names.const(span[0])} <= as_of")
    if span[1] is not None:
        tests.append(f"as_of < {names.const(span[1])}")
    for start, until in plan.suspended:
        inside = f"{names.const(start)} <= as_of" + (f" < {names.const(until)}" if until is not None else "")
        tests.append(f"not ({inside})")
    return " and ".join(tests) or "True"


class _ProgramWriter:
    def __init__(self, plans: list[RulePlan], parameters: dict[str, runtime.DatedValues]):
        self.plans = plans
        self.names = _Names(parameters)
        for index, plan in enumerate(plans):
            self.names.derived[plan.id] = f"d_{index}"
        self.counter = [0]

    def write(self) -> str:
        values_body, conditions = self._values_rules()
        traced = self._traced_rules()
        outputs = "{" + ", ".join(f"{p.id!r}: {self.names.derived[p.id]}" for p in self.plans) + "}"
        # Facts and parameters are bound once at the top, after all rules have named what they read.
        prologue = [f"    {x} = F.get({name!r})" for name, x in self.names.facts.items()]
        values_prologue = list(prologue)
        if self.names.params:
            values_prologue.append(f"    {', '.join(self.names.params.values())}, = _PARAMS_AT(as_of)")
        traced_prologue = prologue + [f"    {p} = {self.names.param_table(name)}.at3(as_of)"
                                      for name, p in self.names.params.items()]
        return "\n".join(
            ["def values(F, as_of):", *values_prologue, *values_body, f"    return {outputs}, {conditions}", "",
             *self._needs_all(traced, traced_prologue, outputs),
             "RULE_IDS = (" + "".join(f"{plan.id!r}, " for plan in self.plans) + ")", ""]
        )

    def _needs_all(self, traced: list[list[str]], prologue: list[str], outputs: str) -> list[str]:
        """``needs_all`` (``needs``): the traced path for the rules in ``O`` only, each followed by what it still needs;
        the rules not traced read their values from the values path's ``D``. It returns the traces, the needs, each
        item's needs and every rule's value (traced, or read)."""
        helpers: list[str] = []
        writer = needs.NeedsWriter(helpers, {plan.id for plan in self.plans if plan.for_each})
        body: list[str] = []
        for plan, lines in zip(self.plans, traced):
            value = self.names.derived[plan.id]
            body += [f"    if {plan.id!r} in O:", *("    " + line for line in lines),
                     *writer.rule(plan, value, (plan.for_each.var, plan.for_each.items) if plan.for_each else None,
                                  "        ")]
        rules = [f"    {self.names.derived[plan.id]} = D[{plan.id!r}]" for plan in self.plans]
        return [*helpers, "def needs_all(F, as_of, D, O, oc):", *prologue, *rules, "    T = {}", "    N = {}", "    I = {}",
                *body, f"    return T, N, I, {outputs}", ""]

    def _values_rules(self) -> tuple[list[str], str]:
        """The values path's statements, and the dict of what decides each rule's status besides its value:
        the condition of a value rule or of a rule with exceptions, the items of a per-item rule."""
        lines: list[str] = []
        conditions: list[str] = []
        for plan in self.plans:
            target = self.names.derived[plan.id]
            condition = f"c_{target}"
            inactive = [f"{target} = {self._inactive(plan)}"]
            if plan.for_each:
                items = _Values(self.names, plan.for_each.items, self.counter).emit(plan.for_each.items.expr)
                value = self._values_expression(plan)
                body = [f"{condition} = {items}",
                        (f"{target} = None if {condition} is None else "
                         f"[{value} for {_var(plan.for_each.var)} in {condition}]")]
            elif plan.boolean and plan.defeaters:
                defeaters = [self.names.derived[d] for d in plan.defeaters]
                hit = " or ".join([f"{condition} is False", *(f"{d} is True" for d in defeaters)])
                body = [f"{condition} = {self._emit_values(plan.when) if plan.when else 'True'}",
                        (f"{target} = False if {hit} else "
                         f"(None if {self.names.is_test([condition, *defeaters], None)} else True)")]
            elif plan.boolean or plan.when is None:
                self._guarded(lines, plan, [f"{target} = {self._values_expression(plan)}"], inactive)
                continue
            else:
                value, otherwise = (self._emit_values(c) if c else "None" for c in (plan.value, plan.otherwise))
                body = [f"{condition} = {self._emit_values(plan.when)}",
                        f"if {condition} is True: {target} = {value}",
                        f"elif {condition} is False: {target} = {otherwise}",
                        f"else: {target} = _agree({value}, {otherwise})"]
            conditions.append(f"{plan.id!r}: {condition}")
            self._guarded(lines, plan, body, [*inactive, f"{condition} = None"])
        return lines, "{" + ", ".join(conditions) + "}"

    def _emit_values(self, checked: Checked) -> str:
        return _Values(self.names, checked, self.counter).emit(checked.expr)

    def _values_expression(self, plan: RulePlan) -> str:
        """One rule's value as an expression (for per-item rules, the value for one item)."""
        if plan.boolean:
            condition = self._emit_values(plan.when) if plan.when else "True"
            if not plan.defeaters:
                return condition
            defeaters = [self.names.derived[d] for d in plan.defeaters]
            first = c = condition
            if not condition.isidentifier() and condition not in self.names.constant_atoms:
                self.counter[0] += 1
                c = f"t_{self.counter[0]}"
                first = f"({c} := {condition})"
            hit = " or ".join([f"{first} is False", *(f"{d} is True" for d in defeaters)])
            return f"(False if {hit} else (None if {self.names.is_test([c, *defeaters], None)} else True))"
        value = self._emit_values(plan.value) if plan.value else "None"
        if plan.when is None:
            return value
        otherwise = self._emit_values(plan.otherwise) if plan.otherwise else "None"
        return _Values(self.names, plan.when, self.counter).choose(plan.when.expr, value, otherwise)

    def _inactive(self, plan: RulePlan) -> str:
        return "False" if plan.boolean else "None"

    def _guarded(self, lines: list[str], plan: RulePlan, active: list[str], inactive: list[str]) -> None:
        if plan.in_force is None and not plan.suspended:
            lines.extend("    " + line for line in active)
            return
        lines.append(f"    if {_in_force_test(self.names, plan)}:")
        lines.extend("        " + line for line in active)
        lines.append("    else:")
        lines.extend("        " + line for line in inactive)

    def _traced_rules(self) -> list[list[str]]:
        """Each rule's statements on the traced path (they set its value and ``T[id]``)."""
        out: list[list[str]] = []
        for plan in self.plans:
            target = self.names.derived[plan.id]
            body: list[str] = []
            if plan.for_each:
                self._traced_for_each(plan, body, target)
            else:
                value, trace = self._traced_value(plan, body, "")
                body += [f"{target} = {value}", f"T[{plan.id!r}] = {trace}"]
            inactive = [f"{target} = {self._inactive(plan)}", f"T[{plan.id!r}] = None"]
            lines: list[str] = []
            self._guarded(lines, plan, body, inactive)
            out.append(lines)
        return out

    def _traced_for_each(self, plan: RulePlan, body: list[str], target: str) -> None:
        assert plan.for_each is not None
        items_emitter = _ThreeValued(self.names, plan.for_each.items, body, "", self.counter)
        items = items_emitter.emit(plan.for_each.items.expr)
        item_fn = f"item_{self.names.derived[plan.id]}"
        body.append(f"def {item_fn}({_var(plan.for_each.var)}):")
        value, trace = self._traced_value(plan, body, "    ")
        body.append(f"    return {value}, {trace}")
        pairs = self._put(body, f"[] if {items} is None else [{item_fn}(v) for v in {items}]")
        body.append(f"{target} = None if {items} is None else [pair[0] for pair in {pairs}]")
        body.append(f"T[{plan.id!r}] = ({items_emitter.trace(plan.for_each.items.expr)}, [pair[1] for pair in {pairs}])")

    def _put(self, body: list[str], expression: str) -> str:
        self.counter[0] += 1
        name = f"n_{self.counter[0]}"
        body.append(f"{name} = {expression}")
        return name

    def _traced_value(self, plan: RulePlan, body: list[str], indent: str) -> tuple[str, str]:
        """Emit one rule's value in Kleene logic; return its atom and its trace tuple (when, value, otherwise)."""
        traces: list[str] = []
        atoms: list[str | None] = []
        for checked in (plan.when, plan.value, plan.otherwise):
            if checked is None:
                traces.append("None")
                atoms.append(None)
                continue
            emitter = _ThreeValued(self.names, checked, body, indent, self.counter)
            atoms.append(emitter.emit(checked.expr))
            traces.append(emitter.trace(checked.expr))
        when, value, otherwise = atoms
        self.counter[0] += 1
        result = f"n_{self.counter[0]}"
        if plan.boolean:
            condition = when or "True"
            if plan.defeaters:
                defeated = [self.names.derived[d] for d in plan.defeaters]
                is_test = self.names.is_test
                body.append(f"{indent}{result}_d = True if ({is_test(defeated, True)}) else "
                            f"(None if ({is_test(defeated, None)}) else False)")
                body.append(f"{indent}{result} = False if ({is_test([condition], False)} or {result}_d is True) else "
                            f"(None if ({is_test([condition], None)} or {result}_d is None) else True)")
            else:
                body.append(f"{indent}{result} = {condition}")
        elif when is None:
            body.append(f"{indent}{result} = {value or 'None'}")
        else:
            body.append(f"{indent}{result} = _choose3({when}, {value or 'None'}, {otherwise or 'None'})")
        return result, "(" + ", ".join(traces) + ")"


def compile_rules(plans: list[RulePlan], parameters: dict[str, runtime.DatedValues]) -> Program:
    """Generate, compile and return the two entry points for rules given in dependency order."""
    writer = _ProgramWriter(plans, parameters)
    source = writer.write()
    constants = {k: v for k, v in writer.names.globals.items() if k not in _HELPERS}
    if writer.names.params:
        constants["_PARAMS_AT_TABLES"] = [parameters[name] for name in writer.names.params]
    return Program(source, constants)
