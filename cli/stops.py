"""How a command ends early: its reader went away, Ctrl-C, SIGTERM, or an internal error.

Shared by the click group (``cli/main``) and the quick start (``cli/quick``), so both end the same way.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")


class Terminated(BaseException):
    """SIGTERM, raised where the program is, so a batch stops its workers before the command exits."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise Terminated


def closed_pipe() -> NoReturn:
    """The reader of our output went away (``| head``): what it read was written, so stop quietly with 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush of stdout must not fail again
    sys.exit(0)


def internal_error(error: BaseException) -> str:
    """The one line an unexpected error gets without ``--debug``."""
    return f"internal error: {type(error).__name__}: {error} (run with --debug for details)"


def guarded(run: Callable[[], T], say: Callable[[str], None], stop: Callable[[int], NoReturn]) -> T:
    """Run a command: a closed output pipe ends it quietly, Ctrl-C with 130 and SIGTERM with 143, each said in one line."""
    try:  # only the main thread may set a handler (tests run commands in others)
        previous: Any = signal.signal(signal.SIGTERM, _terminate)
        installed = True
    except ValueError:
        installed = False
    try:
        return run()
    except BrokenPipeError:
        closed_pipe()
    except KeyboardInterrupt:  # a stop the user asked for, not an internal error (exit 1)
        say("interrupted")
        stop(130)
    except Terminated:
        say("terminated")
        stop(128 + signal.SIGTERM)
    finally:
        if installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
