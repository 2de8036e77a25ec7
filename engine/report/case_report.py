"""Case reports for training: the result, its reasoning, counterfactuals and sources, through jinja2 templates.

The report's data is built here from a ``Result`` (and found counterfactuals); templates in
templates/report/ lay it out as Markdown or self-contained HTML. A user's template folder, when
given, overrides any of them by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..kb.files import describe_os_error
from ..kb.knowledge_base import KnowledgeBase, Result
from ..kb.model import Rule
from ..kb.outcome import deciding, main_reason
from ..language.diagnostics import AsylumKbError, Diagnostic, Position
from ..language.values import iso
from . import counterfactual
from .markdown_text import escape_markdown
from .render_text import Locator, ruling_line

FORMATS = ("md", "html")

_WORDS = {
    "eligible": "Eligible", "ineligible": "Not eligible", "undetermined": "Cannot be determined yet",
    "met": "Met", "excepted": "Late, but an exception applies", "missed": "Missed",
    "exempt": "Exempt (unaccompanied child)", "not_applicable": "Not applicable",
    "affirmative": "Affirmative (USCIS asylum office)", "defensive": "Defensive (immigration court)",
    "included": "Can be included", "not_eligible": "Cannot be included", "suspended": "Suspended",
    "not_yet_due": "Not yet due (the deadline had not passed on the as-of date)",
    "processing": "Processing (no suspension in force)",
}
_STATUS = {"fired": "applies", "not_fired": "does not apply", "defeated": "defeated by an exception",
           "undetermined": "undetermined", "not_in_force": "not in force"}
_GROUPS = [("asylum.", "Asylum"), ("withholding_of_removal.", "Other protection"), ("cat.", "Other protection"),
           ("refugee.", "Refugee processing"), ("family.", "Family"), ("green_card.", "Family"),
           ("work_authorization.", "Work authorization"), ("fees.", "Fees")]


def plain(value: Any, kind: str = "") -> str:
    """A value as a sentence fragment for readers."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value in _WORDS:
        return _WORDS[value]
    if isinstance(value, (int, float, Decimal)) and kind == "fee":
        return f"${value:,}"
    if isinstance(value, list):
        return ", ".join(f"{item['name']}: {plain(item['value'])}" if isinstance(item, dict) else plain(item)
                         for item in value) or "none"
    return str(value)


@dataclass
class _Sources:
    """The numbered source list: each citation once, numbered in order of first use."""

    numbers: dict[str, int]

    def cite(self, texts: list[str]) -> list[int]:
        return [self.numbers.setdefault(text, len(self.numbers) + 1) for text in texts]


def build(kb: KnowledgeBase, result: Result, name: str, locate: Locator | None = None) -> dict[str, Any]:
    """Everything a case report shows, as plain data for the templates; ``locate`` places warnings in the facts file."""
    sources = _Sources({})
    data = result.to_dict(explain=True)
    found = counterfactual.find(kb, result)
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in kb.determinations:
        determination = data["determinations"][rule.id]
        if determination["status"] == "not_in_force":
            continue
        group = next((title for prefix, title in _GROUPS if rule.id.startswith(prefix)), "Other")
        groups.setdefault(group, []).append({
            "id": rule.id, "title": rule.title, "kind": rule.kind, "value": determination["value"],
            "text": _answer(determination, rule.kind), "status": determination["status"],
            "facts_needed": determination["facts_needed"], "unverified": determination.get("unverified_rules", []),
            "counterfactuals": [_sentence(c, kb) for c in found.get(rule.id, [])],
        })
    order = list(dict.fromkeys(title for _, title in _GROUPS))
    groups = {title: groups[title] for title in sorted(groups, key=lambda g: order.index(g) if g in order else len(order))}
    unverified = sorted({r for items in groups.values() for d in items for r in d["unverified"]})
    summary, other = _summary(kb, data, groups, sources)  # first, so that its sources are numbered first
    for items in groups.values():
        for d in items:
            d["reasoning"] = _tree(data["explanations"][d["id"]], kb, sources)
    return {
        "name": name, "as_of": result.as_of.isoformat(), "kb": kb.manifest, "summary": summary, "other": other,
        "eras": [era.title for era in kb.eras_at(result.as_of)],
        "facts": _facts(kb, result), "groups": groups, "facts_needed": result.facts_needed,
        "unverified": [(rid, kb.rules[rid].title, kb.rules[rid].notes) for rid in unverified],
        "sources": sorted(sources.numbers.items(), key=lambda item: item[1]),
        "rulings": [_ruling(r, kb) for r in data.get("rulings", [])],
        "warnings": [_warning(w, result.source, locate) for w in data.get("warnings", [])],
    }


def _warning(warning: dict[str, Any], source: str, locate: Locator | None) -> dict[str, Any]:
    """A check that holds, for readers: what contradicts what, and the facts to look at (before any answer)."""
    facts = []
    for name, value in warning["facts"].items():
        position = locate(name) if locate else None
        facts.append({"name": name, "value": plain(value),
                      "at": f"{source}:{position.line}:{position.column}" if position else ""})
    return {"code": warning["code"], "rule": warning["rule"], "message": warning["message"],
            "hint": " ".join(warning["hint"].split()), "facts": facts}


