"""Read input files defensively: regular files only, a size limit, and every unreadable folder reported.

``Path.rglob`` skips folders it cannot list and ``read_text`` blocks forever on a FIFO or reads
``/dev/zero`` until memory runs out; a knowledge base missing a folder of rules would still load
and answer wrongly. Callers turn ``FileProblem`` into their own diagnostic (rules or facts).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..language.diagnostics import Position

MAX_DOCUMENT_BYTES = 2_000_000  # one rule file; here, not in yamlsource, so a warm start need not import yaml


class FileProblem(Exception):
    """A file or folder that cannot be read as input; ``position`` points at bad bytes, if any."""

    def __init__(self, path: Path, message: str, position: Position | None = None):
        super().__init__(message)
        self.path, self.message, self.position = path, message, position


_OS_ERRORS = {errno.ENOENT: "no such file", errno.EISDIR: "is a folder, not a file", errno.ENOTDIR: "a part of the path is not a folder",
              errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.ELOOP: "too many symbolic links (a loop?)",
              errno.ENAMETOOLONG: "the name is too long"}


def describe_os_error(exc: OSError) -> str:
    """Our own words for why a file could not be read (the system's text only for rare errors)."""
    return _OS_ERRORS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()


def read_text(path: Path, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    The file type is checked with ``os.stat`` before opening, and again on the open descriptor
    (opened non-blocking, so a FIFO swapped in between cannot hang the read).
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise FileProblem(path, "not a regular file (a folder, FIFO, socket or device)")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise FileProblem(path, "not a regular file (a folder, FIFO, socket or device)")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileProblem(path, f"cannot read: {describe_os_error(exc)}") from None
    if len(data) > limit:
        raise FileProblem(path, f"file is larger than {limit:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start)
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
        raise FileProblem(path, "not UTF-8 text", Position(line + 1, column + 1)) from None


def find_files(root: Path, suffix: str) -> tuple[list[Path], list[FileProblem]]:
    """Files under ``root`` whose names end in ``suffix`` (sorted), and the folders that could not be listed.

    Hidden files and folders (a leading dot) are left out; a folder reached twice through
    symbolic links is listed once.
    """
    found: list[Path] = []
    problems: list[FileProblem] = []
    seen: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as entries:
                listed = [entry for entry in entries if not entry.name.startswith(".")]
        except OSError as exc:
            problems.append(FileProblem(folder, f"cannot list folder: {describe_os_error(exc)}"))
            continue
        for entry in listed:
            try:
                is_folder = entry.is_dir()
                if not is_folder and entry.is_symlink() and not os.path.exists(entry.path):
                    os.stat(entry.path)  # a dangling or looping link: say which, as for an unreadable folder
            except OSError as exc:
                problems.append(FileProblem(Path(entry.path), f"cannot follow link: {describe_os_error(exc)}"))
                continue
            if is_folder:
                pending.append(Path(entry.path))
            elif entry.name.endswith(suffix):
                found.append(Path(entry.path))
    return sorted(found), problems
