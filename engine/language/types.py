"""Static types of the rule language, as declared by the facts catalog and inferred by the checker."""

from __future__ import annotations

from .record import FrozenRecord


class Type(FrozenRecord):
    """``kind`` is boolean, number, string, enum, date, duration, list, record or any.

    ``any`` is the type of ``unknown`` and of ``[]``: it fits wherever a value is expected.
    """

    _fields = ("kind", "values", "item", "fields")
    kind: str
    values: tuple[str, ...] | None  # enum: the allowed values
    item: Type | None  # list: the item type
    fields: tuple[tuple[str, Type], ...] | None  # record: field names and types

    def __init__(self, kind: str, values: tuple[str, ...] | None = None, item: Type | None = None,
                 fields: tuple[tuple[str, Type], ...] | None = None) -> None:
        self.__dict__.update(kind=kind, values=values, item=item, fields=fields)

    def __str__(self) -> str:
        if self.kind == "enum" and self.values is not None:
            return "one of " + ", ".join(f'"{v}"' for v in self.values)
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item}"
        if self.kind == "record" and self.fields is not None:
            return "record {" + ", ".join(name for name, _ in self.fields) + "}"
        return self.kind

    def field(self, name: str) -> Type | None:
        return dict(self.fields or ()).get(name)


BOOLEAN = Type("boolean")
NUMBER = Type("number")
STRING = Type("string")
DATE = Type("date")
DURATION = Type("duration")
ANY = Type("any")


def enum(values: tuple[str, ...]) -> Type:
    return Type("enum", values=values)


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def record(fields: dict[str, Type]) -> Type:
    return Type("record", fields=tuple(fields.items()))


def is_textual(t: Type) -> bool:
    return t.kind in ("string", "enum")


def compatible(a: Type, b: Type) -> bool:
    """Whether values of ``a`` and ``b`` may be compared for equality or stand in each other's place."""
    if a.kind == "any" or b.kind == "any":
        return True
    if is_textual(a) and is_textual(b):
        return True
    if a.kind == "list" and b.kind == "list" and a.item and b.item:
        return compatible(a.item, b.item)
    return a.kind == b.kind and (a.kind != "record" or a == b)


def join(a: Type, b: Type) -> Type:
    """The type of a value that is either an ``a`` or a ``b`` (branches of ``if``, ``coalesce`` arguments)."""
    if a.kind == "any":
        return b
    if b.kind == "any":
        return a
    if a.kind == "enum" and b.kind == "enum" and a.values is not None and b.values is not None:
        return enum(tuple(dict.fromkeys(a.values + b.values)))
    if is_textual(a) and is_textual(b):
        return STRING
    if a.kind == "list" and b.kind == "list" and a.item and b.item:
        return list_of(join(a.item, b.item))
    return a
