"""Render a result as readable text for the terminal: determinations, then (with --explain) proof trees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kb.knowledge_base import Result
from ..language.diagnostics import Position

Locator = Callable[[str], Position | None]

_STATUS_WORDS = {
    "fired": "applies",
    "not_fired": "does not apply",
    "defeated": "defeated",
    "undetermined": "undetermined",
    "not_in_force": "not in force",
}


def _value(value: Any) -> str:
    if isinstance(value, list):
        if all(isinstance(item, dict) and {"name", "value"} <= item.keys() for item in value):
            return ", ".join(f"{item['name']}: {item['value']}" for item in value) or "(none)"
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(result: Result, explain: bool = False, only: list[str] | tuple[str, ...] | None = None,
           locate: Locator | None = None) -> str:
    """The result for the terminal; ``locate`` (a fact path to its place in the facts file) places warnings there."""
    data = result.to_dict(explain=explain, only=only)
    lines = [
        f"asylum-kb {data['kb']['id']} {data['kb_version']} · as of {data['as_of']} · eras: {', '.join(data['eras']) or '—'}",
        "",
    ]
    width = max(len(rule_id) for rule_id in data["determinations"])
    for rule_id, determination in data["determinations"].items():
        flag = "  [unverified rule involved]" if determination.get("unverified_rules") else ""
        shown = _value(determination["value"])
        if determination["value"] is None:
            shown = determination["status"].replace("_", " ")  # undetermined, not applicable, not in force
        lines.append(f"  {rule_id:<{width}}  {shown}{flag}")
        if determination.get("decided_by"):
            lines.append(f"  {'':<{width}}    {_deciders(determination['decided_by'])}")
    if data.get("rulings"):
        lines += ["", "Court rulings (decided by the as-of date):", *_rulings_summary(data["rulings"])]
    for warning in data.get("warnings", []):
        lines += ["", *_warning(warning, result.source, locate)]
    if data["facts_needed"]:
        lines += ["", "Facts still needed (most decisive first):"]
        lines += [f"  - {fact}" for fact in data["facts_needed"]]
    if explain:
        for rule_id, tree in data["explanations"].items():
            lines += ["", f"Why {rule_id} = {_value(data['determinations'][rule_id]['value'])}:"]
            lines += _tree(tree, "  ")
    lines += ["", data["disclaimer"]]
    return "\n".join(lines) + "\n"


def _warning(warning: dict[str, Any], source: str, locate: Locator | None) -> list[str]:
    """'file:line:column: warning W100 [rule]: message' at the first fact it names, then each fact where it is."""
    places = {name: locate(name) if locate else None for name in warning["facts"]}
    first = next((position for position in places.values() if position is not None), None)
    head = f"{source}:{first.line}:{first.column}" if first else source
    lines = [f"{head}: warning {warning['code']} [{warning['rule']}]: {warning['message']}", "  facts:"]
    for name, value in warning["facts"].items():
        position = places[name]
        where = f"  ({source}:{position.line}:{position.column})" if position else ""
        lines.append(f"    {name} = {_value(value)}{where}")
    return lines


def _deciders(entries: list[dict[str, Any]]) -> str:
    """'decided by: X', or the authorities that could still decide while that depends on an open answer."""
    names = [entry["authority"] for entry in entries]
    if all(entry["settled"] for entry in entries):
        return "decided by: " + "; ".join(names)
    return "decided by (depends on answers still open): " + "; or ".join(names)


def _tree(node: dict[str, Any], indent: str) -> list[str]:
    status = _STATUS_WORDS.get(node["status"], node["status"])
    if node.get("see_above"):
        return [f"{indent}• {node['title']} [{node['rule']}]: (see above)"]
    value = node.get("value")
    if node["kind"] not in ("criterion", "bar", "exception") and node["status"] in ("fired", "not_fired"):
        status = "(see items)" if isinstance(value, list) else f"= {_value(value)}"
    if node.get("set_aside_by"):
        status += f" (set aside by {', '.join(node['set_aside_by'])})"
    head = f"{indent}• {node['title']} [{node['rule']}]: {status}"
    if node.get("confidence") == "unverified":
        head += "  ⚠ unverified"
    lines = [head]
    lines += [_reason(reason, indent + "    ") for reason in node.get("reasons", [])]
    if node.get("defeated_by"):
        lines.append(f"{indent}    defeated by: {', '.join(node['defeated_by'])}")
    if node.get("facts_needed"):
        lines.append(f"{indent}    waiting for: {', '.join(node['facts_needed'])}")
    for item in node.get("items", []):
        lines.append(f"{indent}    – {item['label']}: {_value(item['value'])}")
        lines += [_reason(reason, indent + "        ") for reason in item.get("reasons", [])]
    if node.get("citations"):
        lines.append(f"{indent}    sources: {'; '.join(node['citations'])}")
    lines += [f"{indent}    ruling: {ruling_line(r)}" for r in node.get("rulings", [])]
    for child in node.get("because", []):
        if child.get("status") == "not_in_force" and not child.get("set_aside_by"):
            continue
        lines += _tree(child, indent + "  ")
    return lines


def _rulings_summary(rulings: list[dict[str, Any]]) -> list[str]:
    """One line per ruling, naming every rule and era it bears on (a ruling often bears on both)."""
    subjects: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for ruling in rulings:
        key = (ruling["case"], ruling["date"])
        subjects.setdefault(key, []).append(ruling.get("rule") or ruling["era"])
        first.setdefault(key, ruling)
    return [f"  - {ruling_line(r, sources=False)}  [{', '.join(subjects[key])}]" for key, r in first.items()]


def ruling_line(ruling: dict[str, Any], sources: bool = True) -> str:
    """A court ruling in one line: case, court and date, effect, appeal status, whether it holds today."""
    status = {"under_appeal": "under appeal", "ruling_stayed": "the ruling itself was stayed",
              "reversed": "reversed", "in_effect": "no appeal recorded"}[ruling["status"]]
    until = f" until {ruling['until']}" if ruling.get("until") else ""
    held = "applies on the as-of date" if ruling["in_effect"] else "does not apply on the as-of date"
    line = f"{ruling['case']} ({ruling['court']}, {ruling['date']}): {ruling['effect']}{until}; {status}; {held}"
    return line + (f" · {'; '.join(ruling['citations'])}" if sources else "")


def _reason(reason: dict[str, Any], indent: str) -> str:
    facts = ", ".join(f"{k} = {_value(v)}" for k, v in reason["facts"].items() if k != reason["condition"])
    return f"{indent}{reason['condition']} → {_value(reason['value'])}" + (f"   ({facts})" if facts else "")
