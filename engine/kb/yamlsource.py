"""Load YAML safely while keeping the file position of every node.

Dates stay ISO strings (our code parses them, and JSON Schema sees what an editor sees).
PyYAML errors are translated here, once, into diagnostics with file:line:column.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..language.diagnostics import Diagnostic, OffsetMapper, Position
from ..language.record import Record
from . import files

Path = tuple[Any, ...]
MAX_DOCUMENT_BYTES = files.MAX_DOCUMENT_BYTES  # defined with the file readers, so a warm start need not import yaml
MAX_NESTING_DEPTH = 100
# Nodes in the document once every alias is expanded: what a reader of the data will walk.
# The shipped rule files have a few thousand each; an alias bomb has billions.
MAX_NODES = 200_000
# Digits in a plain integer or float: Python refuses to convert more than 4,300, and no fact or
# parameter needs more than a few.
MAX_NUMBER_DIGITS = 100


# libyaml's loader when PyYAML was built with it (it keeps node marks too), else the pure-Python one.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader without the timestamp resolver: ``2025-07-04`` stays a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class SourceFile(Record):
    """One YAML document with the node at every path, for positions in messages."""

    _fields = ("path", "text", "data", "nodes", "problems")
    path: str
    text: str
    data: Any
    nodes: dict[Path, yaml.Node]
    problems: list[Diagnostic]

    def __init__(self, path: str, text: str, data: Any = None, nodes: dict[Path, yaml.Node] | None = None,
                 problems: list[Diagnostic] | None = None) -> None:
        self.__dict__.update(path=path, text=text, data=data, nodes={} if nodes is None else nodes,
                             problems=[] if problems is None else problems)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def _line(self, index: int) -> str:
        lines = self.lines
        return lines[index] if 0 <= index < len(lines) else ""

    def mark_position(self, mark: Any) -> Position | None:
        """The position of a YAML mark (PyYAML counts from 0)."""
        return Position(mark.line + 1, mark.column + 1, self._line(mark.line)) if mark is not None else None

    def position(self, path: Path) -> Position | None:
        """The position of the value at ``path``, or of its closest enclosing node."""
        for cut in range(len(path), -1, -1):
            node = self.nodes.get(tuple(path[:cut]))
            if node is not None:
                return self.mark_position(node.start_mark)
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
    shape = _shape_problem(text)
    if shape is not None:
        message, mark = shape
        source.problems.append(Diagnostic("E200", message, file=path, position=source.mark_position(mark)))
        return source
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None and _index(root, source):
            source.data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        source.problems.append(Diagnostic("E200", f"YAML syntax error: {message}", file=path,
                                          position=source.mark_position(mark),
                                          hint="check indentation and that ':' is followed by a space"))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: placed by its offset
        source.problems.append(Diagnostic("E200", f"YAML cannot hold the character U+{exc.character:04X} (a control "
                                          "character)", file=path, position=_offset_position(text, exc.position),
                                          hint="remove it, or write it as an escape inside a double-quoted string"))
    except yaml.YAMLError as exc:
        source.problems.append(Diagnostic("E200", f"YAML error: {exc}", file=path))
    except RecursionError:
        source.problems.append(Diagnostic("E200", "YAML document is nested too deeply", file=path))
    finally:
        loader.dispose()
    return source


def _offset_position(text: str, offset: int) -> Position:
    """The line and column of a character offset in ``text``."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return Position(line + 1, offset - start + 1, text[start:end if end >= 0 else len(text)])


def _shape_problem(text: str) -> tuple[str, Any] | None:
    """Nesting too deep, a recursive alias or too many nodes after alias expansion, with its mark.

    Read from the parser's event stream before anything is composed: the event parser keeps its
    own stack (composing recurses, in C with libyaml), and counting here costs one pass however
    large the aliases would expand. Syntax errors are left to the loader.
    """
    try:
        return _shape_of(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError:
        # libyaml may stop on its own depth limit while scanning ahead; the pure-Python parser
        # has none, so it tells a deep document from a syntax error (only on this error path).
        try:
            return _shape_of(yaml.parse(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError:
            return None


def _shape_of(events: Any) -> tuple[str, Any] | None:
    open_anchors: list[tuple[str | None, int]] = []  # anchor of each open collection, node count at its start
    expanded: dict[str, int] = {}  # nodes an alias of this anchor stands for
    nodes = 0
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in open_anchors):
                return f"recursive alias '*{event.anchor}': an anchored node cannot contain itself", event.start_mark
            nodes += expanded.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                expanded[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            nodes += 1
            open_anchors.append((event.anchor, nodes))
            if len(open_anchors) > MAX_NESTING_DEPTH:
                return f"YAML document is nested more than {MAX_NESTING_DEPTH} levels deep", event.start_mark
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = open_anchors.pop()
            if anchor is not None:
                expanded[anchor] = nodes - start + 1
        if nodes > MAX_NODES:
            return (f"YAML document has more than {MAX_NODES:,} nodes once its aliases are expanded",
                    event.start_mark)
    return None


_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}
_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _index(root: yaml.Node, source: SourceFile) -> bool:
    """Record every node's path; report duplicate keys, and nodes that cannot become plain data.

    Returns whether the document can be constructed: plain keys, JSON-like tags, numbers of a sane length.
    """
    constructible = True

    def refuse(node: yaml.Node, message: str, hint: str) -> None:
        nonlocal constructible
        constructible = False
        source.problems.append(Diagnostic("E200", message, file=source.path,
                                          position=source.mark_position(node.start_mark), hint=hint))

    def check_scalar(node: yaml.Node) -> None:
        if node.tag not in _PLAIN_TAGS:
            refuse(node, f"YAML tag '{node.tag}' is not supported", "use plain text, numbers, true/false, lists and mappings")
        elif node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_DIGITS:
            refuse(node, f"number has more than {MAX_NUMBER_DIGITS} characters", "no fact or parameter needs one this long")
        elif _SURROGATE.search(node.value):
            refuse(node, "text holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character",
                   "escape characters outside the BMP as \\U0001F600, or write them as they are")

    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        source.nodes[path] = node
        if isinstance(node, yaml.ScalarNode):
            check_scalar(node)
        elif node.tag not in _PLAIN_TAGS:
            refuse(node, f"YAML tag '{node.tag}' is not supported", "use plain text, numbers, true/false, lists and mappings")
        elif isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    refuse(key_node, "a mapping key must be plain text, not a list or mapping",
                           "write the key as a name, e.g. 'location:'")
                    continue
                check_scalar(key_node)
                key = key_node.value
                if key in seen:
                    source.problems.append(Diagnostic(
                        "E209", f"duplicate key '{key}'", file=source.path,
                        position=source.mark_position(key_node.start_mark),
                        hint="YAML keeps only the last one; remove or rename the other",
                    ))
                seen.add(key)
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (index,)) for index, item in enumerate(node.value))
    return constructible
