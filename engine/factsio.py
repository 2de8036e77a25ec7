"""Read fact documents from text: JSON or YAML, one document or JSON Lines, errors with line:column."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from .diagnostics import Diagnostic, FactsError, Position


def parse_document(text: str, name: str = "<facts>") -> Any:
    """One fact document; JSON when it starts with '{', YAML otherwise (safe loader, dates as text)."""
    if text.lstrip().startswith("{"):
        return _json(text, name)
    from . import yamlsource

    source = yamlsource.load(name, text)
    if source.problems:
        raise FactsError([_as_facts_problem(p) for p in source.problems])
    return source.data


def parse_lines(text: str, name: str) -> Iterator[tuple[int, Any]]:
    """JSON Lines: one fact document a line; blank lines are skipped."""
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield line_no, _json(line, f"{name}:{line_no}")


def _json(text: str, name: str) -> Any:
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        lines = text.splitlines() or [""]
        source_line = lines[exc.lineno - 1] if exc.lineno - 1 < len(lines) else ""
        raise FactsError([Diagnostic("F304", f"invalid JSON: {exc.msg}", file=name,
                                     position=Position(exc.lineno, exc.colno, source_line))]) from None
    except _DuplicateKey:
        key, offset = _first_duplicate(text)
        raise _located(text, name, "F304", f"duplicate key '{key}'", offset,
                       "JSON readers keep only one of them; remove or rename the other") from None
    except (RecursionError, ValueError) as exc:
        message = "JSON is nested too deeply" if isinstance(exc, RecursionError) else f"invalid JSON: {exc}"
        raise FactsError([Diagnostic("F303", message, file=name)]) from None
    if "\\u" in text and _has_surrogate(data):
        raise _located(text, name, "F304", "text holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character",
                       _lone_surrogate(text), "escape characters outside the BMP as a surrogate pair, or write them as they are")
    return data


def _located(text: str, name: str, code: str, message: str, offset: int, hint: str | None = None) -> FactsError:
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    lines = text.splitlines() or [""]
    source_line = lines[line] if line < len(lines) else ""
    return FactsError([Diagnostic(code, message, file=name, position=Position(line + 1, column + 1, source_line),
                                  hint=hint)])


class _DuplicateKey(Exception):
    """Raised inside the JSON parser; the key is then located by ``_first_duplicate``."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's keys must differ, as in YAML: with two, a `true` followed by a `false` would vanish."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SURROGATE_ESCAPE = re.compile(r"\\u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _first_duplicate(text: str) -> tuple[str, int]:
    """The first key repeated within one object, and its offset (the text is valid JSON)."""
    containers: list[set[str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            token = _STRING.match(text, index)
            assert token is not None  # the text parsed, so every string is closed
            if text[token.end():].lstrip(" \t\r\n").startswith(":"):
                key = json.loads(token.group())
                if key in containers[-1]:
                    return key, index
                containers[-1].add(key)
            index = token.end()
            continue
        if char in "{[":
            containers.append(set())
        elif char in "}]":
            containers.pop()
        index += 1
    return "", 0


def _has_surrogate(data: Any) -> bool:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if any("\ud800" <= char <= "\udfff" for char in value):
                return True
        elif isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
    return False


def _lone_surrogate(text: str) -> int:
    """The offset of the first surrogate escape that is not half of a pair."""
    escapes = [(m.start(), int(m.group(1), 16)) for m in _SURROGATE_ESCAPE.finditer(text)]
    for index, (offset, code) in enumerate(escapes):
        following = escapes[index + 1] if index + 1 < len(escapes) else None
        preceding = escapes[index - 1] if index else None
        if code < 0xDC00 and not (following and following[0] == offset + 6 and following[1] >= 0xDC00):
            return offset
        if code >= 0xDC00 and not (preceding and preceding[0] == offset - 6 and preceding[1] < 0xDC00):
            return offset
    return 0


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number")


def _as_facts_problem(problem: Diagnostic) -> Diagnostic:
    return Diagnostic("F304", problem.message, file=problem.file, position=problem.position, hint=problem.hint)
