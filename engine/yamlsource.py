"""Load YAML safely while keeping the file position of every node.

Dates stay ISO strings (our code parses them, and JSON Schema sees what an editor sees).
PyYAML errors are translated here, once, into diagnostics with file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, OffsetMapper, Position

Path = tuple[Any, ...]
MAX_DOCUMENT_BYTES = 2_000_000
MAX_NESTING_DEPTH = 100


# libyaml's loader when PyYAML was built with it (it keeps node marks too), else the pure-Python one.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader without the timestamp resolver: ``2025-07-04`` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class SourceFile:
    """One YAML document with the node at every path, for positions in messages."""

    path: str
    text: str
    data: Any = None
    nodes: dict[Path, yaml.Node] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def _line(self, index: int) -> str:
        lines = self.lines
        return lines[index] if 0 <= index < len(lines) else ""

    def position(self, path: Path) -> Position | None:
        """The position of the value at ``path``, or of its closest enclosing node."""
        for cut in range(len(path), -1, -1):
            node = self.nodes.get(tuple(path[:cut]))
            if node is not None:
                mark = node.start_mark
                return Position(mark.line + 1, mark.column + 1, self._line(mark.line))
        return None

    def expression_locator(self, path: Path) -> OffsetMapper:
        """Map an offset inside the string at ``path`` to its line and column in this file.

        Folding and block scalars change only whitespace, so the n-th non-blank character of
        the value is the n-th non-blank character of the scalar's source text.
        """
        node = self.nodes.get(tuple(path))
        if node is None or not isinstance(node, yaml.ScalarNode):
            return lambda _offset: self.position(path) or Position(1, 1)
        start = node.start_mark.index
        if node.style in ("|", ">"):
            start = self.text.index("\n", start) + 1
        elif node.style in ("'", '"'):
            start += 1
        value: str = node.value
        text = self.text

        def locate(offset: int) -> Position:
            wanted = sum(1 for ch in value[:offset] if not ch.isspace())
            index = start
            while index < len(text):
                if not text[index].isspace():
                    if wanted == 0:
                        break
                    wanted -= 1
                index += 1
            line = text.count("\n", 0, index)
            column = index - (text.rfind("\n", 0, index) + 1)
            return Position(line + 1, column + 1, self._line(line))

        return locate


def load(path: str, text: str) -> SourceFile:
    """Parse ``text``; problems (syntax errors, duplicate keys, size) go to ``SourceFile.problems``."""
    source = SourceFile(path, text)
    if len(text.encode("utf-8", "replace")) > MAX_DOCUMENT_BYTES:
        source.problems.append(Diagnostic("E200", f"file is larger than {MAX_DOCUMENT_BYTES:,} bytes", file=path))
        return source
    if _too_deep(text):
        source.problems.append(Diagnostic("E200", f"YAML document is nested more than {MAX_NESTING_DEPTH} levels deep",
                                          file=path))
        return source
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None:
            _index(root, source)
            source.data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        position = Position(mark.line + 1, mark.column + 1, source._line(mark.line)) if mark else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        source.problems.append(Diagnostic("E200", f"YAML syntax error: {message}", file=path, position=position,
                                          hint="check indentation and that ':' is followed by a space"))
    except yaml.YAMLError as exc:
        source.problems.append(Diagnostic("E200", f"YAML error: {exc}", file=path))
    except RecursionError:
        source.problems.append(Diagnostic("E200", "YAML document is nested too deeply", file=path))
    finally:
        loader.dispose()
    return source


def _too_deep(text: str) -> bool:
    """Whether collections nest deeper than the limit, read from the parser's event stream.

    The event parser keeps its own stack, while composing nodes recurses (in C, with libyaml),
    so the depth is checked before anything is composed. Syntax errors are left to the loader.
    """
    try:
        return _deeper_than_limit(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError:
        # libyaml may stop on its own depth limit while scanning ahead; the pure-Python parser
        # has none, so it tells a deep document from a syntax error (only on this error path).
        try:
            return _deeper_than_limit(yaml.parse(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            return False


def _deeper_than_limit(events: Any) -> bool:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return False


def _index(root: yaml.Node, source: SourceFile) -> None:
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        source.nodes[path] = node
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    mark = key_node.start_mark
                    source.problems.append(Diagnostic(
                        "E209", f"duplicate key '{key}'", file=source.path,
                        position=Position(mark.line + 1, mark.column + 1, source._line(mark.line)),
                        hint="YAML keeps only the last one; remove or rename the other",
                    ))
                seen.add(key)
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (index,)) for index, item in enumerate(node.value))
