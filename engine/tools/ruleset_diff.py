"""Everything that differs between two knowledge bases across the whole timeline, with the date each change takes effect.

Comparing two folders at one date misses a change dated in the future (a new fee from next year),
so this compares the definitions themselves: every dated parameter value, every era and its bounds,
every rule's logic, dates, exceptions, citations and confidence, and the facts catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..kb.factspec import FactSpec
from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Era, Parameter, ParameterValue, Rule
from ..language.values import iso

_RULE_FIELDS = ("title", "kind", "when", "value", "otherwise", "for_each", "effective_from", "effective_to", "era",
                "defeats", "exceptions", "citations", "confidence", "decided_by", "rulings", "plain", "notes")
_DATE_FIELDS = ("effective_from", "effective_to")


def compare_timelines(a: KnowledgeBase, b: KnowledgeBase) -> dict[str, Any]:
    """Differences as plain data; each entry has ``effective``: the first day it can change an answer (None: always)."""
    return {
        "manifest": _fields(_manifest(a), _manifest(b)),
        "eras": _eras(a.eras, b.eras),
        "parameters": _parameters(a.parameters, b.parameters),
        "rules": _rules(a.rules, b.rules),
        "facts": _facts(a.catalog.facts, b.catalog.facts),
    }


def change_dates(timeline: dict[str, Any]) -> list[str]:
    """The dates on which some change takes effect, in order."""
    found = {entry["effective"] for key in ("eras", "parameters", "rules") for entry in timeline[key]}
    return sorted(day for day in found if day is not None)


def has_differences(timeline: dict[str, Any]) -> bool:
    return any(timeline[key] for key in ("manifest", "eras", "parameters", "rules", "facts"))


def _fields(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose values differ, each with both sides."""
    return {name: {"a": a.get(name), "b": b.get(name)} for name in dict.fromkeys([*a, *b]) if a.get(name) != b.get(name)}


def _earliest(days: Iterable[str | None]) -> str | None:
    known = [day for day in days if day is not None]
    return min(known) if known else None


def _manifest(kb: KnowledgeBase) -> dict[str, Any]:
    return {"id": kb.manifest.id, "version": kb.manifest.version, "date": kb.manifest.date}


def _ruling_dates(fields: dict[str, Any]) -> list[str]:
    """The dates of the rulings added, removed or changed: a ruling changes answers from its own date."""
    if "rulings" not in fields:
        return []
    a, b = set(fields["rulings"]["a"] or []), set(fields["rulings"]["b"] or [])
    return [text.split(" ", 1)[0] for text in sorted(a ^ b)]


def _era(era: Era) -> dict[str, Any]:
    return {"title": era.title, "timeline": era.timeline, "from": iso(era.start), "to": iso(era.end),
            "citations": [c.text() for c in era.citations], "confidence": era.confidence,
            "rulings": [f"{iso(r.day)} {r.text()}" for r in era.rulings]}


def _eras(a: list[Era], b: list[Era]) -> list[dict[str, Any]]:
    old, new = {e.id: _era(e) for e in a}, {e.id: _era(e) for e in b}
    out = []
    for era_id in sorted(old.keys() | new.keys()):
        if era_id not in new:
            out.append({"era": era_id, "change": "removed", "effective": old[era_id]["from"], "a": old[era_id], "b": None})
        elif era_id not in old:
            out.append({"era": era_id, "change": "added", "effective": new[era_id]["from"], "a": None, "b": new[era_id]})
        elif fields := _fields(old[era_id], new[era_id]):
            bounds = [side for name in ("from", "to") if name in fields for side in fields[name].values()]
            bounds += _ruling_dates(fields)
            out.append({"era": era_id, "change": "changed", "fields": fields,
                        "effective": _earliest(bounds) if bounds else new[era_id]["from"]})
    return out


def _entry(value: ParameterValue | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"from": iso(value.start), "value": iso(value.value), "confidence": value.confidence,
            "citations": [c.text() for c in value.citations], "notes": value.notes}


def _parameter(parameter: Parameter) -> dict[str, Any]:
    return {"title": parameter.title, "type": parameter.kind, "unit": parameter.unit,
            "description": parameter.description, "introduced_by": parameter.introduced_by,
            "citations": [c.text() for c in parameter.citations], "confidence": parameter.confidence}


