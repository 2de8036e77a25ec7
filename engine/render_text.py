"""Render a result as readable text for the terminal: determinations, then (with --explain) proof trees."""

from __future__ import annotations

from typing import Any

from .kb import Result

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


def render(result: Result, explain: bool = False) -> str:
    data = result.to_dict(explain=explain)
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
    for warning in data.get("warnings", []):
        where = ", ".join(f"{name} = {_value(value)}" for name, value in warning["facts"].items())
        lines += ["", f"{result.source}: warning {warning['code']} [{warning['rule']}]: {warning['message']}",
                  f"  facts: {where}"]
    if data["facts_needed"]:
        lines += ["", "Facts still needed (most decisive first):"]
        lines += [f"  - {fact}" for fact in data["facts_needed"]]
    if explain:
        for rule_id, tree in data["explanations"].items():
            lines += ["", f"Why {rule_id} = {_value(data['determinations'][rule_id]['value'])}:"]
            lines += _tree(tree, "  ")
    lines += ["", data["disclaimer"]]
    return "\n".join(lines) + "\n"


def _tree(node: dict[str, Any], indent: str) -> list[str]:
    status = _STATUS_WORDS.get(node["status"], node["status"])
    if node.get("see_above"):
        return [f"{indent}• {node['title']} [{node['rule']}]: (see above)"]
    value = node.get("value")
    if node["kind"] not in ("criterion", "bar", "exception") and node["status"] in ("fired", "not_fired"):
        status = "(see items)" if isinstance(value, list) else f"= {_value(value)}"
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
    for child in node.get("because", []):
        if child.get("status") == "not_in_force":
            continue
        lines += _tree(child, indent + "  ")
    return lines


def _reason(reason: dict[str, Any], indent: str) -> str:
    facts = ", ".join(f"{k} = {_value(v)}" for k, v in reason["facts"].items() if k != reason["condition"])
    return f"{indent}{reason['condition']} → {_value(reason['value'])}" + (f"   ({facts})" if facts else "")
