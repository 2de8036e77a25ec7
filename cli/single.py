"""One fact document in, one rendered result out: the one-case ``eval``, without click.

The click command and the quick start (``cli/quick``) both answer a one-case ``eval`` with
``answer``, so the two cannot drift apart.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

MAX_INPUT_BYTES = 5_000_000


def read_facts(path: str, prefix: bytes = b"") -> tuple[str, str]:
    """The text of a facts file (or stdin for '-', after ``prefix`` already read from it) and its name in messages."""
    from asylum_kb import FactsError
    from asylum_kb.kb.factsio import decode, unreadable
    from asylum_kb.language.diagnostics import Diagnostic

    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = prefix + sys.stdin.buffer.read(MAX_INPUT_BYTES + 1 - len(prefix))
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise unreadable(name, exc) from None
    if len(data) > MAX_INPUT_BYTES:
        raise FactsError([Diagnostic("F303", f"facts input is larger than {MAX_INPUT_BYTES:,} bytes", file=name)])
    return decode(data, name), name


def selection(explain: bool, values_only: bool, only: tuple[str, ...]) -> dict[str, Any]:
    """What a result shows; ``--explain`` wins over ``--values-only``."""
    return {"explain": explain, "only": only or None, "values_only": values_only and not explain}


def answer(kb: Any, facts: str, as_of: date | None, fmt: str, shown: dict[str, Any], prefix: bytes = b"") -> str:
    """The result for the fact file ``facts`` ('-': stdin after ``prefix``) in ``fmt``; fact errors point into the file."""
    from asylum_kb import FactsError
    from asylum_kb.kb.factsio import fact_locator, located, read_document

    text, name = read_facts(facts, prefix)
    document = read_document(text, name)
    try:
        result = kb.evaluate(document.data, as_of=as_of, source=name)
    except FactsError as error:
        raise located(error, document) from None
    return render(result, fmt, shown, fact_locator(document))


def render(result: Any, fmt: str, shown: dict[str, Any], locate: Any = None) -> str:
    """A result as JSON, YAML or text."""
    if fmt == "json":
        import json

        return json.dumps(result.to_dict(**shown), indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(result.to_dict(**shown), sort_keys=False, allow_unicode=True))
    from asylum_kb.report.render_text import render as render_text

    return render_text(result, explain=shown["explain"], only=shown["only"], locate=locate)
