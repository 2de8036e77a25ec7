"""Cache the compiled knowledge base on disk, keyed by the content of the rule files and the engine.

A cache hit skips YAML parsing, schema validation, the parser and the checker, so a CLI run
starts fast. The cache lives in $ASYLUM_KB_CACHE_DIR (default: ~/.cache/asylum-kb); set it to
an empty string to turn caching off.

An entry is a pickle, and unpickling runs code, so an entry is trusted only when nobody else
could have written it: the folder and the file must belong to the current user and be writable
by nobody else. Its payload carries a SHA-256 digest checked before unpickling, so a damaged
entry is rebuilt (and replaced), never used. Any doubt means compiling from the rule files.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from functools import cache
from pathlib import Path

from .files import MAX_DOCUMENT_BYTES, FileProblem, find_files, read_text
from .knowledge_base import KnowledgeBase, default_rules_dir

_ENGINE_DIR = Path(__file__).parents[1]  # the whole engine package, every layer
_MAGIC = b"asylum-kb compiled knowledge base, format 2\n"
_MAX_ENTRY_BYTES = 256_000_000


def cache_dir() -> Path | None:
    configured = os.environ.get("ASYLUM_KB_CACHE_DIR")
    if configured == "":
        return None
    return Path(configured) if configured else Path.home() / ".cache" / "asylum-kb"


def fingerprint(rules_dir: Path) -> str | None:
    """A hash of the bytes of every rule file (with its name), of the engine and of the Python version.

    ``None`` when a rule file cannot be read: the loader then reports it. Content, not size and
    modification time, because a checkout or ``cp -p`` can change a rule and keep both.
    """
    files, unlisted = find_files(rules_dir, ".yaml")
    if unlisted:
        return None
    digest = hashlib.sha256(_engine_digest())
    digest.update(str(rules_dir.resolve()).encode())
    for path in files:
        try:
            text = read_text(path, MAX_DOCUMENT_BYTES)
        except FileProblem:
            return None
        name = str(path.relative_to(rules_dir)).encode()
        content = text.encode()
        digest.update(b"%d\0%s%d\0%s" % (len(name), name, len(content), content))
    return digest.hexdigest()


@cache
def _engine_digest() -> bytes:
    """The engine's own source (the cache holds code it generated) and the Python that runs it."""
    digest = hashlib.sha256(f"{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    for pattern in ("*.py", "*.lark"):
        for path in sorted(_ENGINE_DIR.rglob(pattern)):
            digest.update(str(path.relative_to(_ENGINE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def load_cached(rules_dir: str | Path | None = None) -> KnowledgeBase:
    """Like ``asylum_kb.load``, but reuses a compiled knowledge base from the cache when it is current."""
    root = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    directory = cache_dir()
    if directory is None or not root.is_dir():
        return _load(root)
    key = fingerprint(root)
    if key is None or not _private_folder(directory):
        return _load(root)
    entry = directory / f"{key[:40]}.kb"
    kb = _read_entry(entry)
    if kb is not None:
        return kb
    kb = _load(root)
    _write_entry(entry, kb)
    return kb


def _private_folder(directory: Path) -> bool:
    """Create the cache folder for this user only; use an existing one only if nobody else can write to it."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _owned_and_private(os.stat(directory))
    except OSError:
        return False


def _owned_and_private(info: os.stat_result) -> bool:
    owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
    return owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read_entry(entry: Path) -> KnowledgeBase | None:
    """The knowledge base in ``entry`` if it is a private regular file whose digest matches, else ``None``."""
    try:
        descriptor = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or not _owned_and_private(info) or info.st_size > _MAX_ENTRY_BYTES:
        os.close(descriptor)  # a folder or device in the entry's place is not read (fdopen refuses a folder)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(_MAX_ENTRY_BYTES + 1)
    header = len(_MAGIC) + 65  # the magic line, a hex SHA-256 and a newline
    if not data.startswith(_MAGIC) or len(data) < header:
        return None
    expected, payload = data[len(_MAGIC):header - 1], data[header:]
    if hashlib.sha256(payload).hexdigest().encode() != expected:
        return None
    try:
        kb = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a verified entry from another engine build: rebuild it
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def _write_entry(entry: Path, kb: KnowledgeBase) -> None:
    """Write atomically (a private temporary file renamed over the entry), so readers never see half a file."""
    try:
        payload = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PickleError, RecursionError, TypeError, AttributeError):
        return
    digest = hashlib.sha256(payload).hexdigest().encode()
    try:
        import tempfile  # only when writing an entry: a warm start need not import it

        descriptor, temporary = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")  # mode 0600
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(_MAGIC + digest + b"\n" + payload)
        try:
            os.replace(temporary, entry)
        except IsADirectoryError:  # an empty folder in the entry's place: take its place (a full one stays)
            os.rmdir(entry)
            os.replace(temporary, entry)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _load(root: Path) -> KnowledgeBase:
    from .loader import load_directory

    return load_directory(root)
