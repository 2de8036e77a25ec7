"""Policy eras and dated parameters: their dates, ordering and consistency checks."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal
from typing import Any

from ..language.diagnostics import Diagnostic, suggest
from ..language.values import duration
from .model import Citation, Era, Parameter, ParameterValue, Ruling
from .yamlsource import SourceFile

_DURATION = re.compile(r"^\s*(\d+)\s+(year|month|week|day)s?\s*$")


def build_eras(source: SourceFile, problems: list[Diagnostic]) -> list[Era]:
    """Eras of every timeline; within a timeline each era must start the day the previous one ends."""
    eras: list[Era] = []
    for t_index, timeline in enumerate(source.data["timelines"]):
        ordered = sorted(enumerate(timeline["eras"]), key=lambda pair: pair[1]["from"])
        previous: Era | None = None
        for e_index, raw in ordered:
            path = ("timelines", t_index, "eras", e_index)
            rulings = build_rulings(raw.get("rulings", ()), source, path, problems)
            end = calendar_date(raw["to"], source, path + ("to",), problems) if raw.get("to") else None
            era = Era(
                id=raw["id"], title=raw["title"], timeline=timeline["id"],
                start=calendar_date(raw["from"], source, path + ("from",), problems) or date.min,
                end=_ended_by_ruling(raw["id"], end, rulings, source, path, problems),
                citations=tuple(Citation.parse(c) for c in raw["citations"]),
                confidence=raw.get("confidence", "confirmed"), notes=raw.get("notes", ""), rulings=rulings,
            )
            if era.end is not None and era.end <= era.start:
                problems.append(Diagnostic("E204", f"era '{era.id}' ends ({era.end}) before it starts ({era.start})",
                                           file=source.path, position=source.position(path + ("to",))))
            if previous is not None:
                _check_adjacent(previous, era, source, path, problems)
            previous = era
            eras.append(era)
    return eras


def _ended_by_ruling(era_id: str, end: date | None, rulings: tuple[Ruling, ...], source: SourceFile,
                     path: tuple[Any, ...], problems: list[Diagnostic]) -> date | None:
    """A ruling that vacates or enjoins for good ends its era on the decision date; a different 'to' is an error."""
    ending = [r for r in rulings if r.suspends and r.until is None]
    if not ending:
        return end
    first = min(ending, key=lambda r: r.day)
    if end is not None and end != first.day:
        problems.append(Diagnostic(
            "E211", f"era '{era_id}' ends on {end}, but {first.case} ({first.court}) ended it on {first.day}",
            file=source.path, position=source.position(path + ("to",)),
            hint=f"set 'to: {first.day}' (or leave 'to' out: the ruling ends the era), or change the ruling's status"))
    return first.day


def _check_adjacent(previous: Era, era: Era, source: SourceFile, path: tuple[Any, ...],
                    problems: list[Diagnostic]) -> None:
    if previous.end is None or era.start < previous.end:
        problems.append(Diagnostic(
            "E204", f"era '{era.id}' (from {era.start}) overlaps era '{previous.id}' "
                    f"(to {previous.end or 'open-ended'}) in timeline '{era.timeline}'",
            file=source.path, position=source.position(path + ("from",)),
            hint=f"end '{previous.id}' on {era.start} (the 'to' date is the first day it no longer applies)"))
    elif era.start > previous.end:
        problems.append(Diagnostic(
            "E205", f"gap between era '{previous.id}' (to {previous.end}) and era '{era.id}' (from {era.start}) "
                    f"in timeline '{era.timeline}'",
            file=source.path, position=source.position(path + ("from",)),
            hint="add an era for the gap, or make one start the day the other ends"))


def calendar_date(text: str, source: SourceFile, path: tuple[Any, ...], problems: list[Diagnostic]) -> date | None:
    """The date, or None after reporting it at its position: the schema checks the shape, not the calendar."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        problems.append(Diagnostic("E201", f"'{text}' is not a calendar date", file=source.path,
                                   position=source.position(path)))
        return None


