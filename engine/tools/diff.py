"""What changes between two knowledge bases or two as-of dates: eras, rules, parameters, facts, and case answers.

This is how an analyst reviews a policy change before it ships. Two rule folders are compared over
their whole timelines (ruleset_diff), and cases are evaluated on both sides at every date on which a
change takes effect; two dates on one knowledge base compare what is in force on each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..kb.factsio import FactDocument, Keys, located
from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Rule
from ..kb.yamlsource import SourceFile
from ..language.diagnostics import Diagnostic, FactsError, Position
from ..language.values import iso, iso_date
from . import ruleset_diff
from .scenarios import collect, load_file, read_source

FACTS_ACCEPTED = "(the case's facts)"  # the pseudo-determination of a case one side accepts and the other rejects


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
    file: str = ""  # where the facts were read, for located errors
    locate: Callable[[Keys], Position | None] = field(default=lambda _keys: None, repr=False)


def load_cases(paths: list[Path]) -> list[Case]:
    """Scenario files (their cases) and fact documents (one case each, named by the file)."""
    cases = []
    for path in collect(paths):
        source = read_source(path)
        if isinstance(source.data, dict) and "cases" in source.data:
            # load_file returns every case of the file, in order, or raises for the file
            cases += [Case(f"{path.stem}: {s.name}", s.facts, s.as_of, str(path), _case_locator(source, index))
                      for index, s in enumerate(load_file(path))]
        elif isinstance(source.data, dict):
            facts = dict(source.data)
            as_of = facts.pop("as_of", None)
            cases.append(Case(path.stem, facts, _as_of(as_of, source, str(path)), str(path), source.position))
    return cases


def _case_locator(source: SourceFile, index: int) -> Callable[[Keys], Position | None]:
    """Where a scenario case's fact sits: under the case's ``facts``, or at the case when it came from elsewhere."""
    return lambda keys: source.position(("cases", index, "facts", *keys))


def _as_of(value: Any, source: SourceFile, file: str) -> date | None:
    """A fact file's own ``as_of``; one that is not a calendar date is a located F301."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return iso_date(str(value))
    except ValueError:
        raise FactsError([Diagnostic("F301", f"as_of must be a date (YYYY-MM-DD), not {str(value)[:40]!r}", file=file,
                                     position=source.position(("as_of",)))]) from None


def _located(error: FactsError, case: Case) -> FactsError:
    return located(error, FactDocument(case.facts, case.file or case.name, case.locate))


def differs(report: dict[str, Any]) -> bool:
    """Whether anything at all differs (for --exit-code)."""
    if report["mode"] == "rules":
        return ruleset_diff.has_differences(report["timeline"]) or bool(report["cases"])
    return bool(report["eras"] or any(report["rules"].values()) or report["parameters"] or report["cases"])


def compare(a: Side, b: Side, cases: list[Case]) -> dict[str, Any]:
    """The differences as plain data (docs/analyst-tools.md describes each key)."""
    out: dict[str, Any] = {"a": _side(a), "b": _side(b)}
    if a.kb is not b.kb:
        out["mode"] = "rules"
        out["timeline"] = ruleset_diff.compare_timelines(a.kb, b.kb)
        out["change_dates"] = ruleset_diff.change_dates(out["timeline"])
        fixed = a.as_of or b.as_of
        if fixed:
            out["cases"] = _cases_on_dates(a.kb, b.kb, cases, [fixed], own_dates=False)
        else:
            out["cases"] = _cases_on_dates(a.kb, b.kb, cases, [date.fromisoformat(d) for d in out["change_dates"]])
    else:
        out["mode"] = "dates"
        eras_a = [e.id for e in a.kb.eras_at(_day(a))]
        eras_b = [e.id for e in b.kb.eras_at(_day(b))]
        out["eras"] = {"a": eras_a, "b": eras_b} if eras_a != eras_b else {}
        out["rules"] = _rules_in_force(a, b)
        out["parameters"] = _parameters_in_force(a, b)
        out["cases"] = _cases(a, b, cases)
    out["differs"] = differs(out)
    return out


