"""The loaded knowledge base's parts: manifest, eras, parameters and rules, as plain records."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..language import types as t
from ..language.checker import Checked
from ..language.diagnostics import Position
from ..language.record import FrozenRecord, Record

BOOLEAN_KINDS = ("criterion", "bar", "exception", "check")
DETERMINATION_KINDS = ("outcome", "fee", "deadline")
DISCLAIMER = ("asylum-kb is an information and training aid, not legal advice. Eligibility depends on facts, "
              "evidence and discretion that no rule engine captures; consult a qualified immigration attorney "
              "or accredited representative.")


class Citation(FrozenRecord):
    """A source a rule, era, parameter or ruling rests on: its name, section, date, link and notes."""

    _fields = ("source", "url", "section", "date", "notes")
    source: str
    url: str | None
    section: str | None
    date: str | None
    notes: str | None

    def __init__(self, source: str, url: str | None = None, section: str | None = None,
                 date: str | None = None, notes: str | None = None) -> None:
        self.__dict__.update(source=source, url=url, section=section, date=date, notes=notes)

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


class Ruling(FrozenRecord):
    """A court ruling on a rule or era, kept as a dated event so answers change on the decision date."""

    _fields = ("court", "case", "day", "effect", "status", "citations", "until", "notes")
    court: str
    case: str
    day: date
    effect: str  # vacated, enjoined, stayed (take the rule out of force); upheld, narrowed (shown only)
    status: str  # in_effect, under_appeal (the ruling has its effect); ruling_stayed, reversed (it has none)
    citations: tuple[Citation, ...]
    until: date | None
    notes: str

    def __init__(self, court: str, case: str, day: date, effect: str, status: str,
                 citations: tuple[Citation, ...], until: date | None = None, notes: str = "") -> None:
        self.__dict__.update(court=court, case=case, day=day, effect=effect, status=status,
                             citations=citations, until=until, notes=notes)

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


class Authority(FrozenRecord):
    """Who decides a determination; ``where`` limits it to cases in which other determinations have these values.

    Which body decides is law (8 CFR 208.2, 208.16), so it lives in the rule files, not in code.
    """

    _fields = ("authority", "citations", "where", "notes")
    authority: str
    citations: tuple[Citation, ...]
    where: tuple[tuple[str, str], ...]
    notes: str

    def __init__(self, authority: str, citations: tuple[Citation, ...],
                 where: tuple[tuple[str, str], ...] = (), notes: str = "") -> None:
        self.__dict__.update(authority=authority, citations=citations, where=where, notes=notes)

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


class Manifest(FrozenRecord):
    """The knowledge base's identity (manifest.yaml): id, title, version, date and disclaimer."""

    _fields = ("id", "title", "version", "date", "description", "disclaimer")
    id: str
    title: str
    version: str
    date: str
    description: str
    disclaimer: str

    def __init__(self, id: str, title: str, version: str, date: str, description: str = "",
                 disclaimer: str = DISCLAIMER) -> None:
        self.__dict__.update(id=id, title=title, version=version, date=date, description=description,
                             disclaimer=disclaimer)


class Era(FrozenRecord):
    """A period of one timeline: in force from ``start`` until ``end``, with its sources and any rulings on it."""

    _fields = ("id", "title", "timeline", "start", "end", "citations", "confidence", "notes", "rulings")
    id: str
    title: str
    timeline: str
    start: date
    end: date | None  # the first day no longer in force; None: still in force
    citations: tuple[Citation, ...]
    confidence: str
    notes: str
    rulings: tuple[Ruling, ...]

    def __init__(self, id: str, title: str, timeline: str, start: date, end: date | None,
                 citations: tuple[Citation, ...], confidence: str = "confirmed", notes: str = "",
                 rulings: tuple[Ruling, ...] = ()) -> None:
        self.__dict__.update(id=id, title=title, timeline=timeline, start=start, end=end, citations=citations,
                             confidence=confidence, notes=notes, rulings=rulings)

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class ParameterValue(FrozenRecord):
    """One dated value of a parameter, in force from ``start`` until the next one starts."""

    _fields = ("start", "value", "citations", "confidence", "notes")
    start: date
    value: Any
    citations: tuple[Citation, ...]
    confidence: str
    notes: str

    def __init__(self, start: date, value: Any, citations: tuple[Citation, ...],
                 confidence: str = "confirmed", notes: str = "") -> None:
        self.__dict__.update(start=start, value=value, citations=citations, confidence=confidence,
                             notes=notes)


