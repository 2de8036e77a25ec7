"""Run the service with uvicorn: loopback by default, SIGHUP or --reload-rules to reload the rules.

A reload swaps the knowledge base between requests; requests in flight finish on the rules they
started with, so nothing is dropped.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from .holder import KnowledgeBaseHolder
from .limits import Limits

log = logging.getLogger("asylum_kb.service")
WATCH_SECONDS = 2.0


def read_token(path: str) -> str:
    """The bearer token: the first line of the file, which must not be empty."""
    token = Path(path).read_text(encoding="utf-8").strip().splitlines()
    if not token or not token[0].strip():
        raise ValueError(f"{path}: the token file is empty")
    return token[0].strip()


def serve(holder: KnowledgeBaseHolder, host: str, port: int, limits: Limits, token: str | None,
          watch: bool) -> None:
    import uvicorn

    from .app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    app = create_app(holder, limits, token)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda _signum, _frame: threading.Thread(target=holder.reload, daemon=True).start())
    stop = threading.Event()
    if watch:
        threading.Thread(target=_watch, args=(holder, stop), daemon=True).start()
    # uvicorn's access log names method, path and status only; bodies (the facts) are never logged.
    config = uvicorn.Config(app, host=host, port=port, log_level="info", server_header=False,
                            timeout_graceful_shutdown=5)
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()


def _watch(holder: KnowledgeBaseHolder, stop: threading.Event) -> None:
    while not stop.wait(WATCH_SECONDS):
        holder.reload_if_changed()
