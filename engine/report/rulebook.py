"""Generate the rulebook: the rule files rendered for reading, in Markdown and self-contained HTML.

The page data is built here; the templates in templates/rulebook/ only lay it out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Rule, Ruling
from ..language.values import iso

FORMATS = ("md", "html")


def _rule(kb: KnowledgeBase, rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id, "title": rule.title, "kind": rule.kind, "plain": rule.plain, "description": rule.description,
        "when": rule.when_text, "value": rule.value_text, "otherwise": rule.otherwise_text,
        "for_each": rule.for_each, "defeats": [(d, kb.rules[d].title, kb.rules[d].ruleset) for d in rule.defeats],
        "defeated_by": [(d, kb.rules[d].title, kb.rules[d].ruleset) for d in rule.defeated_by],
        "effective": _effective(rule), "confidence": rule.confidence, "notes": rule.notes,
        "citations": [c.text() + (f" — {c.notes}" if c.notes else "") for c in rule.citations],
        "urls": [c.url for c in rule.citations if c.url],
        "rulings": [ruling_text(r) for r in rule.rulings],
        "decided_by": [{"authority": a.authority, "where": ", ".join(f"{k} is {v}" for k, v in a.where),
                        "citations": "; ".join(c.text() for c in a.citations), "notes": a.notes} for a in rule.decided_by],
    }


def ruling_text(ruling: Ruling) -> str:
    """A ruling for the rulebook: what it did and its status, with its sources and notes."""
    sources = "; ".join(c.text() for c in ruling.citations)
    return f"{ruling.text()} · {sources}" + (f" — {ruling.notes.strip()}" if ruling.notes else "")


def _effective(rule: Rule) -> str:
    if rule.effective_from is None and rule.effective_to is None:
        return "always"
    start = f"from {rule.effective_from}" if rule.effective_from else ""
    end = f"until {rule.effective_to} (exclusive)" if rule.effective_to else ""
    return " ".join(p for p in (start, end) if p) + (f" (era {rule.era})" if rule.era else "")


def pages(kb: KnowledgeBase) -> dict[str, tuple[str, dict[str, Any]]]:
    """Page name → (template, context) for every page of the rulebook."""
    site: dict[str, Any] = {"kb": kb.manifest, "rulesets": sorted(kb.rulesets.values(), key=lambda r: r.id)}
    out: dict[str, tuple[str, dict[str, Any]]] = {"index": ("index", site)}
    for ruleset in site["rulesets"]:
        rules = [_rule(kb, kb.rules[r]) for r in ruleset.rules]
        out[ruleset.id] = ("ruleset", {**site, "ruleset": ruleset, "rules": rules})
    parameters = [{"id": p.id, "title": p.title, "kind": p.kind, "unit": p.unit, "description": p.description,
                   "citations": [c.text() for c in p.citations],
                   "values": [{"from": v.start.isoformat(), "value": iso(v.value), "citations": [c.text() for c in v.citations],
                               "confidence": v.confidence, "notes": v.notes} for v in p.values]}
                  for p in sorted(kb.parameters.values(), key=lambda p: p.id)]
    out["parameters"] = ("parameters", {**site, "parameters": parameters})
    timelines: dict[str, list[Any]] = {}
    for era in kb.eras:
        timelines.setdefault(era.timeline, []).append({"id": era.id, "title": era.title, "start": era.start,
                                                        "end": era.end, "citations": era.citations,
                                                        "rulings": [ruling_text(r) for r in era.rulings]})
    out["eras"] = ("eras", {**site, "timelines": timelines})
    return out


def render(kb: KnowledgeBase, fmt: str) -> dict[str, str]:
    """File name → text for every page in one format."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("asylum_kb", "templates/rulebook"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["page"] = lambda name: f"{name}.{fmt}"
    return {f"{name}.{fmt}": env.get_template(f"{template}.{fmt}.j2").render(**context, fmt=fmt)
            for name, (template, context) in pages(kb).items()}


def write(kb: KnowledgeBase, directory: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        for name, text in render(kb, fmt).items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
