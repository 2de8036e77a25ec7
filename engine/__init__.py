"""asylum-kb: U.S. asylum and refugee policy as versioned YAML rules, evaluated and explained.

    import asylum_kb
    kb = asylum_kb.load()                       # the shipped knowledge base
    result = kb.evaluate(facts, as_of=date(2025, 9, 15))
    result.value("asylum.eligibility")          # "eligible" | "ineligible" | "undetermined"
    result.to_dict(explain=True)                # the JSON result with proof trees

An information and training aid, not legal advice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .language.diagnostics import AsylumKbError, Diagnostic, FactsError, RulesError, UnknownRuleError

if TYPE_CHECKING:
    from .kb.knowledge_base import KnowledgeBase, Result

__all__ = ["AsylumKbError", "Diagnostic", "FactsError", "KnowledgeBase", "Result", "RulesError", "UnknownRuleError", "load"]


def __getattr__(name: str) -> Any:
    """``KnowledgeBase`` and ``Result`` are imported on first use, so `asylum-kb --help` starts without the engine."""
    if name in ("KnowledgeBase", "Result"):
        from .kb import knowledge_base as kb

        return getattr(kb, name)
    raise AttributeError(f"module 'asylum_kb' has no attribute {name!r}")


def load(rules_dir: str | Path | None = None) -> KnowledgeBase:
    """Load, check and compile a rules directory (default: the knowledge base shipped in the package)."""
    from .kb.loader import load_directory

    return load_directory(rules_dir)