def _ruling(ruling: dict[str, Any], kb: KnowledgeBase) -> dict[str, Any]:
    """A court ruling for readers: what it is about (rule or era title) and one line on what it did."""
    subject = kb.rules[ruling["rule"]].title if "rule" in ruling else next(
        era.title for era in kb.eras if era.id == ruling["era"])
    return {"subject": subject, "line": ruling_line(ruling), "in_effect": ruling["in_effect"],
            "under_appeal": ruling["status"] == "under_appeal"}


def _summary(kb: KnowledgeBase, data: dict[str, Any], groups: dict[str, list[dict[str, Any]]],
             sources: _Sources) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The outcome first: each form of protection (a determination that says who decides it) in a sentence with
    its main reason and deciding authority; then every other determination with its value and reason."""
    values = {rid: d["value"] for rid, d in data["determinations"].items() if d["status"] == "determined"}
    undetermined = {rid for rid, d in data["determinations"].items() if d["status"] == "undetermined"}
    summary, other = [], []
    for items in groups.values():
        for d in items:
            rule = kb.rules[d["id"]]
            reason = main_reason(data["explanations"][rule.id], kb.rules, d["facts_needed"], general=bool(rule.decided_by)) \
                if rule.kind == "outcome" else ""
            entry = {"id": rule.id, "title": rule.title, "text": d["text"], "reason": reason, "unverified": d["unverified"]}
            if not rule.decided_by:
                other.append(entry)
                continue
            authorities, settled = deciding(rule, values, undetermined)
            summary.append({**entry, "headline": _headline(rule, d["value"], d["text"]), "settled": settled,
                            "authorities": [{"text": a.authority, "notes": a.notes,
                                             "sources": sources.cite([c.text() for c in a.citations])}
                                            for a in authorities]})
    return summary, other


def _headline(rule: Rule, value: Any, text: str) -> str:
    """'Not eligible for asylum' from the title 'Eligible for asylum' and the value; else 'Title: answer'."""
    if value in ("eligible", "ineligible") and rule.title.startswith("Eligible "):
        return text + rule.title[len("Eligible"):]
    return f"{rule.title}: {text}"


def _answer(determination: dict[str, Any], kind: str) -> str:
    if determination["status"] == "undetermined":
        return _WORDS["undetermined"]
    if determination["status"] == "not_applicable":
        return _WORDS["not_applicable"]
    return plain(determination["value"], kind)


def _facts(kb: KnowledgeBase, result: Result) -> list[dict[str, Any]]:
    out = []
    for fact, spec in kb.catalog.facts.items():
        value = result.facts.get(fact)
        if isinstance(value, list) and any(isinstance(item, dict) for item in value):
            # A list of records may hold unknown (null) or empty items: each is shown, as unknown.
            shown = "; ".join(", ".join(f"{k}: {plain(iso(v))}" for k, v in (item or {}).items()) or "unknown"
                              for item in value)
        else:
            shown = plain(iso(value)) if fact in result.facts else "unknown"
        out.append({"name": fact, "question": spec.question, "value": shown, "known": fact in result.facts})
    return out


def _tree(node: dict[str, Any], kb: KnowledgeBase, sources: _Sources) -> dict[str, Any]:
    rule = kb.rules[node["rule"]]
    if node.get("see_above"):
        return {"title": rule.title, "id": rule.id, "see_above": True, "children": []}
    value = node.get("value")
    boolean = rule.boolean or rule.type.kind == "boolean"
    return {
        "title": rule.title, "id": rule.id, "kind": rule.kind, "see_above": False,
        "status": _STATUS.get(node["status"], node["status"]) if boolean else plain(value, rule.kind),
        "plain": rule.plain, "expression": rule.when_text or rule.value_text or "",
        "reasons": [{"text": r["condition"], "value": plain(r["value"])} for r in node.get("reasons", [])],
        "defeated_by": [kb.rules[d].title for d in node.get("defeated_by", [])],
        "items": [{"label": i["label"], "value": plain(i["value"])} for i in node.get("items", [])],
        "unverified": rule.confidence == "unverified",
        "sources": sources.cite(node.get("citations", [])),
        "rulings": [ruling_line(r) for r in node.get("rulings", [])],
        "children": [_tree(child, kb, sources) for child in node.get("because", [])
                     if (child.get("status") != "not_in_force" or child.get("set_aside_by")) and not _did_not_apply(child)],
        "not_applied": [_tree(child, kb, sources) for child in node.get("because", []) if _did_not_apply(child)],
    }


def _did_not_apply(node: dict[str, Any]) -> bool:
    """A bar or exception that did not apply: reports fold these away, the reasoning is what did apply."""
    return node.get("kind") in ("bar", "exception") and node.get("status") == "not_fired"


def _sentence(change: counterfactual.Counterfactual, kb: KnowledgeBase) -> str:
    spec = kb.catalog.facts[change.fact]
    kind = kb.rules[change.determination].kind
    if change.boundary:
        condition = f"{change.fact} been {change.boundary} {plain(iso(change.becomes))}"
    else:
        condition = f"{change.fact} been {plain(iso(change.becomes))}"
    return (f"Had {condition} (it is {plain(iso(change.was))}), the answer would be "
            f"“{plain(change.value_becomes, kind)}” instead of “{plain(change.value_was, kind)}”."
            + (f" ({spec.question})" if spec.question else ""))


def _environment(fmt: str, templates: Path | None) -> Any:
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        PackageLoader,
        StrictUndefined,
        select_autoescape,
    )

    loaders: list[Any] = [FileSystemLoader(str(templates))] if templates else []
    loaders.append(PackageLoader("asylum_kb", "templates/report"))
    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=select_autoescape(["html.j2"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["page"] = lambda name: f"{name}.{fmt}"
    env.filters["md"] = escape_markdown
    return env


class TemplateError(AsylumKbError):
    """A ``--templates`` file that does not parse or fails while rendering: a usage error (exit 2), located."""

    exit_code = 2


def _render(env: Any, name: str, **context: Any) -> str:
    """Render one template; a Jinja2 error becomes ``TemplateError`` (T100) at the template's file and line."""
    import jinja2

    try:
        template = env.get_template(name)
    except (OSError, UnicodeDecodeError) as error:  # a template file that cannot be read
        where = getattr(error, "filename", None) or name
        reason = describe_os_error(error) if isinstance(error, OSError) else "not UTF-8 text"
        raise TemplateError([Diagnostic("T100", f"cannot read template: {reason}", file=str(where))]) from None
    except jinja2.TemplateSyntaxError as error:
        raise _syntax_error(error, name) from None
    try:
        return str(template.render(**context))
    except jinja2.TemplateSyntaxError as error:  # an included template
        raise _syntax_error(error, name) from None
    except jinja2.TemplateError as error:
        import traceback

        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
        where, position = (frames[-1].filename, Position(frames[-1].lineno or 1, 1)) if frames else (name, None)
        raise TemplateError([Diagnostic("T100", f"template error while rendering: {error.message or error}",
                                        file=where, position=position,
                                        hint="a custom template can use only the names the shipped one uses")]) from None


