"""One declared fact: its kind, question, help and limits, as the catalog file states it.

The catalog (which validates whole fact documents) and the compiled fast check both build on
these specs; keeping them here lets each of the two import them without importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..language import types as t

MAX_LIST_ITEMS = 100
MAX_NUMBER = 10**12
MAX_STRING_LENGTH = 2_000
MAX_ID_LENGTH = 200
CASE_KEYS = ("as_of", "id")  # top-level keys of a fact document that are not facts


@dataclass(frozen=True)
class FactSpec:
    """One declared fact (or one field of a record in a list fact)."""

    name: str
    kind: str  # boolean, number, integer, money, string, enum, date, list, record
    question: str = ""
    help: str = ""
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_items: int = MAX_LIST_ITEMS
    items: FactSpec | None = None
    fields: tuple[FactSpec, ...] = ()
    citation: Any = None

    @property
    def type(self) -> t.Type:
        if self.kind in ("number", "integer", "money"):
            return t.NUMBER
        if self.kind == "enum":
            return t.enum(self.values)
        if self.kind == "list" and self.items is not None:
            return t.list_of(self.items.type)
        if self.kind == "record":
            return t.record({f.name: f.type for f in self.fields})
        return {"boolean": t.BOOLEAN, "string": t.STRING, "date": t.DATE}[self.kind]


def spec_from_yaml(name: str, raw: dict[str, Any]) -> FactSpec:
    """Build a ``FactSpec`` from its (schema-validated) catalog entry."""
    return FactSpec(
        name=name,
        kind=raw["type"],
        question=raw.get("question", ""),
        help=raw.get("help", ""),
        values=tuple(raw.get("values", ())),
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        max_items=raw.get("max_items", MAX_LIST_ITEMS),
        items=spec_from_yaml(name, raw["items"]) if "items" in raw else None,
        fields=tuple(spec_from_yaml(k, v) for k, v in raw.get("fields", {}).items()),
        citation=raw.get("citation"),
    )
