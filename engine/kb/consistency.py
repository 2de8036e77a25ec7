"""Warnings about a case's own facts: the ``check`` rules that hold for it.

A check rule (``kind: check``) states a contradiction between facts, or between a fact and the
as-of date: a stated unaccompanied child who was 36 on the filing date, a filing dated after the
as-of date. The answers still come from the rules; a warning tells the user which facts to look
at. Counterfactuals use the same checks to skip changes the other facts rule out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..language.record import FrozenRecord
from ..language.values import iso
from .model import Rule

WARNING_CODE = "W100"
OUTSIDE_CALENDAR_CODE = "W101"


class FactWarning(FrozenRecord):
    """One check that holds: where (the facts it read, by their path in the fact document) and why."""

    _fields = ("rule", "message", "facts", "hint", "code")
    rule: str
    message: str
    facts: dict[str, Any]
    hint: str
    code: str

    def __init__(self, rule: str, message: str, facts: dict[str, Any], hint: str = "",
                 code: str = WARNING_CODE) -> None:
        self.__dict__.update(rule=rule, message=message, facts=facts, hint=hint, code=code)

    def as_dict(self) -> dict[str, Any]:
        """JSON data; no file name, so a result depends only on the facts and the as-of date (batches compare equal)."""
        return {"code": self.code, "severity": "warning", "rule": self.rule, "message": self.message,
                "facts": iso(self.facts), "hint": self.hint}


def outside_calendar(rules: Mapping[str, Rule], found: Mapping[tuple[str, str], dict[str, Any]]) -> list[FactWarning]:
    """A warning for each date sum that ran past 9999-12-31 or before 0001-01-01: it has no value, so the
    answers that read it are undetermined although every fact they need is known."""
    out = []
    for (rule_id, text), facts in found.items():
        rule = rules[rule_id]
        where = f"{rule.file}:{rule.position.line}" if rule.position else rule.file
        out.append(FactWarning(
            rule_id, f"{text} (in {rule_id}, {where}) falls outside the calendar, years 1 to 9999: it has no value, "
            "so the rule is undetermined although the facts it reads are known", facts,
            "a date outside the calendar has no value (docs/engine.md, 'Dates outside the calendar'); check the "
            "facts' dates, or the rule's duration", OUTSIDE_CALENDAR_CODE))
    return out


def holding(check_ids: Iterable[str], values: Mapping[str, Any]) -> list[str]:
    """The ids of the check rules that hold, given every rule's value for a case."""
    return [rule_id for rule_id in check_ids if values.get(rule_id) is True]


def warnings(rules: Mapping[str, Rule], check_ids: Iterable[str], facts: Mapping[str, Any],
             values: Mapping[str, Any]) -> list[FactWarning]:
    """A warning for each check rule that holds, naming the facts it read and their values."""
    out = []
    for rule_id in holding(check_ids, values):
        rule = rules[rule_id]
        read = rule.when.reads("fact") if rule.when is not None else []
        located = {name: facts[name] for name in dict.fromkeys(read) if name in facts}
        out.append(FactWarning(rule.id, rule.title, located, rule.plain.strip()))
    return out
