"""The ``asylum-kb`` entry point: a plain one-case ``eval`` is answered without loading click.

Importing click and building every command costs about as much CPU as the evaluation itself. A
command line this module fully understands (``eval FILE`` with ``--as-of``, ``--format``,
``--explain``, ``--values-only``, ``--only``, ``--rules`` or ``--debug``) that names a regular file
is answered here with the command's own ``answer``; anything else, and any error at all, goes to the
click command (``cli/main``), which does the same work again and prints exactly what it always did:
help, usage errors, located fact errors, exit codes. Nothing is written before the answer is
complete, so handing over is always safe.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import NoReturn

from asylum_kb.cli.stops import guarded, internal_error

_FLAGS = frozenset({"--explain", "--values-only", "--debug"})
_OPTIONS = frozenset({"--as-of", "--format", "--only", "--rules"})
_FORMATS = frozenset({"text", "json", "yaml"})


class Request:
    """A one-case ``eval`` as the click command would receive it."""

    def __init__(self, facts: str, options: dict[str, str], only: tuple[str, ...], flags: frozenset[str]) -> None:
        self.facts, self.options, self.only, self.flags = facts, options, only, flags


def run() -> None:
    """Answer a plain one-case ``eval`` here; hand everything else to the click command."""
    request = parse(sys.argv[1:]) if _plain_environment() else None
    if request is None or not guarded(lambda: _answer(request), _say, _stop):
        from asylum_kb.cli.main import main

        main()


def parse(args: list[str]) -> Request | None:
    """The one-case ``eval`` these arguments ask for, or ``None`` when click must read them."""
    if not args or args[0] != "eval":
        return None
    facts: str | None = None
    options: dict[str, str] = {}
    only: list[str] = []
    flags: set[str] = set()
    tokens = iter(args[1:])
    for token in tokens:
        name, equals, value = token.partition("=")
        if token in _FLAGS:
            flags.add(token)
        elif name in _OPTIONS:
            if not equals:
                following = next(tokens, None)
                if following is None or following.startswith("-"):
                    return None
                value = following
            if name == "--only":
                only.append(value)
            elif name in options:  # given twice: click's rule for that is click's to apply
                return None
            else:
                options[name] = value
        elif token.startswith("-") or facts is not None:
            return None
        else:
            facts = token
    return Request(facts, options, tuple(only), frozenset(flags)) if facts is not None else None


def _plain_environment() -> bool:
    """No shell completion asked for (click's ``_ASYLUM_KB_COMPLETE``) and no Windows argument expansion."""
    return os.name == "posix" and not any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ)


def _answer(request: Request) -> bool:
    """Write the answer and return ``True``; ``False`` (nothing written) hands the command to click."""
    try:
        output = _evaluate(request)
    except Exception:  # noqa: BLE001 - click's command reports every error, exactly as it always has
        return False
    if output is None:
        return False
    try:
        _write(output)
    except BrokenPipeError:
        raise  # guarded() ends the command quietly, as click's would
    except Exception as error:  # written in part, so no longer handed over: reported as click's command would
        if "--debug" in request.flags:
            raise
        _say(internal_error(error))
        sys.exit(1)
    return True


def _evaluate(request: Request) -> str | None:
    """The output, or ``None`` for a command line whose checks click must make (a batch, a bad value)."""
    facts, options = request.facts, request.options
    if facts.endswith(".jsonl") or not stat.S_ISREG(os.stat(facts).st_mode):
        return None
    fmt = options.get("--format", "text")
    rules = options.get("--rules")
    if fmt not in _FORMATS or (rules is not None and not (os.path.isdir(rules) and os.access(rules, os.R_OK))):
        return None
    from asylum_kb.cli.single import answer, selection
    from asylum_kb.kb.cache import load_cached
    from asylum_kb.language.values import iso_date

    as_of = iso_date(options["--as-of"]) if "--as-of" in options else None

    kb = load_cached(rules)
    if not set(request.only) <= {rule.id for rule in kb.determinations}:
        return None
    shown = selection("--explain" in request.flags, "--values-only" in request.flags, request.only)
    return answer(kb, facts, as_of, fmt, shown)


def _write(text: str) -> None:
    """Write as ``click.echo`` does: straight to stdout when that is what it would do (UTF-8, no ANSI codes to strip)."""
    stream = sys.stdout
    if stream is not None and "\x1b" not in text and _utf8(stream):
        stream.write(text)
        stream.flush()
        return
    import click

    click.echo(text, nl=False)


def _utf8(stream: object) -> bool:
    import codecs

    encoding, errors = getattr(stream, "encoding", None), getattr(stream, "errors", None)
    try:
        return errors is not None and encoding is not None and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _say(line: str) -> None:
    if sys.stderr is not None:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _stop(code: int) -> NoReturn:
    sys.exit(code)