def _side(side: Side) -> dict[str, Any]:
    return {"label": side.label, "as_of": iso(side.as_of), "kb_version": side.kb.manifest.version}


def _day(side: Side) -> date:
    return side.as_of or date.today()


def _rule_text(rule: Rule) -> tuple[Any, ...]:
    return (rule.kind, rule.when_text, rule.value_text, rule.otherwise_text, rule.defeats, rule.effective_from,
            rule.effective_to, rule.confidence, rule.rulings)


def _rules_in_force(a: Side, b: Side) -> dict[str, list[str]]:
    ids_a, ids_b = set(a.kb.rules), set(b.kb.rules)
    both = sorted(ids_a & ids_b)
    return {
        "added": sorted(ids_b - ids_a),
        "removed": sorted(ids_a - ids_b),
        "changed": [r for r in both if _rule_text(a.kb.rules[r]) != _rule_text(b.kb.rules[r])],
        "in_force_only_in_a": [r for r in both if a.kb.rules[r].in_force(_day(a)) and not b.kb.rules[r].in_force(_day(b))],
        "in_force_only_in_b": [r for r in both if b.kb.rules[r].in_force(_day(b)) and not a.kb.rules[r].in_force(_day(a))],
    }


def _parameters_in_force(a: Side, b: Side) -> list[dict[str, Any]]:
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
    """Each case once, on each side's date (or the case's own)."""
    out = []
    for case in cases:
        changes = _changes(a.kb, b.kb, case, a.as_of or case.as_of, b.as_of or case.as_of)
        if changes:
            out.append({"case": case.name, "changes": changes})
    return out


def _cases_on_dates(kb_a: KnowledgeBase, kb_b: KnowledgeBase, cases: list[Case], dates: list[date],
                    own_dates: bool = True) -> list[dict[str, Any]]:
    """Each case on both sides at every given date (and its own as-of date): where do the answers part?"""
    out = []
    for case in cases:
        days = sorted({*dates, case.as_of or date.today()} if own_dates else set(dates))
        found = [{"as_of": day.isoformat(), "changes": changes} for day in days
                 if (changes := _changes(kb_a, kb_b, case, day, day))]
        if found:
            out.append({"case": case.name, "dates": found})
    return out


def _changes(kb_a: KnowledgeBase, kb_b: KnowledgeBase, case: Case, day_a: date | None,
             day_b: date | None) -> list[dict[str, Any]]:
    try:
        result_a = kb_a.evaluate(case.facts, as_of=day_a, source=case.name)
    except FactsError as error:
        try:
            kb_b.evaluate(case.facts, as_of=day_b, source=case.name)
        except FactsError as both:  # bad on both sides: the case itself is wrong
            raise _located(both, case) from None
        return [{"determination": FACTS_ACCEPTED, "a": _rejected(error), "b": "accepted"}]
    try:
        result_b = kb_b.evaluate(case.facts, as_of=day_b, source=case.name)
    except FactsError as error:  # B removed or retyped a fact the case gives
        return [{"determination": FACTS_ACCEPTED, "a": "accepted", "b": _rejected(error)}]
    ids = [r.id for r in kb_b.determinations if r.id in kb_a.rules and kb_a.rules[r.id].determination]
    return [{"determination": rid, "a": iso(result_a.value(rid)), "b": iso(result_b.value(rid))}
            for rid in ids if result_a.value(rid) != result_b.value(rid)]


def _rejected(error: FactsError) -> str:
    first = error.diagnostics[0]
    return f"rejected: {first.code} {first.message}"


