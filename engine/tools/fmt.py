"""Canonical layout of rule files: key order and indentation, keeping comments and quotes.

ruamel.yaml round-trips comments, which PyYAML drops; the canonical key order keeps diffs between
versions small and reviewable (id and title first, the logic next, sources and notes last).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..kb import yamlsource
from ..kb.files import MAX_DOCUMENT_BYTES, FileProblem, read_text
from ..language.diagnostics import Diagnostic, RulesError

RULE_ORDER = ("id", "title", "kind", "description", "plain", "for_each", "defeats", "when", "value", "otherwise",
              "effective", "confidence", "citations", "notes")
RULESET_ORDER = ("id", "title", "version", "description")
PARAMETER_ORDER = ("id", "title", "type", "unit", "introduced_by", "description", "confidence", "citations", "notes",
                   "values")
VALUE_ORDER = ("from", "era", "value", "confidence", "citations", "notes")
ERA_ORDER = ("id", "title", "from", "to", "description", "confidence", "citations", "notes")
TOP_ORDER = ("kb", "ruleset", "rules", "parameters", "timelines", "facts")


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap an expression
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _reorder(mapping: Any, order: tuple[str, ...]) -> None:
    if not isinstance(mapping, CommentedMap):
        return
    for key in [k for k in order if k in mapping] + [k for k in list(mapping) if k not in order]:
        mapping.move_to_end(key)


def _items(node: Any, key: str) -> list[Any]:
    value = node.get(key) if isinstance(node, CommentedMap) else None
    return list(value) if isinstance(value, CommentedSeq) else []


def _canonical(document: Any) -> None:
    _reorder(document, TOP_ORDER)
    if not isinstance(document, CommentedMap):
        return
    _reorder(document.get("ruleset"), RULESET_ORDER)
    for rule in _items(document, "rules"):
        _reorder(rule, RULE_ORDER)
    for parameter in _items(document, "parameters"):
        _reorder(parameter, PARAMETER_ORDER)
        for value in _items(parameter, "values"):
            _reorder(value, VALUE_ORDER)
    for timeline in _items(document, "timelines"):
        for era in _items(timeline, "eras"):
            _reorder(era, ERA_ORDER)


def format_text(text: str) -> str:
    """The canonical text of one rule file."""
    yaml = _yaml()
    document = yaml.load(text)
    _canonical(document)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _checked_text(path: Path) -> str:
    """The file's text, if the loader would take it (size, file type, aliases, nesting, syntax)."""
    try:
        text = read_text(path, MAX_DOCUMENT_BYTES)
    except FileProblem as problem:
        raise RulesError([Diagnostic("E200", problem.message, file=str(path), position=problem.position)]) from None
    problems = [p for p in yamlsource.load(str(path), text).problems if p.code == "E200"]
    if problems:
        raise RulesError(problems)
    return text


def format_paths(paths: list[Path], check: bool) -> list[Path]:
    """Format the YAML files under ``paths``; return those that were (or, with ``check``, would be) changed."""
    changed = []
    for path in sorted(p for root in paths for p in (root.rglob("*.yaml") if root.is_dir() else [root])):
        text = _checked_text(path)
        formatted = format_text(text)
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_text(formatted, encoding="utf-8")
    return changed
