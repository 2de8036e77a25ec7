"""Validate YAML documents against the shipped JSON Schemas; jsonschema errors are translated here."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .diagnostics import Diagnostic, suggest
from .yamlsource import SourceFile

FILE_KINDS = {
    "kb": "manifest",
    "facts": "facts-catalog",
    "timelines": "eras",
    "parameters": "parameters",
    "ruleset": "ruleset",
}


def schema_text(name: str) -> str:
    return resources.files("asylum_kb.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text(name)))


def file_kind(source: SourceFile) -> str | None:
    """Which kind of knowledge-base file this is, by its first known top-level key."""
    if not isinstance(source.data, dict):
        return None
    return next((FILE_KINDS[key] for key in source.data if key in FILE_KINDS), None)


def validate(source: SourceFile, kind: str) -> list[Diagnostic]:
    """Every schema violation in the file, each at the position of the offending node.

    A bad ``kind`` makes the kind-dependent requirements (``allOf``) fail too; those follow-on
    errors are dropped so the message names the real mistake.
    """
    errors = list(_validator(kind).iter_errors(source.data))
    bad_kind = {tuple(e.absolute_path)[:-1] for e in errors if tuple(e.absolute_path)[-1:] == ("kind",)}
    errors = [e for e in errors if not (tuple(e.absolute_path) in bad_kind and "allOf" in e.schema_path)]
    return [_diagnostic(source, error) for error in errors]


def _diagnostic(source: SourceFile, error: ValidationError) -> Diagnostic:
    path = tuple(error.absolute_path)
    hint = None
    message = error.message
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [key for key in error.instance if key not in allowed]
        if extra:
            path = path + (extra[0],)
            message = f"unexpected key '{extra[0]}'"
            hint = suggest(extra[0], allowed) or f"allowed keys: {', '.join(allowed)}"
    elif error.validator == "required":
        hint = "add the missing key"
    elif error.validator == "enum" and isinstance(error.validator_value, list):
        hint = "allowed: " + ", ".join(str(v) for v in error.validator_value)
    elif error.validator in ("oneOf", "anyOf") and error.context:
        best = min(error.context, key=lambda e: len(e.absolute_path))
        message = f"{message[:120]} ({best.message})"
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return Diagnostic("E201", f"{where}: {message}", file=source.path, position=source.position(path),
                      rule_id=_rule_id(source.data, tuple(error.absolute_path)), hint=hint)


def _rule_id(data: Any, path: tuple[Any, ...]) -> str | None:
    """The id of the rule (or parameter) an error sits in, for the message."""
    if len(path) >= 2 and path[0] in ("rules", "parameters") and isinstance(path[1], int):
        try:
            item = data[path[0]][path[1]]
        except (IndexError, KeyError, TypeError):
            return None
        return item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
    return None
