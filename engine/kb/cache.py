"""Cache the compiled knowledge base on disk, keyed by the content of the rule files and the engine.

A cache hit skips YAML parsing, schema validation, the parser and the checker, so a CLI run
starts fast. The cache lives in $ASYLUM_KB_CACHE_DIR (default: ~/.cache/asylum-kb); set it to
an empty string to turn caching off.

An entry is named by a SHA-256 of the bytes of every rule file, the engine's source and the Python
version (``fingerprint``). Reading and hashing all of that costs milliseconds on every start, so a
small index maps what the file system says about those files (``stamp``: name, device, inode, size,
modification and change time) to that content key. Python trusts far less for its own bytecode
cache (a source's modification time and size). The change time cannot be set by a user: any write,
rename, ``touch`` or ``cp -p`` sets it to the current time. So an edit always makes a new stamp,
and an index line is written only for files whose change time lies ``SETTLED_SECONDS`` in the past
(the race Git calls "racily clean": a second edit within one clock tick of the first, while the
first was being read, would keep the stamp). Files edited more recently are hashed, as before. (A
file system that keeps no change time, such as FAT, which keeps a creation time in its place, would
miss an edit that also restores the size and modification time; set the cache off there.)

An entry is a pickle, and unpickling runs code, so an entry is trusted only when nobody else
could have written it: the folder and the file must belong to the current user and be writable
by nobody else. Its payload carries a CRC-32 checked before unpickling, so a damaged entry is
rebuilt (and replaced), never used. A checksum stored beside the payload cannot stop anyone who can
write the file (they would write a matching one, whatever the hash), so it is there for damage
only, which a CRC-32 finds (gzip and PNG use it for that); unlike SHA-256 it needs no OpenSSL,
whose loading cost 2 ms of every start. Any doubt means compiling from the rule files.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import time
import zlib
from collections.abc import Iterator
from functools import cache
from importlib import import_module
from pathlib import Path

from .files import MAX_DOCUMENT_BYTES, FileProblem, find_files, read_text
from .knowledge_base import KnowledgeBase, default_rules_dir

_ENGINE_DIR = Path(__file__).parents[1]  # the whole engine package, every layer
_ENGINE_SUFFIXES = (".py", ".lark", ".json")  # code, the grammar, and the schemas rule files are checked against
_MAGIC = b"asylum-kb compiled knowledge base, format 3\n"
_INDEX_MAGIC = b"asylum-kb cache index, format 2\n"
_MAX_ENTRY_BYTES = 256_000_000
_MAX_INDEX_BYTES = 16_000_000
# Older than this, a file's change time is on the clock of any later edit: coarse kernel clocks
# lag by a tick, and some file systems keep times to 1 or 2 seconds.
SETTLED_SECONDS = 3


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
    import hashlib  # only when the stamp index has no answer: OpenSSL takes 2 ms to load

    files, unlisted = find_files(rules_dir, ".yaml")
    if unlisted:
        return None
    digest = hashlib.sha256(_engine_digest())
    digest.update(_place(rules_dir))
    for path in files:
        try:
            text = read_text(path, MAX_DOCUMENT_BYTES)
        except FileProblem:
            return None
        name = os.fsencode(path.relative_to(rules_dir))
        content = text.encode()
        digest.update(b"%d\0%s%d\0%s" % (len(name), name, len(content), content))
    return digest.hexdigest()


@cache
def _engine_digest() -> bytes:
    """The engine's own source (the cache holds code it generated) and the Python that runs it."""
    import hashlib

    digest = hashlib.sha256(_python())
    for path, _info in _engine_sources():
        digest.update(os.fsencode(os.path.relpath(path, _ENGINE_DIR)) + b"\0" + Path(path).read_bytes() + b"\0")
    return digest.digest()


def _place(rules_dir: Path) -> bytes:
    """The rules folder as it was named, and from where: a knowledge base names its files that way
    (``rules/asylum/deadline.yaml``), so a folder reached through a link, or named from another working
    directory, is an entry of its own."""
    return os.fsencode(rules_dir) + b"\0" + (b"" if rules_dir.is_absolute() else os.fsencode(os.getcwd()))


def _python() -> bytes:
    """The Python that runs the engine: pickles and the marshalled generated code depend on it."""
    return f"{sys.version}\0{sys.implementation.cache_tag}\0".encode()


def _engine_sources() -> Iterator[tuple[str, os.stat_result]]:
    """Every source file of the engine and every schema (sorted) with its stat data; ``__pycache__`` holds none."""
    found: list[tuple[str, os.stat_result]] = []
    pending = [str(_ENGINE_DIR)]
    schemas = import_module("asylum_kb.schemas").__path__[0]  # inside the package when installed, beside it in a checkout
    if not Path(schemas).is_relative_to(_ENGINE_DIR):
        pending.append(schemas)
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        pending.append(entry.path)
                elif entry.name.endswith(_ENGINE_SUFFIXES):
                    found.append((entry.path, entry.stat()))
    return iter(sorted(found, key=lambda pair: pair[0]))


