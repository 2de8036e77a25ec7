"""Value classes without ``dataclasses``' start-up cost.

``@dataclass`` compiles every generated method from source when the class is created: about 0.3 ms
for a frozen class, about a fifth of a one-case ``eval``'s start over the engine's classes. A class built
on these bases writes its ``__init__`` by hand and names its fields in ``_fields``; equality, hash,
``repr``, frozenness and pickling then behave as a dataclass's with the same flags: fields compared
as a tuple between instances of the same class, ``Name(field=value, ...)`` reprs, instance
dictionaries pickled and restored as they are.
"""

from __future__ import annotations

from typing import Any, ClassVar


class FrozenError(AttributeError):
    """An assignment to a frozen record's attribute (``dataclasses.FrozenInstanceError`` for a dataclass)."""


class Record:
    """A mutable record (``@dataclass``): equal when of the same class with equal fields; not hashable."""

    _fields: ClassVar[tuple[str, ...]] = ()  # compared, hashed and, unless _shown says otherwise, shown
    _shown: ClassVar[tuple[str, ...] | None] = None  # the fields repr shows, where not all (``repr=False``)
    __hash__ = None  # type: ignore[assignment]

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __repr__(self) -> str:
        names = self._fields if self._shown is None else self._shown
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"


class FrozenRecord(Record):
    """An immutable record (``@dataclass(frozen=True)``): hashable by its fields; fields set only in ``__init__``."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field {name!r}")
