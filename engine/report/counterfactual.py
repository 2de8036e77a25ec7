"""Counterfactuals: the smallest changes of a single fact that would change a determination.

Found by re-evaluation, not written by hand: flip a yes/no fact, try the other values of an enum,
and for a date or a number search for the nearest value at which the answer changes (answers are
piecewise constant in a date, so a binary search finds the boundary day). Only facts the
determination's proof reads are tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ..kb.consistency import holding
from ..kb.factspec import FactSpec
from ..kb.knowledge_base import KnowledgeBase, Result, reported_value
from ..language.values import iso

SEARCH_DAYS = 366 * 10
SEARCH_NUMBERS = 100


@dataclass(frozen=True)
class Counterfactual:
    determination: str
    fact: str
    was: Any
    becomes: Any
    value_was: Any
    value_becomes: Any
    boundary: str = ""  # for dates and numbers: "on or before", "on or after", "at most", "at least"

    def as_dict(self) -> dict[str, Any]:
        return {"determination": self.determination, "fact": self.fact, "was": iso(self.was), "becomes": iso(self.becomes),
                "boundary": self.boundary, "value_was": iso(self.value_was), "value_becomes": iso(self.value_becomes)}


def facts_read(result: Result, rule_id: str) -> list[str]:
    """The input facts the proof of a determination reads, in first-use order."""
    names: list[str] = []
    for outcome in result.explainer.walk_proof(rule_id):
        for checked in (outcome.rule.when, outcome.rule.value, outcome.rule.otherwise, outcome.rule.items):
            if checked is not None:
                names += checked.reads("fact")
    return list(dict.fromkeys(names))


def find(kb: KnowledgeBase, result: Result, limit: int = 3) -> dict[str, list[Counterfactual]]:
    """For each determination with a value, up to ``limit`` single-fact changes that would change it.

    A change that makes a check rule hold (it contradicts the other facts, such as an unaccompanied child
    aged 36 on the filing date) is not proposed.
    """
    out: dict[str, list[Counterfactual]] = {}
    already = set(holding(kb.shapes.check_ids, result.values))

    def allowed(change: Counterfactual) -> bool:
        changed = kb.values({**result.facts, change.fact: change.becomes}, result.as_of)
        return not set(holding(kb.shapes.check_ids, changed)) - already

    for rule in kb.determinations:
        current = result.value(rule.id)
        # A date moves with every fact it is computed from; the answers worth a counterfactual are
        # outcomes, per-item lists and amounts.
        if current is None or rule.type.kind == "date" or result.outcome(rule.id).status == "not_in_force":
            continue
        found: list[Counterfactual] = []
        for name in facts_read(result, rule.id):
            spec = kb.catalog.facts.get(name)
            if spec is None or name not in result.facts:
                continue
            found += [c for c in _changes(kb, result, rule.id, spec, current) if allowed(c)]
            if len(found) >= limit:
                break
        if found:
            out[rule.id] = found[:limit]
    return out


def _value_with(kb: KnowledgeBase, result: Result, rule_id: str, name: str, value: Any) -> Any:
    facts = {**result.facts, name: value}
    labels = [label for label, _ in result.outcome(rule_id).items]
    return reported_value(kb.rules[rule_id], kb.values(facts, result.as_of).get(rule_id), labels)


def _changes(kb: KnowledgeBase, result: Result, rule_id: str, spec: FactSpec, current: Any) -> list[Counterfactual]:
    was = result.facts[spec.name]

    def outcome_at(value: Any) -> Any:
        return _value_with(kb, result, rule_id, spec.name, value)

    def make(becomes: Any, new: Any, boundary: str = "") -> Counterfactual:
        return Counterfactual(rule_id, spec.name, was, becomes, current, new, boundary)

    if spec.kind == "boolean":
        new = outcome_at(not was)
        return [make(not was, new)] if _differs(new, current) else []
    if spec.kind == "enum":
        return [make(v, new) for v in spec.values if v != was and _differs(new := outcome_at(v), current)][:1]
    if spec.kind == "date":
        return _search(was, current, outcome_at, make, lambda d, n: d + timedelta(days=n), SEARCH_DAYS,
                       ("on or before", "on or after"))
    if spec.kind in ("number", "integer", "money") and isinstance(was, (int, Decimal)):
        low = spec.minimum if spec.minimum is not None else -SEARCH_NUMBERS
        high = spec.maximum if spec.maximum is not None else SEARCH_NUMBERS

        def within(x: Any, n: int) -> Any:
            moved = x + n
            if not low <= moved <= high:
                raise ValueError("outside the fact's bounds")
            return moved

        return _search(was, current, outcome_at, make, within, SEARCH_NUMBERS, ("at most", "at least"))
    return []


def _differs(new: Any, current: Any) -> bool:
    return new is not None and new != "undetermined" and new != current


def _search(was: Any, current: Any, outcome_at: Callable[[Any], Any], make: Callable[..., Counterfactual],
            step: Callable[[Any, int], Any], reach: int, words: tuple[str, str]) -> list[Counterfactual]:
    """The nearest value below and above ``was`` at which the answer changes (binary search on the boundary)."""
    found = []
    for direction, word in ((-1, words[0]), (1, words[1])):
        far = _furthest(was, step, direction, reach)
        if far is None or not _differs(outcome_at(step(was, direction * far)), current):
            continue
        reach_here = far
        same, changed = 0, reach_here  # distances from ``was``: unchanged at ``same``, changed at ``changed``
        while changed - same > 1:
            middle = (same + changed) // 2
            if _differs(outcome_at(step(was, direction * middle)), current):
                changed = middle
            else:
                same = middle
        becomes = step(was, direction * changed)
        found.append(make(becomes, outcome_at(becomes), word))
    return sorted(found, key=lambda c: abs(_distance(c.becomes, was)))


def _furthest(was: Any, step: Callable[[Any, int], Any], direction: int, reach: int) -> int | None:
    """The largest distance up to ``reach`` that stays within the value's range (dates, a fact's bounds)."""
    low, high = 0, reach
    try:
        step(was, direction * high)
        return high
    except (OverflowError, ValueError):
        pass
    while high - low > 1:
        middle = (low + high) // 2
        try:
            step(was, direction * middle)
            low = middle
        except (OverflowError, ValueError):
            high = middle
    return low or None


def _distance(a: Any, b: Any) -> Any:
    return (a - b).days if isinstance(a, date) else a - b
