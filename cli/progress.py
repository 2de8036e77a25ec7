"""A one-line progress display for batches, on stderr and only when stderr is a terminal."""

from __future__ import annotations

import time
from typing import TextIO

REFRESH_SECONDS = 0.2


class Progress:
    """Cases done, the share of the input read and the rate, redrawn in place a few times a second."""

    def __init__(self, stream: TextIO, total_bytes: int) -> None:
        self.stream, self.total_bytes = stream, total_bytes
        self.enabled = stream.isatty()
        self.clock = time.monotonic
        self.started = self.clock()
        self.shown_at = 0.0
        self.shown = False

    def update(self, cases: int, bytes_read: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and now - self.shown_at < REFRESH_SECONDS:
            return
        self.shown_at, self.shown = now, True
        rate = cases / max(now - self.started, 1e-9)
        share = f"  {100 * bytes_read / self.total_bytes:3.0f}%" if self.total_bytes else ""
        self.stream.write(f"\r{cases:>12,} cases{share}  {rate:,.0f} cases/s ")
        self.stream.flush()

    def clear(self) -> None:
        """Blank the progress line, so that a message printed next starts at the left margin."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.shown_at = 0.0

    def close(self) -> None:
        """Leave the last figures on their own line, so later messages start on a fresh one."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