class Parameter(FrozenRecord):
    """A value the law sets and changes over time (a fee, a deadline), as its dated values."""

    _fields = ("id", "title", "kind", "unit", "description", "citations", "values", "confidence", "file",
               "introduced_by")
    id: str
    title: str
    kind: str  # money, number, integer, duration, date, boolean, string
    unit: str
    description: str
    citations: tuple[Citation, ...]
    values: tuple[ParameterValue, ...]
    confidence: str
    file: str
    introduced_by: str | None

    def __init__(self, id: str, title: str, kind: str, unit: str, description: str,
                 citations: tuple[Citation, ...], values: tuple[ParameterValue, ...],
                 confidence: str = "confirmed", file: str = "",
                 introduced_by: str | None = None) -> None:
        self.__dict__.update(id=id, title=title, kind=kind, unit=unit, description=description,
                             citations=citations, values=values, confidence=confidence, file=file,
                             introduced_by=introduced_by)

    @property
    def type(self) -> t.Type:
        return {"duration": t.DURATION, "date": t.DATE, "boolean": t.BOOLEAN, "string": t.STRING}.get(self.kind, t.NUMBER)

    def value_at(self, day: date) -> ParameterValue | None:
        current = None
        for entry in self.values:
            if entry.start <= day:
                current = entry
        return current


class Rule(Record):
    """One rule as written in its file; the loader attaches its checked expressions and type."""

    _fields = ("id", "title", "kind", "ruleset", "file", "position", "citations", "when_text", "value_text",
               "otherwise_text", "for_each", "defeats", "effective_from", "effective_to", "era", "confidence",
               "notes", "plain", "description", "rulings", "decided_by", "when", "value", "otherwise",
               "items", "type", "defeated_by", "reads")
    id: str
    title: str
    kind: str
    ruleset: str
    file: str
    position: Position | None
    citations: tuple[Citation, ...]
    when_text: str | None
    value_text: str | None
    otherwise_text: str | None
    for_each: dict[str, str] | None
    defeats: tuple[str, ...]
    effective_from: date | None
    effective_to: date | None
    era: str | None
    confidence: str
    notes: str
    plain: str
    description: str
    rulings: tuple[Ruling, ...]
    decided_by: tuple[Authority, ...]
    # Filled in by the loader after checking:
    when: Checked | None
    value: Checked | None
    otherwise: Checked | None
    items: Checked | None
    type: t.Type
    defeated_by: list[str]
    reads: list[str]  # rules it reads, in first-use order

    def __init__(self, id: str, title: str, kind: str, ruleset: str, file: str, position: Position | None,
                 citations: tuple[Citation, ...], when_text: str | None = None,
                 value_text: str | None = None, otherwise_text: str | None = None,
                 for_each: dict[str, str] | None = None, defeats: tuple[str, ...] = (),
                 effective_from: date | None = None, effective_to: date | None = None,
                 era: str | None = None, confidence: str = "confirmed", notes: str = "",
                 plain: str = "", description: str = "", rulings: tuple[Ruling, ...] = (),
                 decided_by: tuple[Authority, ...] = (), when: Checked | None = None,
                 value: Checked | None = None, otherwise: Checked | None = None,
                 items: Checked | None = None, type: t.Type = t.ANY,
                 defeated_by: list[str] | None = None, reads: list[str] | None = None) -> None:
        self.__dict__.update(id=id, title=title, kind=kind, ruleset=ruleset, file=file, position=position,
                             citations=citations, when_text=when_text, value_text=value_text,
                             otherwise_text=otherwise_text, for_each=for_each, defeats=defeats,
                             effective_from=effective_from, effective_to=effective_to, era=era,
                             confidence=confidence, notes=notes, plain=plain, description=description,
                             rulings=rulings, decided_by=decided_by, when=when, value=value,
                             otherwise=otherwise, items=items, type=type,
                             defeated_by=[] if defeated_by is None else defeated_by,
                             reads=[] if reads is None else reads)

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


class Ruleset(FrozenRecord):
    """A rule file's set of rules, by id, with its title and version."""

    _fields = ("id", "title", "version", "description", "file", "rules")
    id: str
    title: str
    version: str
    description: str
    file: str
    rules: tuple[str, ...]

    def __init__(self, id: str, title: str, version: str, description: str, file: str,
                 rules: tuple[str, ...]) -> None:
        self.__dict__.update(id=id, title=title, version=version, description=description, file=file,
                             rules=rules)
