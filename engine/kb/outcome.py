"""The outcome of a case in words: each determination's main reason, read from its proof tree, and who decides it.

A trainer needs the answer first ("not eligible: the one-year deadline was missed and no exception
applies"), so the reason is the most specific one the proof shows: the bars that apply, else the
criteria not met, else the bars an exception defeated. Who decides comes from the rules' own
``decided_by`` entries; nothing here knows the law.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .model import Authority, Rule

_CONDITIONS = ("criterion", "bar", "exception")


def main_reason(tree: dict[str, Any], rules: dict[str, Rule], facts_needed: list[str], general: bool = True) -> str:
    """One clause saying why a determination has its value ('' when its value speaks for itself).

    ``general``: also say "every criterion is met" where nothing more specific applies; that fits an
    eligibility, not a value such as a deadline that was met.
    """
    if facts_needed:
        return "waiting for " + ", ".join(facts_needed[:3]) + (" and more" if len(facts_needed) > 3 else "")
    # An answer that is not an eligibility (a deadline, a list of derivatives) is explained only by the bars
    # it reads itself, not by those deep inside the eligibility it depends on.
    bars = list(_bars(tree)) if general else [node for node in tree.get("because", [])
                                               if node.get("kind") == "bar" and not node.get("see_above")]
    fired = [node for node in bars if node["status"] == "fired"]
    if fired:
        return "; ".join(_applies(node, rules) for node in fired)
    # A criterion not met explains an eligibility that failed; in a chain of `if` branches (a deadline's
    # value, say) the false conditions are only the branches not taken, so they explain nothing.
    unmet = _criteria_not_met(tree) if general and tree.get("value") != "eligible" else []
    if unmet:
        return "not met: " + "; ".join(node["title"] for node in unmet)
    defeated = [node for node in bars if node["status"] == "defeated"]
    if defeated:
        return "; ".join(f"{node['title']}, but an exception applies: "
                         + ", ".join(rules[e].title for e in node.get("defeated_by", [])) for node in defeated)
    if not general:
        return ""
    if any(True for _ in _bars(tree)):
        return "every criterion is met and no bar applies"
    if any(node.get("kind") == "criterion" for node in _walk(tree, stop=())):
        return "every criterion is met"
    return ""


def _applies(node: dict[str, Any], rules: dict[str, Rule]) -> str:
    exceptions = rules[node["rule"]].defeated_by
    return str(node["title"]) + (", no exception applies" if exceptions else "")


def _walk(node: dict[str, Any], stop: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Every node below ``node`` with details, not descending into nodes of the ``stop`` kinds."""
    for child in node.get("because", []):
        if child.get("see_above") or child.get("status") == "not_in_force":
            continue
        yield child
        if child.get("kind") not in stop:
            yield from _walk(child, stop)


def _bars(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The bars a determination reads, however deep, but not the conditions inside a bar."""
    return (node for node in _walk(tree, stop=_CONDITIONS[1:]) if node.get("kind") == "bar")


def _criteria_not_met(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The most specific criteria not met: those whose own criteria were all met (outside bars and exceptions)."""
    unmet = [node for node in _walk(tree, stop=_CONDITIONS[1:]) if node.get("kind") == "criterion"
             and node["status"] == "not_fired"]
    return [node for node in unmet
            if not any(inner.get("kind") == "criterion" and inner["status"] == "not_fired"
                       for inner in _walk(node, stop=_CONDITIONS[1:]))]


def deciding(rule: Rule, values: dict[str, Any], undetermined: set[str]) -> tuple[list[Authority], bool]:
    """The ``decided_by`` entries that hold, and whether that is settled: ``values`` are the determined values of
    the determinations the entries read, ``undetermined`` those still waiting for facts.

    While a value an entry depends on is still undetermined, every entry that could still hold is
    returned, with ``False``: the report then names them as alternatives. A determination settled without a
    value (not applicable, not in force) matches no entry: nobody decides.
    """
    holding = [entry for entry in rule.decided_by if entry.holds(values)]
    if holding:
        return holding, True
    open_entries = [entry for entry in rule.decided_by
                    if all(target in undetermined or values.get(target) == value for target, value in entry.where)]
    return open_entries, not open_entries
