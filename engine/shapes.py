"""What explanations need that does not depend on the case, computed once per loaded knowledge base.

The nodes each trace records, the text of each sub-condition, the names it reads and each
rule's citations are the same for every case; results look them up here instead of walking and
printing expression trees per case. Entries are keyed by node identity, so one ``Shapes``
belongs to one knowledge base (it is rebuilt, not pickled, with it).
"""

from __future__ import annotations

from typing import Any

from . import syntax as s
from .codegen import trace_nodes
from .model import Rule
from .printer import to_text


class Shapes:
    """Lazily filled tables of case-independent facts about a knowledge base's expressions and rules."""

    def __init__(self) -> None:
        self._nodes: dict[int, tuple[s.Expr, list[s.Expr], tuple[int, ...]]] = {}
        self._texts: dict[int, tuple[s.Expr, str]] = {}
        self._names: dict[int, tuple[s.Expr, tuple[tuple[int, str], ...]]] = {}
        self._citations: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}

    def nodes(self, expr: s.Expr) -> list[s.Expr]:
        """The nodes a trace of ``expr`` records, in order (``codegen.trace_nodes``)."""
        return self._entry(expr)[1]

    def node_ids(self, expr: s.Expr) -> tuple[int, ...]:
        return self._entry(expr)[2]

    def _entry(self, expr: s.Expr) -> tuple[s.Expr, list[s.Expr], tuple[int, ...]]:
        entry = self._nodes.get(id(expr))
        if entry is None:
            nodes = trace_nodes(expr)
            entry = self._nodes[id(expr)] = (expr, nodes, tuple(id(n) for n in nodes))  # expr kept alive: ids stay valid
        return entry

    def text(self, node: s.Expr) -> str:
        """The canonical text of a sub-expression."""
        entry = self._texts.get(id(node))
        if entry is None:
            entry = self._texts[id(node)] = (node, to_text(node))
        return entry[1]

    def names_read(self, node: s.Expr) -> tuple[tuple[int, str], ...]:
        """(node id, dotted name) of each name a sub-expression reads (a looked-up parameter's name excepted)."""
        entry = self._names.get(id(node))
        if entry is None:
            nodes = self.nodes(node)
            looked_up = {id(sub.parameter) for sub in nodes if isinstance(sub, s.Lookup)}
            names = tuple((id(sub), sub.dotted) for sub in nodes if isinstance(sub, s.Name) and id(sub) not in looked_up)
            entry = self._names[id(node)] = (node, names)
        return entry[1]

    def citations(self, rule: Rule) -> tuple[list[str], list[dict[str, Any]]]:
        """A rule's citations as text and as JSON objects (callers copy before changing them)."""
        entry = self._citations.get(rule.id)
        if entry is None:
            entry = self._citations[rule.id] = ([c.text() for c in rule.citations], [c.as_dict() for c in rule.citations])
        return entry
