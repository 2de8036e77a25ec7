"""One declared fact: its kind, question, help and limits, as the catalog file states it.

The catalog (which validates whole fact documents) and the compiled fast check both build on
these specs; keeping them here lets each of the two import them without importing the other.
"""

from __future__ import annotations

from typing import Any

from ..language import types as t
from ..language.record import FrozenRecord

MAX_LIST_ITEMS = 100
MAX_NUMBER = 10**12
MAX_STRING_LENGTH = 2_000
MAX_ID_LENGTH = 200
CASE_KEYS = ("as_of", "id")  # top-level keys of a fact document that are not facts


class FactSpec(FrozenRecord):
    """One declared fact (or one field of a record in a list fact)."""

    _fields = ("name", "kind", "question", "help", "values", "minimum", "maximum", "max_items", "items",
               "fields", "citation")
    name: str
    kind: str  # boolean, number, integer, money, string, enum, date, list, record
    question: str
    help: str
    values: tuple[str, ...]
    minimum: float | None
    maximum: float | None
    max_items: int
    items: FactSpec | None
    fields: tuple[FactSpec, ...]
    citation: Any

    def __init__(self, name: str, kind: str, question: str = "", help: str = "", values: tuple[str, ...] = (),
                 minimum: float | None = None, maximum: float | None = None,
                 max_items: int = MAX_LIST_ITEMS, items: FactSpec | None = None,
                 fields: tuple[FactSpec, ...] = (), citation: Any = None) -> None:
        self.__dict__.update(name=name, kind=kind, question=question, help=help, values=values,
                             minimum=minimum, maximum=maximum, max_items=max_items, items=items,
                             fields=fields, citation=citation)

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