def _parameters(a: dict[str, Parameter], b: dict[str, Parameter]) -> list[dict[str, Any]]:
    out = []
    for pid in sorted(a.keys() | b.keys()):
        old, new = a.get(pid), b.get(pid)
        if old is None or new is None:
            present = new or old
            assert present is not None
            out.append({"parameter": pid, "change": "added" if old is None else "removed",
                        "effective": iso(present.values[0].start) if present.values else None,
                        "values": [_entry(v) for v in present.values]})
            continue
        if fields := _fields(_parameter(old), _parameter(new)):
            out.append({"parameter": pid, "change": "definition", "effective": None, "fields": fields})
        out += _value_changes(pid, old, new)
    return out


def _value_changes(pid: str, old: Parameter, new: Parameter) -> list[dict[str, Any]]:
    """Walk both histories date by date: where the value in force differs, or the sources of an equal value do.

    Each change lasts ``until`` the next date on which either side has a new value (None: open-ended).
    """
    out = []
    starts = sorted({v.start for v in old.values} | {v.start for v in new.values})
    for index, day in enumerate(starts):
        was, becomes = _entry(old.value_at(day)), _entry(new.value_at(day))
        change = {"parameter": pid, "change": "value", "effective": iso(day),
                  "until": iso(starts[index + 1]) if index + 1 < len(starts) else None,
                  "a": (was or {}).get("value"), "b": (becomes or {}).get("value"),
                  "a_from": (was or {}).get("from"), "b_from": (becomes or {}).get("from")}
        if was is None or becomes is None or change["a"] != change["b"]:
            out.append(change)
            continue
        fields = {name: both for name, both in _fields(was, becomes).items() if name != "from"}
        if fields:
            out.append({**change, "change": "value sources", "fields": fields})
    return out


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "title": rule.title, "kind": rule.kind, "when": rule.when_text, "value": rule.value_text,
        "otherwise": rule.otherwise_text, "for_each": rule.for_each, "effective_from": iso(rule.effective_from),
        "effective_to": iso(rule.effective_to), "era": rule.era, "defeats": sorted(rule.defeats),
        "exceptions": sorted(rule.defeated_by), "citations": [c.text() for c in rule.citations],
        "confidence": rule.confidence, "decided_by": [d.as_dict() for d in rule.decided_by],
        "rulings": [f"{iso(r.day)} {r.text()}" for r in rule.rulings], "plain": rule.plain, "notes": rule.notes,
    }


def _rules(a: dict[str, Rule], b: dict[str, Rule]) -> list[dict[str, Any]]:
    out = []
    for rule_id in sorted(a.keys() | b.keys()):
        if rule_id not in b:
            out.append({"rule": rule_id, "change": "removed", "effective": iso(a[rule_id].effective_from)})
        elif rule_id not in a:
            out.append({"rule": rule_id, "change": "added", "effective": iso(b[rule_id].effective_from)})
        elif fields := _fields(_rule(a[rule_id]), _rule(b[rule_id])):
            dates = [side for name in _DATE_FIELDS if name in fields for side in fields[name].values()]
            dates += _ruling_dates(fields)
            effective = _earliest(dates) if dates else iso(b[rule_id].effective_from)
            out.append({"rule": rule_id, "change": "changed", "effective": effective,
                        "fields": {name: fields[name] for name in _RULE_FIELDS if name in fields}})
    return out


def describe_type(spec: FactSpec) -> str:
    """A fact's type in words, detailed enough that any change of what it accepts shows."""
    if spec.kind == "enum":
        return "one of " + ", ".join(spec.values)
    if spec.kind == "list" and spec.items is not None:
        return f"list of {describe_type(spec.items)}"
    if spec.kind == "record":
        return "record {" + ", ".join(f"{f.name}: {describe_type(f)}" for f in spec.fields) + "}"
    bounds = "" if spec.minimum is None and spec.maximum is None else f" ({spec.minimum} to {spec.maximum})"
    return spec.kind + bounds


def _facts(a: dict[str, FactSpec], b: dict[str, FactSpec]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(a.keys() | b.keys()):
        old = describe_type(a[name]) if name in a else None
        new = describe_type(b[name]) if name in b else None
        if old != new:
            change = "added" if old is None else "removed" if new is None else "retyped"
            out.append({"fact": name, "change": change, "a": old, "b": new})
    return out
