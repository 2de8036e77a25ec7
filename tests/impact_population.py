"""Hypothesis strategies for populations over a facts catalog, and the row engine's answers to compare with.

Cases mix unknown facts, dates on the knowledge base's own boundaries (rules taking effect, eras,
parameter changes, leap days), filings exactly around one year after arrival, and children.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asylum_kb
import pyarrow as pa
import pyarrow.parquet as pq
from asylum_kb.impact.run import contract_value
from asylum_kb.kb.factspec import FactSpec
from hypothesis import strategies as st

LEAP = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2023, 2, 28), date(2025, 2, 28),
        date(2025, 3, 1), date(2004, 2, 29), date(2000, 2, 29)]


def boundary_dates(kb: asylum_kb.KnowledgeBase) -> list[date]:
    """Every date on which something in the knowledge base starts or ends, the day before and after, and leap days."""
    days = set(LEAP)
    for era in kb.eras:
        days |= {era.start} | ({era.end} if era.end else set())
    for rule in kb.rules.values():
        days |= {d for d in (rule.effective_from, rule.effective_to) if d}
    for parameter in kb.parameters.values():
        days |= {v.start for v in parameter.values}
    return sorted({d + timedelta(days=k) for d in days for k in (-1, 0, 1) if date(1900, 1, 1) < d < date(2100, 1, 1)})


def value_strategy(spec: FactSpec, dates: list[date]) -> st.SearchStrategy[Any]:
    """Values of one fact (or record field), unknown included."""
    if spec.kind == "boolean":
        known: st.SearchStrategy[Any] = st.booleans()
    elif spec.kind in ("number", "integer", "money"):
        low = int(spec.minimum) if spec.minimum is not None else -1000
        high = int(spec.maximum) if spec.maximum is not None else 1000
        known = st.integers(low, min(high, low + 400))
        if spec.kind != "integer":
            known = known | st.integers(low * 10, min(high, low + 400) * 10).map(lambda n: Decimal(n) / 10)
    elif spec.kind == "enum":
        known = st.sampled_from(spec.values)
    elif spec.kind == "date":
        known = st.sampled_from(dates) | st.dates(date(1950, 1, 1), date(2030, 12, 31))
    elif spec.kind == "string":
        known = st.text("abcdefgh ", max_size=8)
    elif spec.kind == "list":
        assert spec.items is not None
        known = st.lists(value_strategy(spec.items, dates), max_size=3)
    else:
        known = st.fixed_dictionaries({}, optional={f.name: value_strategy(f, dates) for f in spec.fields})
    return st.none() | known


@st.composite
def cases(draw: st.DrawFn, kb: asylum_kb.KnowledgeBase, dates: list[date]) -> dict[str, Any]:
    """One case as flat facts (fact id → value; unknown facts absent)."""
    flat = {}
    for name, spec in kb.catalog.facts.items():
        value = draw(value_strategy(spec, dates))
        if value is not None:
            flat[name] = value
    arrival = flat.get("applicant.last_arrival_date")
    if arrival and "application.filing_date" in kb.catalog.facts and draw(st.booleans()):
        # Filed right around the one-year deadline, leap years included.
        shift = draw(st.sampled_from([0, 1, 364, 365, 366, 367, 730]))
        flat["application.filing_date"] = arrival + timedelta(days=shift)
    return flat


def arrow_type(spec: FactSpec) -> pa.DataType:
    if spec.kind == "boolean":
        return pa.bool_()
    if spec.kind in ("number", "integer", "money"):
        return pa.float64()
    if spec.kind == "date":
        return pa.date32()
    if spec.kind in ("enum", "string"):
        return pa.string()
    if spec.kind == "list":
        assert spec.items is not None
        return pa.list_(arrow_type(spec.items))
    return pa.struct([(f.name, arrow_type(f)) for f in spec.fields])


def _arrow_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_arrow_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _arrow_value(v) for k, v in value.items()}
    return value


def write_parquet(kb: asylum_kb.KnowledgeBase, population: list[dict[str, Any]], path: Path) -> Path:
    """The population as a Parquet file: an ``id`` column and one typed column per fact."""
    columns = {"id": pa.array([f"c{i}" for i in range(len(population))], pa.string())}
    for name, spec in kb.catalog.facts.items():
        columns[name] = pa.array([_arrow_value(case.get(name)) for case in population], arrow_type(spec))
    pq.write_table(pa.table(columns), path)
    return path


def row_engine_answers(kb: asylum_kb.KnowledgeBase, flat: dict[str, Any], as_of: date) -> dict[str, Any]:
    """The reference: each determination's value as ``evaluate(...).to_dict()`` reports it (JSON data)."""
    determinations = kb.evaluate(_nested(flat), as_of=as_of).to_dict()["determinations"]
    return {rule.id: determinations[rule.id]["value"] for rule in kb.determinations}


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for name, value in flat.items():
        node = doc
        *sections, leaf = name.split(".")
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = value.isoformat() if isinstance(value, date) else _json(value)
    return doc


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def backend_answers(kb: asylum_kb.KnowledgeBase, output: Path, variants: int) -> list[list[dict[str, Any]]]:
    """Per-case results written by ``-o`` (Parquet file or Spark's folder), as contract values, per variant."""
    table = pq.read_table(output).to_pylist()
    table.sort(key=lambda row: int(row["id"][1:]))
    out = []
    for row in table:
        per_variant = []
        for index in range(variants):
            suffix = f"@{index + 1}" if variants > 1 else ""
            per_variant.append({rule.id: contract_value(rule, row[rule.id + suffix]) for rule in kb.determinations})
        out.append(per_variant)
    return out
