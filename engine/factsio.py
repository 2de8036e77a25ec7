"""Read fact documents from text: JSON or YAML, one document or JSON Lines, errors with line:column."""

from __future__ import annotations

import json
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
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        lines = text.splitlines() or [""]
        source_line = lines[exc.lineno - 1] if exc.lineno - 1 < len(lines) else ""
        raise FactsError([Diagnostic("F304", f"invalid JSON: {exc.msg}", file=name,
                                     position=Position(exc.lineno, exc.colno, source_line))]) from None
    except (RecursionError, ValueError) as exc:
        message = "JSON is nested too deeply" if isinstance(exc, RecursionError) else f"invalid JSON: {exc}"
        raise FactsError([Diagnostic("F303", message, file=name)]) from None


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number")


def _as_facts_problem(problem: Diagnostic) -> Diagnostic:
    return Diagnostic("F304", problem.message, file=problem.file, position=problem.position, hint=problem.hint)
