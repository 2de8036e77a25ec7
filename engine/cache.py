"""Cache the compiled knowledge base on disk, keyed by the content of the rule files and the engine.

A cache hit skips YAML parsing, schema validation, the parser and the checker, so a CLI run
starts fast. The cache lives in $ASYLUM_KB_CACHE_DIR (default: ~/.cache/asylum-kb); set it to
an empty string to turn caching off. A damaged or stale entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

from .kb import KnowledgeBase, default_rules_dir

_ENGINE_DIR = Path(__file__).parent


def cache_dir() -> Path | None:
    configured = os.environ.get("ASYLUM_KB_CACHE_DIR")
    if configured == "":
        return None
    return Path(configured) if configured else Path.home() / ".cache" / "asylum-kb"


def fingerprint(rules_dir: Path) -> str:
    """A hash of every rule file's and engine file's path, size and modification time, and of the Python version.

    Like Python's own .pyc checks, this trusts modification times, so a start-up need not read every file.
    """
    digest = hashlib.sha256(sys.version.encode())  # the cache holds marshalled code for this Python
    digest.update(str(rules_dir.resolve()).encode())
    for base, pattern in ((rules_dir, "*.yaml"), (_ENGINE_DIR, "*.py"), (_ENGINE_DIR, "*.lark")):
        for path in sorted(base.rglob(pattern)):
            stat = path.stat()
            digest.update(f"{path.relative_to(base)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:32]


def load_cached(rules_dir: str | Path | None = None) -> KnowledgeBase:
    """Like ``asylum_kb.load``, but reuses a compiled knowledge base from the cache when it is current."""
    root = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    directory = cache_dir()
    if directory is None or not root.is_dir():
        return _load(root)
    entry = directory / f"{fingerprint(root)}.pickle"
    try:
        with entry.open("rb") as handle:
            kb = pickle.load(handle)
        if isinstance(kb, KnowledgeBase):
            return kb
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError):
        pass
    kb = _load(root)
    try:
        import tempfile

        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=directory, delete=False) as temporary:
            pickle.dump(kb, temporary, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary.name, entry)
    except (OSError, pickle.PickleError, RecursionError):
        pass
    return kb


def _load(root: Path) -> KnowledgeBase:
    from .loader import load_directory

    return load_directory(root)
