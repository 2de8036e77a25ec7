"""Population files: which columns a file has, and the SQL that turns them into typed, checked facts.

One column per fact id (``applicant.date_of_birth``), plus an optional ``id``. Lists are nested
columns (Parquet, JSONL) or JSON text (CSV). Absent columns and nulls are unknown facts. Wrong
values stop the run with our own codes (F310 unknown column, F311 unreadable or wrong type, F312
a value outside the catalog: an enum value, a bound, a list length), naming the column and case id.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..kb.catalog import Catalog
from ..kb.factspec import MAX_NUMBER, FactSpec
from ..language.diagnostics import Diagnostic, FactsError, suggest
from .dialect import Dialect
from .sqlgen import fact_column, sql_type

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
ID_COLUMN = "id"


def file_format(path: str) -> str:
    """The population file's format, from its extension."""
    found = FORMATS.get(Path(path).suffix.lower())
    if found is None:
        raise FactsError([Diagnostic("F311", f"cannot read '{path}': a population is a .parquet, .csv or .jsonl file",
                                     file=path)])
    return found


def check_columns(columns: list[str], catalogs: list[Catalog], source: str) -> None:
    """Every column must be a fact some catalog declares (or ``id``)."""
    known = {name for catalog in catalogs for name in catalog.facts}
    problems = [Diagnostic("F310", f"column '{column}' is not a fact of the catalog", file=source,
                           hint=suggest(column, known) or "columns are fact ids such as applicant.location, and id")
                for column in columns if column != ID_COLUMN and column not in known]
    if problems:
        raise FactsError(problems)


def fact_specs(catalogs: list[Catalog], source: str) -> dict[str, FactSpec]:
    """The facts of every catalog in the run; a fact declared with two different types cannot be compared."""
    specs: dict[str, FactSpec] = {}
    for catalog in catalogs:
        for name, spec in catalog.facts.items():
            if name in specs and specs[name].type != spec.type:
                raise FactsError([Diagnostic("F310", f"fact '{name}' has different types in the two rule sets",
                                             file=source)])
            specs.setdefault(name, spec)
    return specs


def base_select(specs: dict[str, FactSpec], columns: dict[str, str], source: str, dialect: Dialect) -> str:
    """SELECT the case id and every fact as a typed, checked internal column from ``source``.

    ``columns`` maps the file's column names to their SQL types as the engine reports them.
    """
    d = dialect
    case_id = d.ident(ID_COLUMN)
    parts = [f"CAST({case_id} AS {d.text_type()}) AS case_id" if ID_COLUMN in columns
             else f"CAST(row_number() OVER () AS {d.text_type()}) AS case_id"]
    for name, spec in specs.items():
        target = fact_column(name)
        if name not in columns:
            parts.append(f"CAST(NULL AS {sql_type(d, spec.type)}) AS {target}")
            continue
        raw = d.ident(name)
        typed = _typed(raw, spec, columns[name], d)
        parts.append(f"{_checked(typed, name, spec, case_id if ID_COLUMN in columns else None, d)} AS {target}")
    return "SELECT " + ", ".join(parts) + f" FROM {source}"


def _typed(raw: str, spec: FactSpec, file_type: str, d: Dialect) -> str:
    target = sql_type(d, spec.type)
    if spec.kind == "list" and file_type.upper() in ("VARCHAR", "STRING", "JSON"):
        # JSON text: a record may leave fields out (unknown), as in a fact document.
        if d.name == "duckdb":
            return f"from_json({raw}, {d.string(json.dumps(_json_structure(spec)))})"
        return f"from_json({raw}, {d.string(target)})"
    return f"CAST({raw} AS {target})"


def _json_structure(spec: FactSpec) -> object:
    """DuckDB's ``from_json`` structure for a fact: nested lists and objects of type names."""
    if spec.kind == "list" and spec.items is not None:
        return [_json_structure(spec.items)]
    if spec.kind == "record":
        return {f.name: _json_structure(f) for f in spec.fields}
    return {"boolean": "BOOLEAN", "date": "DATE"}.get(spec.kind, "DOUBLE" if spec.kind in (
        "number", "integer", "money") else "VARCHAR")


def _checked(typed: str, name: str, spec: FactSpec, case_id: str | None, d: Dialect) -> str:
    """The value, or a query error (F312) when it breaks the catalog's constraints."""
    where = f" || ' (case ' || coalesce({case_id}, '?') || ')'" if case_id else ""

    def fail(what: str) -> str:
        return d.fail(d.string(f"F312 column '{name}': {what}") + where)

    bad = _violation(typed, spec, d)
    if spec.kind == "list":
        assert spec.items is not None
        item_bad = _violation("x_i", spec.items, d)
        tests = [f"{d.size(typed)} > {spec.max_items}"]
        if item_bad:
            tests.append(f"{d.size(d.filter(typed, 'x_i', f'coalesce({item_bad}, FALSE)'))} > 0")
        bad = " OR ".join(tests)
    if not bad:
        return typed
    return f"CASE WHEN {bad} THEN {fail(f'a value outside what the catalog allows ({spec.kind})')} ELSE {typed} END"


def _violation(value: str, spec: FactSpec, d: Dialect) -> str:
    """SQL that is true when a (known) value breaks the spec; empty when nothing can be wrong."""
    if spec.kind == "enum":
        return f"NOT ({value} IN (" + ", ".join(d.string(v) for v in spec.values) + "))"
    if spec.kind in ("number", "integer", "money"):
        low = spec.minimum if spec.minimum is not None else -MAX_NUMBER
        high = spec.maximum if spec.maximum is not None else MAX_NUMBER
        tests = [f"{value} < {low}", f"{value} > {high}", f"isnan({value})"]
        if spec.kind == "integer":
            tests.append(f"{value} <> floor({value})")
        return " OR ".join(tests)
    if spec.kind == "string":
        return f"length({value}) > 2000"
    if spec.kind == "record":
        tests = [_violation(d.field(value, f.name), f, d) for f in spec.fields]
        return " OR ".join(f"coalesce({t}, FALSE)" for t in tests if t)
    return ""
