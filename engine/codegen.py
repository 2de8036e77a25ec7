"""Compile checked rules into two Python functions, generated from our AST nodes only.

* ``fast(facts, as_of)``: plain Python expressions for the common case where every fact a
  rule reads is given; a missing fact (``KeyError``) or an undefined operation
  (``Undefined``) makes the caller fall back to the three-valued path.
* ``traced(facts, as_of)``: straight-line Kleene three-valued code that also returns the
  value of every sub-expression (outside quantifier bodies), for explanations.

No text from rule files reaches ``compile()``: names become generated identifiers, constants
become entries of the module's globals, and operators come from the fixed tables below.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from . import functions, runtime, values
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
        self.fast: Callable[[FactsMap, date], dict[str, Any]] = namespace["fast"]
        self.traced: Callable[[FactsMap, date], tuple[dict[str, Any], dict[str, Any]]] = namespace["traced"]

    def __reduce__(self) -> tuple[Any, ...]:
        # The compiled code travels with the cache (keyed by the Python version), so a hit skips compile().
        return (Program, (self.source, self.constants, self._code))

    def values(self, facts: FactsMap, as_of: date) -> dict[str, Any]:
        """Rule values only: the fast path when it applies, else the three-valued path."""
        try:
            return self.fast(facts, as_of)
        except (KeyError, OverflowError, values.Undefined):
            return self.traced(facts, as_of)[0]


def trace_nodes(expr: s.Expr) -> list[s.Expr]:
    """The nodes whose values a trace records, in pre-order; quantifier bodies are summarised by the quantifier."""
    out: list[s.Expr] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, s.Quantifier):
            stack.append(node.items)
        else:
            stack.extend(reversed(s.children(node)))
    return out


_HELPERS: dict[str, Any] = {
    "_undefined": runtime.undefined,
    "_safe3": runtime.safe3,
    "_extreme": runtime.extreme,
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


class _Fast:
    """Expression → Python expression text for the all-known path."""

    def __init__(self, names: _Names, checked: Checked):
        self.names, self.checked = names, checked

    def emit(self, node: s.Expr) -> str:
        return getattr(self, "e_" + type(node).__name__)(node)  # type: ignore[no-any-return]

    def atom(self, binding: Binding) -> str:
        return _atom(self.names, binding)

    def e_Literal(self, node: s.Literal) -> str:
        return "_undefined()" if node.value is None else self.names.const(node.value)

    def e_ListLiteral(self, node: s.ListLiteral) -> str:
        if node.items and all(isinstance(i, s.Literal) and i.value is not None for i in node.items):
            return self.names.const(tuple(i.value for i in node.items))  # type: ignore[union-attr]
        return "[" + ", ".join(self.emit(item) for item in node.items) + "]"

    def e_Name(self, node: s.Name) -> str:
        binding = self.checked.bindings[id(node)]
        if binding.kind == "var" and binding.field:
            return f"{_var(binding.target)}[{binding.field!r}]"
        if binding.kind == "fact":
            # Read where used: a fact that only a branch not taken needs may be missing without a fallback.
            return f"F[{binding.target!r}]"
        return self.atom(binding)

    def e_Lookup(self, node: s.Lookup) -> str:
        return f"{self.names.param_table(node.parameter.dotted)}.at({self.emit(node.when)})"

    def e_Not(self, node: s.Not) -> str:
        return f"(not {self.emit(node.operand)})"

    def e_Negate(self, node: s.Negate) -> str:
        return f"(-{self.emit(node.operand)})"

    def e_And(self, node: s.And) -> str:
        return "(" + " and ".join(self.emit(o) for o in node.operands) + ")"

    def e_Or(self, node: s.Or) -> str:
        return "(" + " or ".join(self.emit(o) for o in node.operands) + ")"

    def e_Compare(self, node: s.Compare) -> str:
        return f"({self.emit(node.left)} {node.op} {self.emit(node.right)})"

    def e_Arith(self, node: s.Arith) -> str:
        left, right = self.emit(node.left), self.emit(node.right)
        kinds = (self.checked.type_of(node.left).kind, self.checked.type_of(node.right).kind)
        if kinds == ("date", "duration") and isinstance(node.right, s.Literal) and node.op in "+-":
            return self._constant_shift(left, node.right.value, 1 if node.op == "+" else -1)  # type: ignore[arg-type]
        return _arith(node.op, kinds, left, right, three_valued=False)

    def _constant_shift(self, day: str, duration: values.Duration, sign: int) -> str:
        """Shifts by a literal duration, specialised: plain days, or whole years (the common cases)."""
        if not duration.years and not duration.months:
            return f"({day} {'+' if sign > 0 else '-'} {self.names.const(timedelta(days=duration.days))})"
        if not duration.months and not duration.days:
            return f"_add_years({day}, {sign * duration.years})"
        return f"_shift({day}, {self.names.const(duration)}, {sign})"

    def e_IfThenElse(self, node: s.IfThenElse) -> str:
        return f"({self.emit(node.then)} if {self.emit(node.condition)} else {self.emit(node.otherwise)})"

    def e_Quantifier(self, node: s.Quantifier) -> str:
        items, body, var = self.emit(node.items), self.emit(node.body), _var(node.var)
        if node.kind == "any":
            return f"any({body} for {var} in {items})"
        if node.kind == "all":
            return f"all({body} for {var} in {items})"
        if node.kind == "count":
            return f"sum(1 for {var} in {items} if {body})"
        if node.kind == "sum":
            return f"sum({body} for {var} in {items})"
        return f"_extreme({node.kind!r}, [{body} for {var} in {items}])"

    def e_Call(self, node: s.Call) -> str:
        name = "len" if node.function == "length" else f"_fn_{node.function}"
        return f"{name}(" + ", ".join(self._argument(node.function, a) for a in node.args) + ")"

    def _argument(self, function: str, arg: s.Expr) -> str:
        """Functions that look at unknowns themselves (is_known, coalesce) read a missing fact as None."""
        binding = self.checked.bindings.get(id(arg))
        if not functions.FUNCTIONS[function].strict and binding is not None and binding.kind == "fact":
            return f"F.get({binding.target!r})"
        return self.emit(arg)


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
        """A tuple of the atoms of the traced nodes, in ``trace_nodes`` order."""
        atoms = [self.atoms[id(n)] for n in trace_nodes(expr)]
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
        fast_body = self._fast_rules()
        traced_body = self._traced_rules()
        outputs = "{" + ", ".join(f"{p.id!r}: {self.names.derived[p.id]}" for p in self.plans) + "}"
        # Parameters (and, on the three-valued path, facts) are bound once at the top, after all rules
        # have named what they read.
        fast_prologue = []
        if self.names.params:
            fast_prologue.append(f"    {', '.join(self.names.params.values())}, = _PARAMS_AT(as_of)")
        traced_prologue = [f"    {x} = F.get({name!r})" for name, x in self.names.facts.items()]
        traced_prologue += [f"    {p} = {self.names.param_table(name)}.at3(as_of)" for name, p in self.names.params.items()]
        return "\n".join(
            ["def fast(F, as_of):", *fast_prologue, *fast_body, f"    return {outputs}", "",
             "def traced(F, as_of):", *traced_prologue, "    T = {}", *traced_body, f"    return {outputs}, T", ""]
        )

    def _fast_rules(self) -> list[str]:
        lines: list[str] = []
        for plan in self.plans:
            target = self.names.derived[plan.id]
            if plan.for_each:
                var = _var(plan.for_each.var)
                items = _Fast(self.names, plan.for_each.items).emit(plan.for_each.items.expr)
                expression = f"[{self._fast_value(plan)} for {var} in {items}]"
            else:
                expression = self._fast_value(plan)
            self._guarded(lines, plan, [f"{target} = {expression}"], [f"{target} = {self._inactive(plan, fast=True)}"])
        return lines

    def _fast_value(self, plan: RulePlan) -> str:
        def emit(checked: Checked) -> str:
            return _Fast(self.names, checked).emit(checked.expr)

        if plan.boolean:
            when = emit(plan.when) if plan.when else "True"
            if not plan.defeaters:
                return when
            defeated = " or ".join(self.names.derived[d] for d in plan.defeaters)
            return f"({when} and not ({defeated}))"
        value = emit(plan.value) if plan.value else "_undefined()"
        if plan.when is None:
            return value
        otherwise = emit(plan.otherwise) if plan.otherwise else "_undefined()"
        return f"({value} if {emit(plan.when)} else {otherwise})"

    def _inactive(self, plan: RulePlan, fast: bool) -> str:
        if plan.boolean:
            return "False"
        return "_undefined()" if fast else "None"

    def _guarded(self, lines: list[str], plan: RulePlan, active: list[str], inactive: list[str]) -> None:
        if plan.in_force is None and not plan.suspended:
            lines.extend("    " + line for line in active)
            return
        lines.append(f"    if {_in_force_test(self.names, plan)}:")
        lines.extend("        " + line for line in active)
        lines.append("    else:")
        lines.extend("        " + line for line in inactive)

    def _traced_rules(self) -> list[str]:
        lines: list[str] = []
        for plan in self.plans:
            target = self.names.derived[plan.id]
            body: list[str] = []
            if plan.for_each:
                self._traced_for_each(plan, body, target)
            else:
                value, trace = self._traced_value(plan, body, "")
                body += [f"{target} = {value}", f"T[{plan.id!r}] = {trace}"]
            inactive = [f"{target} = {self._inactive(plan, fast=False)}", f"T[{plan.id!r}] = None"]
            self._guarded(lines, plan, body, inactive)
        return lines

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
