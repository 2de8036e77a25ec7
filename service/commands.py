"""The ``serve`` and ``interview`` commands; cli/main.py registers them. Heavy imports wait for a call."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
from asylum_kb.cli.options import as_of


def _fail(error: Exception, debug: bool) -> None:
    from asylum_kb.cli.main import _fail as report

    report(error, debug)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; the default answers this machine only.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, exists=True),
              help="Rules directory (default: the knowledge base shipped with asylum-kb).")
@click.option("--token-file", type=click.Path(dir_okay=False, exists=True),
              help="Require 'Authorization: Bearer TOKEN' on /v1 and /openapi.json; the token is this file's first line.")
@click.option("--reload-rules", is_flag=True, help="Reload when a rule file changes (SIGHUP always reloads).")
@click.option("--max-body", default=1_000_000, show_default=True, type=click.IntRange(1), help="Largest request body, bytes.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1), help="Time limit per request, s.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def serve_command(host: str, port: int, rules_dir: str | None, token_file: str | None, reload_rules: bool,
                  max_body: int, timeout: float, debug: bool) -> None:
    """Serve the JSON API (/v1, /openapi.json) and the web interview at / (needs: pip install 'asylum-kb[serve]')."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        click.echo("asylum-kb serve needs the serve extra: pip install 'asylum-kb[serve]'", err=True)
        sys.exit(2)
    from .holder import KnowledgeBaseHolder
    from .limits import Limits
    from .server import read_token, serve

    try:
        token = read_token(token_file) if token_file else None
        holder = KnowledgeBaseHolder(rules_dir)
    except (OSError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
        return
    if host not in ("127.0.0.1", "localhost", "::1") and token is None:
        click.echo(f"warning: serving on {host} without --token-file: anyone who can reach it can use it", err=True)
    serve(holder, host, port, Limits(max_body_bytes=max_body, timeout_seconds=timeout), token, reload_rules)


@click.command("interview")
@click.option("--as-of", callback=as_of, help="Evaluation date (YYYY-MM-DD); default today.")
@click.option("--save", type=click.Path(dir_okay=False), help="Write the fact document here after every answer.")
@click.option("--resume", type=click.Path(dir_okay=False, exists=True), help="Start from the answers in this fact document.")
@click.option("--goal", "goals", multiple=True, help="A determination to decide (repeatable; default: the screening's).")
@click.option("--lang", default="en", show_default=True, help="Language of the questions (en, es).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False),
              help="Rules directory (default: the knowledge base shipped with asylum-kb).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def interview_command(as_of: date | None, save: str | None, resume: str | None, goals: tuple[str, ...], lang: str,
                      rules_dir: str | None, debug: bool) -> None:
    """Ask the questions that still matter, most decisive first, until the answers are decided or you quit ('q')."""
    from asylum_kb.kb.cache import load_cached
    from asylum_kb.kb.translations import load as load_translations
    from asylum_kb.language.diagnostics import suggest

    from . import interview, terminal

    try:
        kb = load_cached(rules_dir)
        chosen = goals or interview.DEFAULT_GOALS
        for goal in chosen:
            if goal not in kb.rules or not kb.rules[goal].determination:
                hint = suggest(goal, [r.id for r in kb.determinations])
                raise click.BadParameter(f"'{goal}' is not a determination" + (f" ({hint})" if hint else ""),
                                         param_hint="--goal")
        document: dict[str, Any] = {}
        if resume:
            document = _resume(kb, resume)
        words = interview.localizer(load_translations(kb.directory), lang)
        terminal.run(kb, document, as_of, tuple(chosen), words, Path(save) if save else None)
    except click.ClickException:
        raise
    except click.Abort:
        raise
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)


def _resume(kb: Any, path: str) -> dict[str, Any]:
    """The answers of a saved fact document, checked like any fact document."""
    from asylum_kb.cli.main import _read_facts
    from asylum_kb.kb.factsio import parse_document

    text, name = _read_facts(path)
    document = parse_document(text, name) or {}
    kb.catalog.validate(document, name)  # a bad file stops here, with the CLI's codes and exit code 3
    return dict(document)
