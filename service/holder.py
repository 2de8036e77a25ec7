"""The knowledge base a running service answers from: loaded once, swapped whole on reload.

A request takes ``holder.current`` once and uses that snapshot to the end, so a reload never
changes the rules under a request in flight, and a reload that fails keeps the old rules.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from asylum_kb import AsylumKbError, KnowledgeBase
from asylum_kb.kb.translations import Translation
from asylum_kb.kb.translations import load as load_translations

log = logging.getLogger("asylum_kb.service")


@dataclass(frozen=True)
class Loaded:
    kb: KnowledgeBase
    translations: dict[str, Translation]
    facts_schema: dict[str, Any]
    loaded_at: str


def shipped_facts_schema() -> dict[str, Any]:
    """schemas/facts.schema.json as shipped: the one committed source of the facts schema."""
    text = resources.files("asylum_kb.schemas").joinpath("facts.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load(rules_dir: str | None) -> Loaded:
    """Load (from the compiled cache when current) a knowledge base and everything served beside it."""
    from asylum_kb.kb.cache import load_cached

    kb = load_cached(rules_dir)
    # The shipped rules' schema is the committed file; another rules folder's is generated the same way.
    schema = shipped_facts_schema() if rules_dir is None else kb.catalog.json_schema()
    return Loaded(kb, load_translations(kb.directory), schema, datetime.now(UTC).isoformat(timespec="seconds"))


def fingerprint(directory: Path) -> str:
    """Changes whenever a rule file or a translation file changes."""
    from asylum_kb.kb.cache import fingerprint as rules_fingerprint

    translations = "".join(f"{p.name}:{p.stat().st_mtime_ns}:{p.stat().st_size};" for p in sorted(directory.glob("facts.*.po")))
    return f"{rules_fingerprint(directory)}:{translations}"  # None (a file cannot be read) counts as a change too


class KnowledgeBaseHolder:
    def __init__(self, rules_dir: str | None):
        self.rules_dir = rules_dir
        self._lock = threading.Lock()
        self.current = load(rules_dir)
        self._seen = fingerprint(Path(self.current.kb.directory))

    def reload(self) -> bool:
        """Load the rules again; on a load error keep serving the old ones. True when the new ones are in use."""
        with self._lock:
            directory = Path(self.current.kb.directory)
            self._seen = fingerprint(directory)
            try:
                fresh = load(self.rules_dir)
            except AsylumKbError as error:
                log.error("rules not reloaded, still serving the previous ones:\n%s", error)
                return False
            self.current = fresh
            log.info("rules reloaded: %s %s", fresh.kb.manifest.id, fresh.kb.manifest.version)
            return True

    def reload_if_changed(self) -> bool:
        """Reload when a rule or translation file changed since the last load (for --reload-rules)."""
        try:
            changed = fingerprint(Path(self.current.kb.directory)) != self._seen
        except OSError:
            return False
        return self.reload() if changed else False