def render(report: dict[str, Any]) -> str:
    """The report as text for a terminal or a review comment."""
    a, b = report["a"], report["b"]
    if report["mode"] == "rules":
        lines = [f"A: {a['label']} (knowledge base {a['kb_version']})",
                 f"B: {b['label']} (knowledge base {b['kb_version']})", ""]
        lines += _render_timeline(report["timeline"])
        when = f"as of {a['as_of'] or b['as_of']}" if (a["as_of"] or b["as_of"]) else \
            "at each change date and each case's own as-of date"
    else:
        lines = [f"A: {a['label']} (knowledge base {a['kb_version']}, as of {a['as_of'] or 'each case'})",
                 f"B: {b['label']} (knowledge base {b['kb_version']}, as of {b['as_of'] or 'each case'})", ""]
        lines += _render_in_force(report)
        when = ""
    lines.append(f"Cases whose answers change{f' ({when})' if when else ''}: {len(report['cases'])}")
    for case in report["cases"]:
        for entry in case.get("dates", []):
            lines.append(f"  {case['case']}" + (f", as of {entry['as_of']}" if report["mode"] == "rules" else ""))
            lines += [f"    {c['determination']}: {_shown(c['a'])} → {_shown(c['b'])}" for c in entry["changes"]]
        if "changes" in case:
            lines.append(f"  {case['case']}")
            lines += [f"    {c['determination']}: {_shown(c['a'])} → {_shown(c['b'])}" for c in case["changes"]]
    return "\n".join(lines) + "\n"


def _render_in_force(report: dict[str, Any]) -> list[str]:
    lines = []
    if report["eras"]:
        lines += ["Eras in force:", f"  A: {', '.join(report['eras']['a'])}", f"  B: {', '.join(report['eras']['b'])}", ""]
    rule_lines = [f"  {kind.replace('_', ' ')}: {', '.join(ids)}" for kind, ids in report["rules"].items() if ids]
    lines += ["Rules:", *(rule_lines or ["  no differences"]), ""]
    lines.append("Parameters:")
    lines += [f"  {p['parameter']}: {_dated(p['a'], p['a_from'])} → {_dated(p['b'], p['b_from'])}"
              for p in report["parameters"]] or ["  no differences"]
    return lines + [""]


def _render_timeline(timeline: dict[str, Any]) -> list[str]:
    lines = []
    if timeline["manifest"]:
        lines += ["Knowledge base:", *_field_lines(timeline["manifest"], "  "), ""]
    sections = (("Parameters", "parameters", "parameter"), ("Eras", "eras", "era"), ("Rules", "rules", "rule"))
    for title, key, name in sections:
        lines.append(f"{title}:")
        entries = timeline[key]
        for entry in entries:
            lines += _timeline_entry(entry, entry[name])
        lines += ([] if entries else ["  no differences"]) + [""]
    lines.append("Facts:")
    lines += [f"  {f['fact']}: {f['change']}" + (f" ({f['a']} → {f['b']})" if f["change"] == "retyped" else
                                                  f" ({f['a'] or f['b']})") for f in timeline["facts"]] or ["  no differences"]
    return lines + [""]


def _timeline_entry(entry: dict[str, Any], name: str) -> list[str]:
    since = f"from {entry['effective']}" if entry["effective"] else "on every date"
    if entry.get("until"):
        since += f" until {entry['until']}"
    change = entry["change"]
    if change == "value":
        return [f"  {name} {since}: {_dated(entry['a'], entry['a_from'])} → {_dated(entry['b'], entry['b_from'])}"]
    head = f"  {name}: {change}, {since}" if change != "value sources" else f"  {name} {since}: sources of the value {entry['b']}"
    lines = [head, *_field_lines(entry.get("fields", {}), "      ")]
    if entry.get("values"):  # a parameter added or removed: its whole history
        lines.append("      values: " + "; ".join(_dated(v["value"], v["from"]) for v in entry["values"]))
    era = entry.get("b") if change == "added" else entry.get("a") if change == "removed" else None
    if isinstance(era, dict):  # an era added or removed: its bounds
        lines.append(f"      {era['title']}: from {era['from']}" + (f" to {era['to']}" if era["to"] else ""))
    return lines


def _field_lines(fields: dict[str, dict[str, Any]], indent: str) -> list[str]:
    return [f"{indent}{name}: {_brief(change['a'])} → {_brief(change['b'])}" for name, change in fields.items()]


def _brief(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "(none)"
    if isinstance(value, list):
        return "; ".join(_brief(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_brief(v)}" for k, v in value.items())
    return " ".join(str(value).split())


def _dated(value: Any, start: str | None) -> str:
    return "no value" if start is None else f"{value} (from {start})"


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"{item['name']}: {item['value']}" for item in value) or "(none)"
    return "—" if value is None else str(value)
