"""YAML scenario tests: cases with facts, an as-of date, and the determinations and rules expected.

One runner serves pytest (tests/conftest.py collects tests/scenarios/*.yaml) and the CLI.

    defaults:                      # optional; deep-merged under every case
      facts_file: ../../examples/affirmative-grant.yaml   # optional base facts (its as_of too)
      as_of: 2025-09-15
      facts: {applicant: {location: inside_us}}
    cases:
      - name: filed on the deadline day is on time
        facts: {application: {filing_date: 2025-11-02}}
        expect: {asylum.one_year_deadline: met}
        fired: [asylum.may_apply]          # rules that must apply
        not_fired: [asylum.bar.one_year_deadline]
        facts_needed: [bars.persecutor]    # facts that must be among those still needed
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..kb.files import MAX_DOCUMENT_BYTES, FileProblem, find_files, read_text
from ..kb.knowledge_base import KnowledgeBase, Result
from ..kb.yamlsource import SourceFile
from ..kb.yamlsource import load as load_yaml
from ..language.diagnostics import Diagnostic, Position, RulesError
from ..language.values import iso, iso_date

_CASE_KEYS = {"name", "as_of", "facts", "facts_file", "expect", "fired", "not_fired", "facts_needed", "notes"}


@dataclass
class Scenario:
    name: str
    file: str
    line: int
    as_of: date
    facts: dict[str, Any]
    expect: dict[str, Any]
    fired: list[str] = field(default_factory=list)
    not_fired: list[str] = field(default_factory=list)
    facts_needed: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    scenario: Scenario
    failures: list[str]
    result: Result | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def read_source(path: Path) -> SourceFile:
    """A scenario or fact file as YAML with positions; an unreadable or malformed one is a ``RulesError``."""
    try:
        text = read_text(path, MAX_DOCUMENT_BYTES)
    except FileProblem as problem:
        raise RulesError([Diagnostic("S100", problem.message, file=str(path), position=problem.position)]) from None
    source = load_yaml(str(path), text)
    if source.problems:
        raise RulesError(source.problems)
    return source


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_file(path: Path) -> list[Scenario]:
    """The scenarios of one file; a malformed file is a ``RulesError`` with positions."""
    source = read_source(path)
    data = source.data or {}
    problems: list[Diagnostic] = []

    def problem(message: str, where: tuple[Any, ...]) -> None:
        problems.append(Diagnostic("S100", message, file=str(path), position=source.position(where)))

    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        at_cases: tuple[Any, ...] = ("cases",) if isinstance(data, dict) and "cases" in data else ()
        raise RulesError([Diagnostic("S100", "a scenario file needs a 'cases' list", file=str(path),
                                     position=source.position(at_cases) or Position(1, 1))])
    defaults = _with_facts_file(path, dict(data.get("defaults") or {}))
    out = []
    for index, raw in enumerate(data["cases"]):
        where = ("cases", index)
        if not isinstance(raw, dict) or "name" not in raw or "expect" not in raw and "fired" not in raw:
            problem("each case needs a 'name' and an 'expect' mapping (or 'fired')", where)
            continue
        unknown = set(raw) - _CASE_KEYS
        if unknown:
            problem(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_CASE_KEYS))}", where)
            continue
        raw = _with_facts_file(path, {**{k: v for k, v in defaults.items() if k != "facts"}, **raw,
                                      "facts": _merge(defaults.get("facts") or {}, raw.get("facts") or {})}
                               if "facts_file" not in raw else dict(raw))
        as_of_text = raw.get("as_of", defaults.get("as_of"))
        try:
            as_of = iso_date(str(as_of_text))
        except ValueError:
            problem(f"case '{raw['name']}' needs an as_of date (YYYY-MM-DD), not {as_of_text!r}", where)
            continue
        position = source.position(where)
        out.append(Scenario(
            name=str(raw["name"]), file=str(path), line=position.line if position else 0, as_of=as_of,
            facts=raw.get("facts") or {}, expect=raw.get("expect") or {},
            fired=list(raw.get("fired", [])), not_fired=list(raw.get("not_fired", [])),
            facts_needed=list(raw.get("facts_needed", [])),
        ))
    if problems:
        raise RulesError(problems)
    return out


def _with_facts_file(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Merge the fact file an entry names (relative to the scenario file) under its own facts and as_of."""
    if "facts_file" not in entry:
        return entry
    base = read_source(path.parent / str(entry.pop("facts_file")))
    base_facts = dict(base.data or {})
    entry.setdefault("as_of", base_facts.pop("as_of", None))
    entry["facts"] = _merge(base_facts, entry.get("facts") or {})
    return entry


def run(kb: KnowledgeBase, scenario: Scenario) -> Outcome:
    """Evaluate one scenario and list every difference from what it expects."""
    result = kb.evaluate(scenario.facts, as_of=scenario.as_of, source=f"{scenario.file}:{scenario.line}")
    failures = []
    for rule_id, expected in scenario.expect.items():
        if rule_id not in kb.rules:
            failures.append(f"{rule_id}: no such rule")
            continue
        actual = iso(result.value(rule_id) if kb.rules[rule_id].determination else result.outcome(rule_id).value)
        if actual != expected:
            failures.append(f"{rule_id}: expected {expected!r}, got {actual!r}"
                            + _why(result.outcome(rule_id).facts_needed))
    for rule_id in scenario.fired:
        status = result.outcome(rule_id).status if rule_id in kb.rules else "no such rule"
        if status != "fired":
            failures.append(f"{rule_id}: expected to fire, but it is {status}")
    for rule_id in scenario.not_fired:
        status = result.outcome(rule_id).status if rule_id in kb.rules else "no such rule"
        if status == "fired" or status == "no such rule":
            failures.append(f"{rule_id}: expected not to fire, but it is {status}")
    missing = [f for f in scenario.facts_needed if f not in result.facts_needed]
    if missing:
        failures.append(f"facts_needed: expected {missing} among {result.facts_needed}")
    return Outcome(scenario, failures, result)


def _why(needed: list[str]) -> str:
    return f" (waiting for: {', '.join(needed[:5])})" if needed else ""


def collect(paths: list[Path]) -> list[Path]:
    """Scenario files under the given files or folders, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found, unlisted = find_files(path, ".yaml")
            if unlisted:
                raise RulesError([Diagnostic("S100", p.message, file=str(p.path)) for p in unlisted])
            files += found
        else:
            files.append(path)
    return files


def load_all(paths: list[Path]) -> list[Scenario]:
    out = []
    for path in collect(paths):
        out += load_file(path)
    return out


def outcome_text(outcome: Outcome) -> str | None:
    if outcome.passed:
        return None
    scenario = outcome.scenario
    return f"{scenario.file}:{scenario.line}: {scenario.name}\n" + "\n".join(f"    {f}" for f in outcome.failures)
