"""The facts catalog: every input fact declared once, with its type, question and help text.

From it come the checker's types, the validation of fact documents (wrong types and unknown
keys are errors with the path of the field; ``null`` and absent fields are unknown), and the
JSON Schema for fact documents that integrators and editors use.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from ..language import types as t
from ..language.diagnostics import Diagnostic, FactsError, suggest
from ..language.record import Record
from ..language.values import iso_date
from .factcheck import compile_fast_check
from .factspec import CASE_KEYS, MAX_ID_LENGTH, MAX_NUMBER, MAX_STRING_LENGTH, FactSpec


class Catalog(Record):
    """The input facts by dotted name (facts.yaml) and the validator of fact documents built from them."""

    _fields = ("facts", "file", "positions", "_tree")
    _shown = ("facts", "file")
    facts: dict[str, FactSpec]
    file: str
    positions: dict[str, Any]  # fact name → Position in the file
    _tree: dict[str, Any]
    _fast: Any  # compiled with the catalog, pickled with its code

    def __init__(self, facts: dict[str, FactSpec], file: str = "", positions: dict[str, Any] | None = None,
                 _tree: dict[str, Any] | None = None) -> None:
        self.facts, self.file = facts, file
        self.positions = {} if positions is None else positions
        self._tree = {} if _tree is None else _tree
        for name, spec in self.facts.items():
            node = self._tree
            *sections, leaf = name.split(".")
            for section in sections:
                node = node.setdefault(section, {})
            node[leaf] = spec
        self._fast = compile_fast_check(self._tree)

    def type_of(self, name: str) -> t.Type | None:
        spec = self.facts.get(name)
        return spec.type if spec else None

    def validate(self, document: Any, source: str = "<facts>") -> tuple[dict[str, Any], date | None]:
        """Check a fact document; return the known facts by dotted name and the document's ``as_of``.

        A compiled check takes the well-formed common case; anything else goes through the full
        validator below, which explains every problem.
        """
        checked = self._fast(document)
        if checked is not None:
            return checked  # type: ignore[no-any-return]  # the compiled check's result shape
        problems: list[Diagnostic] = []
        flat: dict[str, Any] = {}
        if document is None:
            document = {}
        if not isinstance(document, dict):
            raise FactsError([Diagnostic("F304", "a fact document must be a mapping of sections to facts", file=source)])
        as_of = None
        if document.get("as_of") is not None:
            as_of = _convert_date(document["as_of"], "as_of", problems, source)
        _check_case_id(document.get("id"), problems, source)
        self._walk({k: v for k, v in document.items() if k not in CASE_KEYS}, self._tree, "", flat, problems, source)
        if problems:
            raise FactsError(problems)
        return flat, as_of

    def _walk(self, doc: dict[str, Any], tree: dict[str, Any], prefix: str,
              flat: dict[str, Any], problems: list[Diagnostic], source: str) -> None:
        for key, value in doc.items():
            path = f"{prefix}{key}"
            node = tree.get(key) if isinstance(key, str) else None
            if node is None:
                known = [f"{prefix}{k}" for k in tree] + ([] if prefix else list(CASE_KEYS))
                problems.append(Diagnostic("F300", f"unknown fact '{path}'", file=source, path=path, hint=suggest(path, known)
                                           or f"known here: {', '.join(sorted(known)[:12])}"))
            elif value is None:
                continue
            elif isinstance(node, FactSpec):
                converted = _convert(node, value, path, problems, source)
                if converted is not None:
                    flat[node.name] = converted
            elif isinstance(value, dict):
                self._walk(value, node, path + ".", flat, problems, source)
            else:
                problems.append(Diagnostic("F301", f"'{path}' is a section: give a mapping of its facts, not {_kind(value)}",
                                           file=source, path=path, hint="fields: " + ", ".join(sorted(node))))

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of fact documents (committed as schemas/facts.schema.json)."""
        def section(tree: dict[str, Any]) -> dict[str, Any]:
            props = {k: (_spec_schema(v) if isinstance(v, FactSpec) else section(v)) for k, v in sorted(tree.items())}
            return {"type": ["object", "null"], "additionalProperties": False, "properties": props}

        schema = section(self._tree)
        schema["type"] = "object"
        schema["properties"] = {"as_of": {"type": ["string", "null"], "format": "date",
                                          "description": "Evaluation date; --as-of overrides it; default: today."},
                                "id": {"type": ["string", "integer", "null"], "maxLength": MAX_ID_LENGTH,
                                       "description": "Not a fact: the case's own identifier, echoed in its result "
                                                      "so that batch results can be joined back to their cases."},
                                **schema["properties"]}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://asylum-kb.org/schemas/facts.schema.json",
                "title": "asylum-kb fact document",
                "description": "Generated from rules/facts.yaml by `asylum-kb schema`; do not edit by hand.",
                **schema}


