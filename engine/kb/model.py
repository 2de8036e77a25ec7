"""The loaded knowledge base's parts: manifest, eras, parameters and rules, as plain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..language import types as t
from ..language.checker import Checked
from ..language.diagnostics import Position

BOOLEAN_KINDS = ("criterion", "bar", "exception", "check")
DETERMINATION_KINDS = ("outcome", "fee", "deadline")
DISCLAIMER = ("asylum-kb is an information and training aid, not legal advice. Eligibility depends on facts, "
              "evidence and discretion that no rule engine captures; consult a qualified immigration attorney "
              "or accredited representative.")


@dataclass(frozen=True)
class Citation:
    """A source a rule, era, parameter or ruling rests on: its name, section, date, link and notes."""

    source: str
    url: str | None = None
    section: str | None = None
    date: str | None = None
    notes: str | None = None

    @classmethod
    def parse(cls, raw: Any) -> Citation:
        if isinstance(raw, str):
            return cls(raw)
        return cls(raw["source"], raw.get("url"), raw.get("section"), raw.get("date"), raw.get("notes"))

    def text(self) -> str:
        parts = [self.source + (f", {self.section}" if self.section else "")]
        if self.date:
            parts.append(f"({self.date})")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


RULING_ENDING_EFFECTS = ("vacated", "enjoined", "stayed")
RULING_LIVE_STATUSES = ("in_effect", "under_appeal")


@dataclass(frozen=True)
class Ruling:
    """A court ruling on a rule or era, kept as a dated event so answers change on the decision date."""

    court: str
    case: str
    day: date
    effect: str  # vacated, enjoined, stayed (take the rule out of force); upheld, narrowed (shown only)
    status: str  # in_effect, under_appeal (the ruling has its effect); ruling_stayed, reversed (it has none)
    citations: tuple[Citation, ...]
    until: date | None = None
    notes: str = ""

    @property
    def suspends(self) -> bool:
        """Whether the ruling takes its rule out of force (from its date, until ``until``)."""
        return self.effect in RULING_ENDING_EFFECTS and self.status in RULING_LIVE_STATUSES

    def in_effect(self, day: date) -> bool:
        return self.suspends and self.day <= day and (self.until is None or day < self.until)

    def text(self) -> str:
        status = {"under_appeal": ", under appeal", "ruling_stayed": ", ruling stayed", "reversed": ", reversed"}
        until = f" until {self.until.isoformat()}" if self.until else ""
        return f"{self.case} ({self.court} {self.day.isoformat()}): {self.effect}{until}{status.get(self.status, '')}"

    def as_dict(self, as_of: date) -> dict[str, Any]:
        out: dict[str, Any] = {"case": self.case, "court": self.court, "date": self.day.isoformat(),
                               "effect": self.effect, "status": self.status,
                               "in_effect": self.in_effect(as_of), "decided": self.day <= as_of,
                               "citations": [c.text() for c in self.citations]}
        if self.until:
            out["until"] = self.until.isoformat()
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass(frozen=True)
class Authority:
    """Who decides a determination; ``where`` limits it to cases in which other determinations have these values.

    Which body decides is law (8 CFR 208.2, 208.16), so it lives in the rule files, not in code.
    """

    authority: str
    citations: tuple[Citation, ...]
    where: tuple[tuple[str, str], ...] = ()
    notes: str = ""

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> Authority:
        return cls(raw["authority"], tuple(Citation.parse(c) for c in raw["citations"]),
                   tuple(sorted(raw.get("where", {}).items())), raw.get("notes", ""))

    def holds(self, values: dict[str, Any]) -> bool:
        """Whether this entry applies, given reported determination values (an unknown value does not match)."""
        return all(values.get(rule_id) == value for rule_id, value in self.where)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"authority": self.authority, "citations": [c.text() for c in self.citations]}
        if self.where:
            out["where"] = dict(self.where)
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass(frozen=True)
class Manifest:
    """The knowledge base's identity (manifest.yaml): id, title, version, date and disclaimer."""

    id: str
    title: str
    version: str
    date: str
    description: str = ""
    disclaimer: str = DISCLAIMER


