"""Rule coverage of a set of scenario results: which rules fired and which exceptions defeated their bar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..kb.knowledge_base import KnowledgeBase, Result


@dataclass
class FileCoverage:
    file: str
    rules: list[str] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    branches: list[tuple[str, str]] = field(default_factory=list)  # (exception, rule it defeats)
    defeated: set[tuple[str, str]] = field(default_factory=set)

    @property
    def percent(self) -> float:
        total = len(self.rules) + len(self.branches)
        done = len(self.fired & set(self.rules)) + len(self.defeated & set(self.branches))
        return 100.0 * done / total if total else 100.0

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "percent": round(self.percent, 1), "rules": len(self.rules),
                "rules_fired": len(self.fired & set(self.rules)),
                "not_exercised": [r for r in self.rules if r not in self.fired],
                "exception_branches": len(self.branches),
                "branches_not_exercised": [f"{e} defeats {t}" for e, t in self.branches if (e, t) not in self.defeated]}


def coverage(kb: KnowledgeBase, results: Iterable[Result]) -> list[FileCoverage]:
    """Per rule file: the rules that fired in some result, and the exceptions that defeated their target."""
    files: dict[str, FileCoverage] = {}
    for rule in kb.rules.values():
        entry = files.setdefault(rule.file, FileCoverage(rule.file))
        entry.rules.append(rule.id)
        entry.branches += [(rule.id, target) for target in rule.defeats]
    fired: dict[str, bool] = defaultdict(bool)
    defeated: set[tuple[str, str]] = set()
    for result in results:
        for rule in kb.rules.values():
            outcome = result.outcome(rule.id)
            if outcome.status == "fired" or any(o.status == "fired" for _, o in outcome.items):
                fired[rule.id] = True
            defeated.update((exception, rule.id) for exception in outcome.defeated_by)
    for entry in files.values():
        entry.fired = {r for r in entry.rules if fired[r]}
        entry.defeated = {b for b in entry.branches if b in defeated}
    return sorted(files.values(), key=lambda f: f.file)


def total_percent(files: list[FileCoverage]) -> float:
    total = sum(len(f.rules) + len(f.branches) for f in files)
    done = sum(len(f.fired) + len(f.defeated) for f in files)
    return 100.0 * done / total if total else 100.0
