"""Request limits: body size, nesting depth and the reading of a body as a fact document or envelope."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from asylum_kb import FactsError
from asylum_kb.kb.factsio import parse_document
from asylum_kb.language.diagnostics import Diagnostic

from .errors import BODY_NAME, ServiceError, problem

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 1_000_000
    max_depth: int = 32
    timeout_seconds: float = 10.0
    # Evaluations are CPU-bound Python: more threads than this only queue on the GIL and stretch the tail.
    concurrent_evaluations: int = 4


def check_size(length: int, limits: Limits) -> None:
    if length > limits.max_body_bytes:
        # F303, as the CLI reports too large an input.
        raise ServiceError(413, [Diagnostic("F303", f"the request body is larger than {limits.max_body_bytes:,} bytes",
                                            file=BODY_NAME)])


def parse_body(raw: bytes, limits: Limits) -> Any:
    """A JSON (or YAML) body as data; errors carry the CLI's codes and the line:column in the body."""
    check_size(len(raw), limits)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise problem(400, "F304", "cannot read the request body: it is not UTF-8 text", file=BODY_NAME) from None
    if not text.strip():
        raise problem(400, "S400", "the request body is empty: send a JSON object ({} for a case with no facts)",
                      file=BODY_NAME)
    try:
        data = parse_document(text, BODY_NAME)
    except FactsError as error:
        raise ServiceError(400, error.diagnostics) from None
    if depth(data) > limits.max_depth:
        raise problem(400, "F303", f"the request body is nested more than {limits.max_depth} levels deep", file=BODY_NAME)
    return data


def depth(data: Any) -> int:
    """How deeply lists and mappings nest, without recursion (a hostile body must not exhaust the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((value, level + 1) for value in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((value, level + 1) for value in node)
    return deepest


def as_of_parameter(value: Any, name: str = "as_of") -> date | None:
    """A date given in the query or an envelope; a bad one is the CLI's usage error, as a 400."""
    if value is None:
        return None
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise problem(400, "S400", f"'{name}' is not a date (YYYY-MM-DD): {str(value)[:40]!r}")


def language_parameter(value: Any) -> str:
    """A language code (en, es); one without a translation file gets English."""
    if value is None:
        return "en"
    if isinstance(value, str) and LANGUAGE.fullmatch(value):
        return value
    raise problem(400, "S400", f"'lang' must be a language code such as en or es, not {str(value)[:20]!r}")


def facts_document(data: Any) -> dict[str, Any]:
    """A request body that must be a fact document: a mapping (the CLI's F304 otherwise)."""
    if not isinstance(data, dict):
        raise problem(400, "F304", "a fact document must be a mapping of sections to facts", file=BODY_NAME)
    return data


def boolean_parameter(value: str | None, name: str) -> bool:
    if value in (None, "false", "0"):  # absent is false; an empty value is neither, as the schema says
        return False
    if value in ("true", "1"):
        return True
    raise problem(400, "S400", f"'{name}' must be true or false, not {str(value)[:40]!r}")


def mapping(data: Any, key: str) -> dict[str, Any]:
    """A mapping field of an envelope (missing or null: empty)."""
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise problem(400, "S400", f"'{key}' must be a mapping (an object)", file=BODY_NAME)
    return value


def envelope(data: Any, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise problem(400, "S400", "the request body must be a JSON object", file=BODY_NAME)
    unknown = [k for k in data if k not in known]
    if unknown:
        raise problem(400, "S400", f"unknown field '{unknown[0]}' in the request body", file=BODY_NAME,
                      hint="fields: " + ", ".join(known))
    return data


def string_list(data: dict[str, Any], key: str, limit: int = 200) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > limit:
        raise problem(400, "S400", f"'{key}' must be a list of at most {limit} texts", file=BODY_NAME)
    return value
