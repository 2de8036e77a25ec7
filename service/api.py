"""What each endpoint does, through the public API; run in a worker thread by app.py.

Each handler takes the request (already authorized, its body parsed into ``request.state.data``)
and the knowledge-base snapshot, and returns JSON data or a Response.
"""

from __future__ import annotations

from typing import Any

from asylum_kb.language.diagnostics import suggest
from starlette.requests import Request
from starlette.responses import Response

from . import interview as interviews
from .errors import BODY_NAME, problem
from .holder import Loaded
from .interface import WORDS, interface_texts
from .limits import (
    as_of_parameter,
    boolean_parameter,
    envelope,
    facts_document,
    language_parameter,
    mapping,
    string_list,
)

MAX_DIFF_CASES = 100
MAX_CASE_NAME = 200
REPORT_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8"}


def evaluate(request: Request, loaded: Loaded) -> dict[str, Any]:
    as_of = as_of_parameter(request.query_params.get("as_of"))
    explain = boolean_parameter(request.query_params.get("explain"), "explain")
    result = loaded.kb.evaluate(facts_document(request.state.data), as_of=as_of, source=BODY_NAME)
    return result.to_dict(explain=explain)


def report(request: Request, loaded: Loaded) -> Response:
    from asylum_kb.report import case_report as reports

    fmt = request.query_params.get("format", "html")
    if fmt not in REPORT_TYPES:
        raise problem(400, "S400", f"'format' must be html or md, not {fmt[:20]!r}")
    exercise = boolean_parameter(request.query_params.get("exercise"), "exercise")
    as_of = as_of_parameter(request.query_params.get("as_of"))
    result = loaded.kb.evaluate(facts_document(request.state.data), as_of=as_of, source=BODY_NAME)
    page = reports.render_case(loaded.kb, result, "case", fmt, exercise)
    return Response(page, media_type=REPORT_TYPES[fmt])


def facts(request: Request, loaded: Loaded) -> list[dict[str, Any]]:
    words = interviews.localizer(loaded.translations, language_parameter(request.query_params.get("lang")))
    out = []
    for spec in loaded.kb.catalog.facts.values():
        entry = interviews.question(spec, words)
        entry["citation"] = spec.citation if isinstance(spec.citation, str) or spec.citation is None else str(spec.citation)
        out.append(entry)
    return out


def rules(_request: Request, loaded: Loaded) -> list[dict[str, Any]]:
    return [_rule_summary(rule) for rule in loaded.kb.rules.values()]


def rule(request: Request, loaded: Loaded) -> dict[str, Any]:
    rule_id = request.path_params["rule_id"]
    found = loaded.kb.rules.get(rule_id)
    if found is None:
        raise problem(404, "S404", f"no rule '{rule_id[:80]}'", hint=suggest(rule_id, loaded.kb.rules))
    return {**_rule_summary(found), "description": found.description, "plain": found.plain,
            "when": found.when_text, "value": found.value_text, "otherwise": found.otherwise_text,
            "defeats": list(found.defeats), "defeated_by": list(found.defeated_by), "reads": list(found.reads),
            "notes": found.notes}


def _rule_summary(found: Any) -> dict[str, Any]:
    return {"id": found.id, "title": found.title, "kind": found.kind, "ruleset": found.ruleset,
            "determination": found.determination, "confidence": found.confidence, "file": found.file,
            "effective_from": found.effective_from.isoformat() if found.effective_from else None,
            "effective_to": found.effective_to.isoformat() if found.effective_to else None,
            "citations": [c.text() for c in found.citations]}


def eras(_request: Request, loaded: Loaded) -> list[dict[str, Any]]:
    return [{"id": era.id, "title": era.title, "timeline": era.timeline, "from": era.start.isoformat(),
             "to": era.end.isoformat() if era.end else None, "confidence": era.confidence,
             "citations": [c.text() for c in era.citations]} for era in loaded.kb.eras]


def diff(request: Request, loaded: Loaded) -> dict[str, Any]:
    from asylum_kb.tools import diff as diffs

    data = envelope(request.state.data, ("a", "b", "cases"))
    sides = []
    for key in ("a", "b"):
        side = envelope(mapping(data, key), ("as_of",))
        day = as_of_parameter(side.get("as_of"), f"{key}.as_of")
        if day is None:
            raise problem(400, "S400", f"'{key}.as_of' is required: the diff compares two dates", file=BODY_NAME)
        sides.append(diffs.Side(loaded.kb, day, f"as of {day.isoformat()}"))
    raw_cases = [] if data.get("cases") is None else data["cases"]
    if not isinstance(raw_cases, list) or len(raw_cases) > MAX_DIFF_CASES:
        raise problem(400, "S400", f"'cases' must be a list of at most {MAX_DIFF_CASES} cases", file=BODY_NAME)
    cases = []
    for index, raw in enumerate(raw_cases):
        case = envelope(raw, ("name", "facts", "as_of"))
        name = case.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_CASE_NAME):
            raise problem(400, "S400", f"'cases[{index}].name' must be a text of at most {MAX_CASE_NAME} characters",
                          file=BODY_NAME)
        cases.append(diffs.Case(name or f"case {index + 1}", mapping(case, "facts"), as_of_parameter(case.get("as_of"))))
    return diffs.compare(sides[0], sides[1], cases)


def interview(request: Request, loaded: Loaded) -> dict[str, Any]:
    data = envelope(request.state.data, ("facts", "as_of", "goals", "skipped", "lang"))
    goals = tuple(string_list(data, "goals")) or interviews.DEFAULT_GOALS
    for goal in goals:
        if goal not in loaded.kb.rules or not loaded.kb.rules[goal].determination:
            raise problem(400, "S400", f"'{goal[:80]}' is not a determination", file=BODY_NAME,
                          hint=suggest(goal, [r.id for r in loaded.kb.determinations]))
    words = interviews.localizer(loaded.translations, language_parameter(data.get("lang")))
    return interviews.step(loaded.kb, mapping(data, "facts"), as_of_parameter(data.get("as_of")), goals,
                           set(string_list(data, "skipped")), words)


def interface(request: Request, loaded: Loaded) -> dict[str, Any]:
    words = interviews.localizer(loaded.translations, language_parameter(request.query_params.get("lang")))
    texts = interface_texts(loaded.kb, interviews.DEFAULT_GOALS)
    translation = words.translation
    return {
        "language": words.language,
        "languages": [{"code": "en", "name": "English"}] + [
            {"code": code, "name": t.name} for code, t in sorted(loaded.translations.items()) if code != "en"],
        "translation_note": translation.note if translation else "",
        "words": {key: words.text(f"interface.{key}", text) for key, text in WORDS.items()},
        "answers": {context.removeprefix("interface.answer."): words.text(context, text)
                    for context, text in texts.items() if context.startswith("interface.answer.")},
        "disclaimer": loaded.kb.manifest.disclaimer,
    }