def build_rulings(raws: Any, source: SourceFile, path: tuple[Any, ...], problems: list[Diagnostic]) -> tuple[Ruling, ...]:
    """The rulings under ``path`` ('rulings' key), each date checked against the calendar; a stay must end after it starts."""
    out = []
    for index, raw in enumerate(raws):
        where = path + ("rulings", index)
        day = calendar_date(raw["date"], source, where + ("date",), problems)
        until = calendar_date(raw["until"], source, where + ("until",), problems) if raw.get("until") else None
        if day is None or (raw.get("until") and until is None):
            continue
        if until is not None and until <= day:
            problems.append(Diagnostic("E201", f"ruling '{raw['case']}' ends ({until}) before it starts ({day})",
                                       file=source.path, position=source.position(where + ("until",)),
                                       hint="'until' is the first day the ruling no longer applies"))
            continue
        out.append(Ruling(raw["court"], raw["case"], day, raw["effect"], raw["status"],
                          tuple(Citation.parse(c) for c in raw["citations"]), until, raw.get("notes", "")))
    return tuple(out)


def era_start(era_id: str, eras: dict[str, Era], source: SourceFile, path: tuple[Any, ...],
              problems: list[Diagnostic]) -> Era | None:
    era = eras.get(era_id)
    if era is None:
        problems.append(Diagnostic("E206", f"unknown era '{era_id}'", file=source.path, position=source.position(path),
                                   hint=suggest(era_id, eras) or "eras are declared in eras.yaml"))
    return era


def build_parameters(source: SourceFile, eras: dict[str, Era], problems: list[Diagnostic]) -> list[Parameter]:
    out = []
    for p_index, raw in enumerate(source.data["parameters"]):
        history = []
        for v_index, entry in enumerate(raw["values"]):
            path = ("parameters", p_index, "values", v_index)
            if "era" in entry:
                era = era_start(entry["era"], eras, source, path + ("era",), problems)
                start = era.start if era else None
            else:
                start = calendar_date(entry["from"], source, path + ("from",), problems)
            value = _convert(raw["type"], entry["value"], source, path + ("value",), problems)
            if start is not None:
                history.append(ParameterValue(start, value, tuple(Citation.parse(c) for c in entry["citations"]),
                                              entry.get("confidence", raw.get("confidence", "confirmed")),
                                              entry.get("notes", "")))
        starts = [h.start for h in history]
        if starts != sorted(set(starts)):
            problems.append(Diagnostic("E208", f"parameter '{raw['id']}': values must be in date order, one per date",
                                       file=source.path, position=source.position(("parameters", p_index, "values")),
                                       rule_id=raw["id"]))
        out.append(Parameter(
            id=raw["id"], title=raw["title"], kind=raw["type"], unit=raw.get("unit", ""),
            description=raw.get("description", ""), citations=tuple(Citation.parse(c) for c in raw["citations"]),
            values=tuple(history), confidence=raw.get("confidence", "confirmed"), file=source.path,
            introduced_by=raw.get("introduced_by"),
        ))
        if raw.get("introduced_by") and raw["introduced_by"] not in eras:
            era_start(raw["introduced_by"], eras, source, ("parameters", p_index, "introduced_by"), problems)
    return out


def _convert(kind: str, value: Any, source: SourceFile, path: tuple[Any, ...], problems: list[Diagnostic]) -> Any:
    def wrong(expected: str) -> None:
        problems.append(Diagnostic("E208", f"value {value!r} is not {expected}", file=source.path,
                                   position=source.position(path)))

    if kind in ("money", "number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return wrong("a number")
        if isinstance(value, float) and not math.isfinite(value):
            return wrong("a finite number")  # .nan or .inf, or a float too large for one
        if kind == "integer" and not float(value).is_integer():
            return wrong("a whole number")
        return value if isinstance(value, int) else Decimal(repr(value))
    if kind == "duration":
        match = _DURATION.match(str(value))
        if not match:
            return wrong("a duration such as '1 year' or '180 days'")
        try:
            return duration(int(match[1]), match[2])
        except ValueError as exc:
            return wrong(f"a duration within the calendar: {exc}")
    if kind == "date":
        return calendar_date(str(value), source, path, problems)
    if kind == "boolean":
        return value if isinstance(value, bool) else wrong("true or false")
    return str(value)