def stamp(rules_dir: Path) -> tuple[bytes, int] | None:
    """What the file system says about every rule file and engine source, and the newest change time among them.

    ``None`` when a folder cannot be listed or a file cannot be examined: the content decides then.
    """
    files, unlisted = find_files(rules_dir, ".yaml")
    if unlisted:
        return None
    lines = [_python(), _place(rules_dir)]
    newest = 0
    try:
        for path, info in [*((str(path), os.stat(path)) for path in files), *_engine_sources()]:
            lines.append(b"%s\0%d %d %d %d %d" % (os.fsencode(path), info.st_dev, info.st_ino, info.st_size,
                                                   info.st_mtime_ns, info.st_ctime_ns))
            newest = max(newest, info.st_ctime_ns)
    except OSError:
        return None
    return b"\n".join(lines), newest


def load_cached(rules_dir: str | Path | None = None) -> KnowledgeBase:
    """Like ``asylum_kb.load``, but reuses a compiled knowledge base from the cache when it is current."""
    root = Path(rules_dir) if rules_dir is not None else default_rules_dir()
    directory = cache_dir()
    if directory is None or not root.is_dir() or not _private_folder(directory):
        return _load(root)
    started = time.time_ns()
    stamped = stamp(root) if os.name == "posix" else None  # elsewhere the change time is a creation time
    if stamped is not None:
        indexed = _read_index(_index_path(directory, stamped[0]), stamped[0])
        kb = _read_entry(directory / f"{indexed[:40]}.kb") if indexed is not None else None
        if kb is not None:
            return kb
    key = fingerprint(root)
    if key is None:
        return _load(root)
    entry = directory / f"{key[:40]}.kb"
    kb = _read_entry(entry)
    if kb is None:
        kb = _load(root)
        if fingerprint(root) != key:  # a rule file changed while it was read: this build belongs to no key
            return kb
        _write_entry(entry, kb)
    if stamped is not None and stamped[1] < started - SETTLED_SECONDS * 1_000_000_000 and stamp(root) == stamped:
        _write_private(_index_path(directory, stamped[0]), _INDEX_MAGIC + key.encode() + b"\n" + stamped[0])
    return kb


def _checksum(data: bytes) -> bytes:
    return b"%08x" % zlib.crc32(data)


def _index_path(directory: Path, stamped: bytes) -> Path:
    """Where the index line for these stamps lives; two stamps sharing a name only overwrite each other."""
    return directory / f"{_checksum(stamped).decode()}-{len(stamped):x}.index"


def _read_index(path: Path, stamped: bytes) -> str | None:
    """The content key the index at ``path`` holds for exactly these stamps (compared whole), else ``None``."""
    data = _read_private(path, _MAX_INDEX_BYTES)
    if data is None or not data.startswith(_INDEX_MAGIC):
        return None
    key, _, recorded = data[len(_INDEX_MAGIC):].partition(b"\n")
    if recorded != stamped or len(key) != 64 or key.strip(b"0123456789abcdef"):
        return None
    return key.decode()


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


def _read_private(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of this user's that nobody else can write, else ``None``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or not _owned_and_private(info) or info.st_size > limit:
        os.close(descriptor)  # a folder or device in the file's place is not read (fdopen refuses a folder)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit + 1)


def _read_entry(entry: Path) -> KnowledgeBase | None:
    """The knowledge base in ``entry`` if it is a private regular file whose checksum matches, else ``None``."""
    data = _read_private(entry, _MAX_ENTRY_BYTES)
    header = len(_MAGIC) + 9  # the magic line, a hex CRC-32 and a newline
    if data is None or not data.startswith(_MAGIC) or len(data) < header:
        return None
    expected, payload = data[len(_MAGIC):header - 1], data[header:]
    if _checksum(payload) != expected:
        return None
    try:
        kb = pickle.loads(payload)
    except Exception:  # noqa: BLE001 - a verified entry from another engine build: rebuild it
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def _write_entry(entry: Path, kb: KnowledgeBase) -> None:
    """Cache ``kb`` with its checksum; a knowledge base that cannot be pickled is simply not cached."""
    try:
        payload = pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PickleError, RecursionError, TypeError, AttributeError):
        return
    _write_private(entry, _MAGIC + _checksum(payload) + b"\n" + payload)


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically (a private temporary file renamed over ``path``), so readers never see half a file."""
    try:
        import tempfile  # only when writing: a warm start need not import it

        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # mode 0600
    except OSError:
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        try:
            os.replace(temporary, path)
        except IsADirectoryError:  # an empty folder in the file's place: take its place (a full one stays)
            os.rmdir(path)
            os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _load(root: Path) -> KnowledgeBase:
    from .loader import load_directory

    return load_directory(root)