def _syntax_error(error: Any, name: str) -> TemplateError:
    where = error.filename or error.name or name
    line = (error.source or "").splitlines()[error.lineno - 1:error.lineno] if error.lineno else []
    return TemplateError([Diagnostic("T100", f"template syntax error: {error.message}", file=where,
                                     position=Position(error.lineno, 1, line[0] if line else ""),
                                     hint="fix the template, or leave it out to use the shipped one")])


def page_name(case_id: object, line: int, taken: set[str]) -> str:
    """A file name for a case of a JSON Lines pack: its id made safe for file names, else its line number."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", "" if case_id is None else str(case_id)).strip("-.")[:80]
    if not name or name.lower() == "index" or name in taken:
        name = f"{name}-line-{line}" if name else f"line-{line}"
    taken.add(name)
    return name


def render_case(kb: KnowledgeBase, result: Result, name: str, fmt: str, exercise: bool = False,
                templates: Path | None = None, locate: Locator | None = None) -> str:
    return _render(_environment(fmt, templates), f"case.{fmt}.j2", report=build(kb, result, name, locate),
                   exercise=exercise, fmt=fmt)


def render_pack(kb: KnowledgeBase, cases: list[tuple[str, dict[str, Any]]], output: Path, formats: tuple[str, ...],
                as_of: date | None = None, exercise: bool = False, templates: Path | None = None) -> list[Path]:
    """One page per case and an index, in each format; returns the files written."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    results = [(name, kb.evaluate(facts, as_of=as_of, source=name)) for name, facts in cases]
    for fmt in formats:
        env = _environment(fmt, templates)
        entries = []
        for name, result in results:
            report = build(kb, result, name)
            path = output / f"{name}.{fmt}"
            path.write_text(_render(env, f"case.{fmt}.j2", report=report, exercise=exercise, fmt=fmt), encoding="utf-8")
            written.append(path)
            headline = next((d["text"] + (f": {d['reason']}" if d["reason"] else "")
                             for d in report["summary"] + report["other"] if d["id"] == "asylum.eligibility"), "")
            case_id = "" if result.id is None else str(result.id)
            entries.append({"name": name, "as_of": report["as_of"], "headline": headline, "id": case_id})
        index = output / f"index.{fmt}"
        with_ids = any(result.id is not None for _, result in results)
        index.write_text(_render(env, f"index.{fmt}.j2", kb=kb.manifest, cases=entries, exercise=exercise,
                                 with_ids=with_ids), encoding="utf-8")
        written.append(index)
    return written
