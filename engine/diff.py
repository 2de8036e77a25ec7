"""What changes between two knowledge bases or two as-of dates: eras, rules, parameters, and case answers.

This is how an analyst sees the effect of a policy change before it ships: evaluate the same
cases on both sides and list every determination whose value differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .kb import KnowledgeBase
from .model import Rule
from .scenarios import collect, load_file, read_source
from .values import iso


@dataclass
class Side:
    kb: KnowledgeBase
    as_of: date | None  # None: each case's own as-of date
    label: str


@dataclass
class Case:
    name: str
    facts: dict[str, Any]
    as_of: date | None


def load_cases(paths: list[Path]) -> list[Case]:
    """Scenario files (their cases) and fact documents (one case each, named by the file)."""
    cases = []
    for path in collect(paths):
        source = read_source(path)
        if isinstance(source.data, dict) and "cases" in source.data:
            cases += [Case(f"{path.stem}: {s.name}", s.facts, s.as_of) for s in load_file(path)]
        elif isinstance(source.data, dict):
            facts = dict(source.data)
            as_of = facts.pop("as_of", None)
            cases.append(Case(path.stem, facts, date.fromisoformat(as_of) if as_of else None))
    return cases


def _rule_text(rule: Rule) -> tuple[Any, ...]:
    return (rule.kind, rule.when_text, rule.value_text, rule.otherwise_text, rule.defeats, rule.effective_from,
            rule.effective_to, rule.confidence)


def _day(side: Side) -> date:
    return side.as_of or date.today()


def compare(a: Side, b: Side, cases: list[Case]) -> dict[str, Any]:
    """The differences as plain data (docs/analyst-tools.md describes each key)."""
    out: dict[str, Any] = {"a": {"label": a.label, "as_of": iso(a.as_of), "kb_version": a.kb.manifest.version},
                           "b": {"label": b.label, "as_of": iso(b.as_of), "kb_version": b.kb.manifest.version}}
    eras_a = [e.id for e in a.kb.eras_at(_day(a))]
    eras_b = [e.id for e in b.kb.eras_at(_day(b))]
    out["eras"] = {"a": eras_a, "b": eras_b} if eras_a != eras_b else {}
    out["rules"] = _rules(a, b)
    out["parameters"] = _parameters(a, b)
    out["cases"] = _cases(a, b, cases)
    return out


def _rules(a: Side, b: Side) -> dict[str, list[str]]:
    ids_a, ids_b = set(a.kb.rules), set(b.kb.rules)
    both = sorted(ids_a & ids_b)
    return {
        "added": sorted(ids_b - ids_a),
        "removed": sorted(ids_a - ids_b),
        "changed": [r for r in both if _rule_text(a.kb.rules[r]) != _rule_text(b.kb.rules[r])],
        "in_force_only_in_a": [r for r in both if a.kb.rules[r].in_force(_day(a)) and not b.kb.rules[r].in_force(_day(b))],
        "in_force_only_in_b": [r for r in both if b.kb.rules[r].in_force(_day(b)) and not a.kb.rules[r].in_force(_day(a))],
    }


def _parameters(a: Side, b: Side) -> list[dict[str, Any]]:
    out = []
    for pid in sorted(set(a.kb.parameters) | set(b.kb.parameters)):
        value_a = a.kb.parameters[pid].value_at(_day(a)) if pid in a.kb.parameters else None
        value_b = b.kb.parameters[pid].value_at(_day(b)) if pid in b.kb.parameters else None
        shown_a = iso(value_a.value) if value_a else None
        shown_b = iso(value_b.value) if value_b else None
        if shown_a != shown_b or (pid in a.kb.parameters) != (pid in b.kb.parameters):
            out.append({"parameter": pid, "a": shown_a, "b": shown_b,
                        "a_from": iso(value_a.start) if value_a else None, "b_from": iso(value_b.start) if value_b else None})
    return out


def _cases(a: Side, b: Side, cases: list[Case]) -> list[dict[str, Any]]:
    out = []
    for case in cases:
        result_a = a.kb.evaluate(case.facts, as_of=a.as_of or case.as_of, source=case.name)
        result_b = b.kb.evaluate(case.facts, as_of=b.as_of or case.as_of, source=case.name)
        ids = [r.id for r in b.kb.determinations if r.id in a.kb.rules]
        changes = [{"determination": rid, "a": iso(result_a.value(rid)), "b": iso(result_b.value(rid))}
                   for rid in ids if result_a.value(rid) != result_b.value(rid)]
        if changes:
            out.append({"case": case.name, "changes": changes})
    return out


def render(report: dict[str, Any]) -> str:
    a, b = report["a"], report["b"]
    lines = [f"A: {a['label']} (knowledge base {a['kb_version']}, as of {a['as_of'] or 'each case'})",
             f"B: {b['label']} (knowledge base {b['kb_version']}, as of {b['as_of'] or 'each case'})", ""]
    if report["eras"]:
        lines += ["Eras in force:", f"  A: {', '.join(report['eras']['a'])}", f"  B: {', '.join(report['eras']['b'])}", ""]
    rule_lines = [f"  {kind.replace('_', ' ')}: {', '.join(ids)}" for kind, ids in report["rules"].items() if ids]
    lines += ["Rules:", *(rule_lines or ["  no differences"]), ""]
    lines.append("Parameters:")
    lines += [f"  {p['parameter']}: {_dated(p['a'], p['a_from'])} → {_dated(p['b'], p['b_from'])}"
              for p in report["parameters"]] or ["  no differences"]
    lines += ["", f"Cases whose answers change: {len(report['cases'])}"]
    for case in report["cases"]:
        lines.append(f"  {case['case']}")
        lines += [f"    {c['determination']}: {_shown(c['a'])} → {_shown(c['b'])}" for c in case["changes"]]
    return "\n".join(lines) + "\n"


def _dated(value: Any, start: str | None) -> str:
    return "no value" if start is None else f"{value} (from {start})"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"{item['name']}: {item['value']}" for item in value) or "(none)"
    return "—" if value is None else str(value)