def _spec_schema(spec: FactSpec) -> dict[str, Any]:
    out: dict[str, Any]
    if spec.kind == "boolean":
        out = {"type": ["boolean", "null"]}
    elif spec.kind in ("number", "money"):
        out = {"type": ["number", "null"]}
    elif spec.kind == "integer":
        out = {"type": ["integer", "null"]}
    elif spec.kind == "string":
        out = {"type": ["string", "null"]}
    elif spec.kind == "enum":
        out = {"enum": [*spec.values, None]}
    elif spec.kind == "date":
        out = {"type": ["string", "null"], "format": "date"}
    elif spec.kind == "list" and spec.items is not None:
        out = {"type": ["array", "null"], "maxItems": spec.max_items, "items": _spec_schema(spec.items)}
    else:
        out = {"type": ["object", "null"], "additionalProperties": False,
               "properties": {f.name: _spec_schema(f) for f in spec.fields}}
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    text = " ".join(part for part in (spec.question, spec.help) if part)
    if text:
        out["description"] = text
    return out


def _check_case_id(value: Any, problems: list[Diagnostic], source: str) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return
    if not isinstance(value, str):
        problems.append(Diagnostic("F301", f"'id' must be text or a whole number, not {_kind(value)}", file=source,
                                   path="id", hint="the case id is echoed in the result; it is not a fact"))
    elif len(value) > MAX_ID_LENGTH:
        problems.append(Diagnostic("F303", f"'id' is longer than {MAX_ID_LENGTH} characters", file=source, path="id"))


def _kind(value: Any) -> str:
    """A value in the user's terms (never a Python type name)."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float, Decimal)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another kind"


def _convert_date(value: Any, path: str, problems: list[Diagnostic], source: str) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return iso_date(value)
        except ValueError:
            pass
    problems.append(Diagnostic("F301", f"'{path}' must be a date (YYYY-MM-DD), not {_kind(value)}", file=source, path=path))
    return None


def _convert(spec: FactSpec, value: Any, path: str, problems: list[Diagnostic], source: str) -> Any:
    """The value as the engine uses it, or ``None`` after recording a problem."""
    def wrong(expected: str, hint: str | None = None) -> None:
        problems.append(Diagnostic("F301", f"'{path}' must be {expected}, not {_kind(value)}", file=source, path=path, hint=hint))

    kind = spec.kind
    if kind == "boolean":
        return value if isinstance(value, bool) else wrong("true or false")
    if kind in ("number", "integer", "money"):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            return wrong("a number")
        if isinstance(value, Decimal) and not value.is_finite():
            return wrong("a finite number")  # Decimal('Infinity') or NaN, through the Python API
        if isinstance(value, float):
            if not math.isfinite(value):
                return wrong("a finite number")
            value = int(value) if value.is_integer() else Decimal(repr(value))
        if kind == "integer" and value != int(value):
            return wrong("a whole number")
        if abs(value) > MAX_NUMBER or (spec.minimum is not None and value < spec.minimum) or (
                spec.maximum is not None and value > spec.maximum):
            bounds = f"between {spec.minimum if spec.minimum is not None else -MAX_NUMBER} and " \
                     f"{spec.maximum if spec.maximum is not None else MAX_NUMBER}"
            problems.append(Diagnostic("F302", f"'{path}' is {value}; it must be {bounds}", file=source, path=path))
            return None
        return value
    if kind == "string":
        if not isinstance(value, str):
            return wrong("text")
        if len(value) > MAX_STRING_LENGTH:
            problems.append(Diagnostic("F303", f"'{path}' is longer than {MAX_STRING_LENGTH} characters", file=source, path=path))
            return None
        return value
    if kind == "enum":
        if not isinstance(value, str) or value not in spec.values:
            problems.append(Diagnostic(
                "F302", f"'{path}' must be one of {', '.join(spec.values)}, not {_kind(value)}", file=source, path=path,
                hint=suggest(value, spec.values) if isinstance(value, str) else None))
            return None
        return value
    if kind == "date":
        return _convert_date(value, path, problems, source)
    if kind == "list":
        return _convert_list(spec, value, path, problems, source)
    return _convert_record(spec, value, path, problems, source)


def _convert_list(spec: FactSpec, value: Any, path: str, problems: list[Diagnostic], source: str) -> Any:
    if not isinstance(value, list):
        problems.append(Diagnostic("F301", f"'{path}' must be a list, not {_kind(value)}", file=source, path=path))
        return None
    if len(value) > spec.max_items:
        problems.append(Diagnostic("F303", f"'{path}' has {len(value)} items; the limit is {spec.max_items}", file=source, path=path))
        return None
    assert spec.items is not None
    before = len(problems)
    out = [None if item is None else _convert(spec.items, item, f"{path}[{i}]", problems, source)
           for i, item in enumerate(value)]
    return out if len(problems) == before else None


def _convert_record(spec: FactSpec, value: Any, path: str, problems: list[Diagnostic], source: str) -> Any:
    if not isinstance(value, dict):
        problems.append(Diagnostic("F301", f"'{path}' must be a mapping, not {_kind(value)}", file=source, path=path))
        return None
    fields = {f.name: f for f in spec.fields}
    out = {}
    for key, item in value.items():
        field_spec = fields.get(key)
        if field_spec is None:
            problems.append(Diagnostic("F300", f"unknown field '{path}.{key}'", file=source, path=f"{path}.{key}",
                                       hint=suggest(str(key), fields) or f"fields: {', '.join(fields)}"))
        elif item is not None:
            converted = _convert(field_spec, item, f"{path}.{key}", problems, source)
            if converted is not None:
                out[key] = converted
    return out