@dataclass(frozen=True)
class Era:
    """A period of one timeline: in force from ``start`` until ``end``, with its sources and any rulings on it."""

    id: str
    title: str
    timeline: str
    start: date
    end: date | None  # the first day no longer in force; None: still in force
    citations: tuple[Citation, ...]
    confidence: str = "confirmed"
    notes: str = ""
    rulings: tuple[Ruling, ...] = ()

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class ParameterValue:
    """One dated value of a parameter, in force from ``start`` until the next one starts."""

    start: date
    value: Any
    citations: tuple[Citation, ...]
    confidence: str = "confirmed"
    notes: str = ""


@dataclass(frozen=True)
class Parameter:
    """A value the law sets and changes over time (a fee, a deadline), as its dated values."""

    id: str
    title: str
    kind: str  # money, number, integer, duration, date, boolean, string
    unit: str
    description: str
    citations: tuple[Citation, ...]
    values: tuple[ParameterValue, ...]
    confidence: str = "confirmed"
    file: str = ""
    introduced_by: str | None = None

    @property
    def type(self) -> t.Type:
        return {"duration": t.DURATION, "date": t.DATE, "boolean": t.BOOLEAN, "string": t.STRING}.get(self.kind, t.NUMBER)

    def value_at(self, day: date) -> ParameterValue | None:
        current = None
        for entry in self.values:
            if entry.start <= day:
                current = entry
        return current


@dataclass
class Rule:
    """One rule as written in its file; the loader attaches its checked expressions and type."""

    id: str
    title: str
    kind: str
    ruleset: str
    file: str
    position: Position | None
    citations: tuple[Citation, ...]
    when_text: str | None = None
    value_text: str | None = None
    otherwise_text: str | None = None
    for_each: dict[str, str] | None = None
    defeats: tuple[str, ...] = ()
    effective_from: date | None = None
    effective_to: date | None = None
    era: str | None = None
    confidence: str = "confirmed"
    notes: str = ""
    plain: str = ""
    description: str = ""
    rulings: tuple[Ruling, ...] = ()
    decided_by: tuple[Authority, ...] = ()
    # Filled in by the loader after checking:
    when: Checked | None = None
    value: Checked | None = None
    otherwise: Checked | None = None
    items: Checked | None = None
    type: t.Type = t.ANY
    defeated_by: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)  # rules it reads, in first-use order

    @property
    def boolean(self) -> bool:
        return self.kind in BOOLEAN_KINDS

    @property
    def no_value(self) -> str | None:
        """How "no value" is reported: ``undetermined`` for a word (enum or string), else null."""
        return "undetermined" if self.type.kind in ("enum", "string") else None

    @property
    def determination(self) -> bool:
        return self.kind in DETERMINATION_KINDS

    @property
    def check(self) -> bool:
        """A consistency check: when it holds, the case's facts contradict each other (a warning, not an answer)."""
        return self.kind == "check"

    def in_force(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day < self.effective_to) and not self.set_aside_by(day)

    def set_aside_by(self, day: date) -> list[Ruling]:
        """The rulings that hold this rule out of force on ``day``."""
        return [ruling for ruling in self.rulings if ruling.in_effect(day)]

    @property
    def suspensions(self) -> tuple[tuple[date, date | None], ...]:
        """The [from, until) windows in which rulings hold the rule out of force."""
        return tuple((ruling.day, ruling.until) for ruling in self.rulings if ruling.suspends)


@dataclass(frozen=True)
class Ruleset:
    """A rule file's set of rules, by id, with its title and version."""

    id: str
    title: str
    version: str
    description: str
    file: str
    rules: tuple[str, ...]
