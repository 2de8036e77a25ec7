"""A compiled validator for fact documents: the common, well-formed case in one straight pass.

It is generated from the facts catalog (names enter the source only through ``repr``) and
answers ``None`` at the first irregularity: an unknown key, a value of another type, a float.
Lists of records (children) are checked item by item here too. The caller then runs the full validator in ``catalog``, which explains
the problem. So this module decides nothing the full validator would decide differently;
a test checks that both agree on every document they both accept.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from datetime import date
from typing import Any

from ..language.values import iso_date
from .factspec import CASE_KEYS, MAX_ID_LENGTH, MAX_NUMBER, MAX_STRING_LENGTH, FactSpec

Checked = tuple[dict[str, Any], date | None]


class FastCheck:
    """The compiled validator. It pickles with its compiled code (the cache's key covers the Python
    version), so a start from the compiled-rules cache does not compile it again."""

    def __init__(self, source: str, constants: dict[str, Any], code: bytes | None = None) -> None:
        compiled = marshal.loads(code) if code else compile(source, "<asylum-kb facts check>", "exec")
        self._state = (source, constants, code or marshal.dumps(compiled))
        namespace = dict(constants)
        exec(compiled, namespace)  # noqa: S102 - generated from the catalog
        self.check: Callable[[Any], Checked | None] = namespace["check"]

    def __call__(self, document: Any) -> Checked | None:
        return self.check(document)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FastCheck, self._state)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"_iso_date": iso_date, "_date": date}
        self.counter = 0

    def const(self, value: Any) -> str:
        name = f"C_{len(self.constants)}"
        self.constants[name] = value
        return name

    def var(self) -> str:
        self.counter += 1
        return f"v_{self.counter}"

    def section(self, tree: dict[str, Any], source: str, indent: str, top: bool) -> None:
        keys = set(tree) | (set(CASE_KEYS) if top else set())
        self.lines.append(f"{indent}if not {self.const(frozenset(keys))}.issuperset({source}): return None")
        for key, node in tree.items():
            value = self.var()
            self.lines.append(f"{indent}{value} = {source}.get({key!r})")
            self.lines.append(f"{indent}if {value} is not None:")
            inner = indent + "    "
            if isinstance(node, FactSpec):
                self.fact(node, value, inner)
            else:
                self.lines.append(f"{inner}if type({value}) is not dict: return None")
                self.section(node, value, inner, top=False)

    def fact(self, spec: FactSpec, value: str, indent: str, target: str | None = None) -> None:
        """Check ``value`` (a non-null local) against ``spec`` and store it in ``target`` (default: the flat facts)."""
        target = target or f"F[{spec.name!r}]"
        kind = spec.kind
        if kind == "boolean":
            self.lines.append(f"{indent}if {value} is not True and {value} is not False: return None")
        elif kind in ("number", "integer", "money"):
            low = max(spec.minimum, -MAX_NUMBER) if spec.minimum is not None else -MAX_NUMBER
            high = min(spec.maximum, MAX_NUMBER) if spec.maximum is not None else MAX_NUMBER
            self.lines.append(f"{indent}if type({value}) is not int or not ({low!r} <= {value} <= {high!r}): return None")
        elif kind == "string":
            self.lines.append(f"{indent}if type({value}) is not str or len({value}) > {MAX_STRING_LENGTH}: return None")
        elif kind == "enum":
            self.lines.append(f"{indent}if {value} not in {self.const(frozenset(spec.values))}: return None")
        elif kind == "date":
            self.lines.append(f"{indent}{value} = _iso_date({value}) if type({value}) is str else "
                              f"({value} if type({value}) is _date else None)")
            self.lines.append(f"{indent}if {value} is None: return None")
        elif kind == "list" and spec.items is not None and spec.items.kind == "enum":
            allowed = self.const(frozenset(spec.items.values))
            self.lines.append(f"{indent}if type({value}) is not list or len({value}) > {spec.max_items} "
                              f"or not {allowed}.issuperset({value}): return None")
            value = f"list({value})"
        elif kind == "list" and spec.items is not None:
            value = self.items(spec, value, indent)
        elif kind == "record":
            value = self.record(spec, value, indent)
        else:
            self.lines.append(f"{indent}return None")
            return
        self.lines.append(f"{indent}{target} = {value}")

    def items(self, spec: FactSpec, value: str, indent: str) -> str:
        """A list of any other items (records, above all): each item checked in a loop; null items stay null."""
        assert spec.items is not None
        out, item = self.var(), self.var()
        self.lines += [f"{indent}if type({value}) is not list or len({value}) > {spec.max_items}: return None",
                       f"{indent}{out} = []",
                       f"{indent}for {item} in {value}:",
                       f"{indent}    if {item} is None:",
                       f"{indent}        {out}.append(None)",
                       f"{indent}        continue"]
        self.fact(spec.items, item, indent + "    ", f"{item}")
        self.lines.append(f"{indent}    {out}.append({item})")
        return out

    def record(self, spec: FactSpec, value: str, indent: str) -> str:
        """A record: known fields only, each checked; null fields are left out, as the full validator does."""
        out = self.var()
        fields = self.const(frozenset(f.name for f in spec.fields))
        self.lines += [f"{indent}if type({value}) is not dict or not {fields}.issuperset({value}): return None",
                       f"{indent}{out} = {{}}"]
        for field_spec in spec.fields:
            field_value = self.var()
            self.lines += [f"{indent}{field_value} = {value}.get({field_spec.name!r})",
                           f"{indent}if {field_value} is not None:"]
            self.fact(field_spec, field_value, indent + "    ", f"{out}[{field_spec.name!r}]")
        return out


def compile_fast_check(tree: dict[str, Any]) -> FastCheck:
    """Generate and compile the validator for a catalog tree (sections → specs)."""
    writer = _Writer()
    writer.lines += ["def check(D):", "    if type(D) is not dict: return None", "    F = {}", "    try:"]
    writer.section(tree, "D", "        ", top=True)
    writer.lines += [
        "        as_of = D.get('as_of')",
        "        if as_of is not None:",
        "            as_of = _iso_date(as_of) if type(as_of) is str else (as_of if type(as_of) is _date else None)",
        "            if as_of is None: return None",
        "        case_id = D.get('id')",
        f"        if case_id is not None and not (type(case_id) is int or (type(case_id) is str and len(case_id) <= {MAX_ID_LENGTH})):",
        "            return None",
        "    except (ValueError, TypeError):",
        "        return None",
        "    return F, as_of",
    ]
    return FastCheck("\n".join(writer.lines), writer.constants)
