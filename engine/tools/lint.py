"""Lint a loaded knowledge base: findings beyond load errors, each with a stable code.

    L001 warning  a fact declared in the catalog that no rule reads
    L002 warning  a derived rule whose value no rule reads and that is not a determination
    L003 error    a condition that can never be true, whatever its yes/no and enum inputs are
    L004 error    a rule whose effective dates fall outside every era
    L005 warning  a parameter no rule reads
    L006 warning  a parameter value dated before the era that introduces the parameter
    L007 warning  a rule or parameter value marked confidence: unverified
    L008 warning  two rules of a ruleset, in force at the same time, with the same condition and conclusion
    L020 warning  a catalog text (question, help, choice) with no translation in a facts.<lang>.po file
    L021 warning  a translation made from an older English text (or marked fuzzy): stale
    L022 warning  a translation of something the catalog no longer has
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from typing import Any

from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Rule
from ..language import syntax as s
from ..language import types as t
from ..language.checker import Checked
from ..language.codegen import RulePlan, compile_rules
from ..language.diagnostics import Diagnostic
from ..language.printer import to_text

MAX_COMBINATIONS = 4096


def lint(kb: KnowledgeBase) -> list[Diagnostic]:
    """Every finding, sorted by file and position."""
    findings = [*_unused_facts(kb), *_unused_rules(kb), *_never_true(kb), *_outside_eras(kb),
                *_unused_parameters(kb), *_before_introducing_era(kb), *_unverified(kb), *_duplicates(kb),
                *_translations(kb)]
    return sorted(findings, key=lambda d: (d.file or "", d.position.line if d.position else 0, d.code))


def _translations(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    from ..kb import translations

    for language, translation in translations.load(kb.directory).items():
        yield from translations.problems(translation, translations.catalog_texts(kb.catalog, language),
                                         kb.catalog.file, kb.catalog.positions)


def _at(rule: Rule, code: str, severity: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(code, message, severity, rule.file, rule.position, rule.id, hint)


def _expressions(rule: Rule) -> list[Checked]:
    return [c for c in (rule.when, rule.value, rule.otherwise, rule.items) if c is not None]


def _read(kb: KnowledgeBase, kind: str) -> set[str]:
    return {name for rule in kb.rules.values() for checked in _expressions(rule) for name in checked.reads(kind)}


def _unused_facts(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    read = _read(kb, "fact")
    for name in kb.catalog.facts:
        if name not in read:
            yield Diagnostic("L001", f"fact '{name}' is declared but no rule reads it", "warning", kb.catalog.file,
                             kb.catalog.positions.get(name), hint="remove it from the catalog, or write the rule that needs it")


def _unused_rules(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    read = {name for rule in kb.rules.values() for name in rule.reads}
    for rule in kb.rules.values():
        if rule.id not in read and not rule.determination and not rule.defeats and not rule.check:
            yield _at(rule, "L002", "warning", f"'{rule.id}' is computed but no rule reads it",
                      "read it in a determination, make it an outcome, or remove it")


def _never_true(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    for rule in kb.rules.values():
        if rule.when is not None and _always_false(rule.when, rule):
            yield _at(rule, "L003", "error", f"the condition of '{rule.id}' can never be true",
                      "its parts contradict each other for every possible value of the facts it reads")


def _domain(type_: t.Type) -> list[Any] | None:
    if type_.kind == "boolean":
        return [True, False, None]
    if type_.kind == "enum" and type_.values is not None:
        return [*type_.values, None]
    return None


def _always_false(checked: Checked, rule: Rule) -> bool:
    """Try every combination of the yes/no and enum names a condition reads; other types are not tried.

    Derived facts count as free inputs, so a contradiction hidden inside another rule is not found
    (sound, not complete: a reported condition really can never be true).
    """
    names: dict[str, t.Type] = {}
    for node in s.walk(checked.expr):
        if isinstance(node, s.Lookup):
            return False  # dated look-ups are not enumerated
        binding = checked.bindings.get(id(node))
        if isinstance(node, s.Name) and binding is not None and binding.kind in ("fact", "derived", "parameter"):
            names[node.dotted] = checked.type_of(node)
    domains = {name: _domain(type_) for name, type_ in names.items()}
    if not names or any(d is None for d in domains.values()) or rule.for_each:
        return False
    if _combinations(domains) > MAX_COMBINATIONS:
        return False
    probe = _probe(checked, names)
    keys = list(domains)
    for values in itertools.product(*(domains[k] or [] for k in keys)):
        facts = {k: v for k, v in zip(keys, values) if v is not None}
        if probe.traced(facts, date.today())[0]["probe"] is True:
            return False
    return True


def _combinations(domains: dict[str, list[Any] | None]) -> int:
    count = 1
    for domain in domains.values():
        count *= len(domain or [])
    return count


def _probe(checked: Checked, names: dict[str, t.Type]) -> Any:
    """The condition compiled on its own, with every name it reads taken as an input fact."""
    from ..language.checker import check
    from ..language.expression import MapScope

    standalone = check(checked.expr, MapScope(facts=names))
    return compile_rules([RulePlan("probe", boolean=True, when=standalone, value=None, otherwise=None)], {})


def _outside_eras(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    if not kb.eras:
        return
    first = min(era.start for era in kb.eras)
    last = None if any(era.end is None for era in kb.eras) else max(era.end for era in kb.eras if era.end)
    for rule in kb.rules.values():
        ends_before = rule.effective_to is not None and rule.effective_to <= first
        starts_after = last is not None and rule.effective_from is not None and rule.effective_from >= last
        if ends_before or starts_after:
            yield _at(rule, "L004", "error", f"'{rule.id}' is in force only outside every era ({first} to {last or 'now'})",
                      "check its effective dates")


def _unused_parameters(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    read = _read(kb, "parameter")
    for parameter in kb.parameters.values():
        if parameter.id not in read:
            yield Diagnostic("L005", f"parameter '{parameter.id}' is not read by any rule", "warning", parameter.file,
                             rule_id=parameter.id, hint="fine for reference values; otherwise remove it")


def _before_introducing_era(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    eras = {era.id: era for era in kb.eras}
    for parameter in kb.parameters.values():
        era = eras.get(parameter.introduced_by or "")
        for value in parameter.values:
            if era is not None and value.start < era.start:
                yield Diagnostic("L006", f"parameter '{parameter.id}' has a value from {value.start}, before era "
                                 f"'{era.id}' that introduces it ({era.start})", "warning", parameter.file,
                                 rule_id=parameter.id, hint="date the value from the era, or correct introduced_by")


def _unverified(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    for rule in kb.rules.values():
        if rule.confidence == "unverified":
            yield _at(rule, "L007", "warning", f"'{rule.id}' is marked unverified",
                      rule.notes.split(".")[0] if rule.notes else "find a source that confirms it")
    for parameter in kb.parameters.values():
        for value in parameter.values:
            if value.confidence == "unverified":
                yield Diagnostic("L007", f"parameter '{parameter.id}' value from {value.start} is marked unverified",
                                 "warning", parameter.file, rule_id=parameter.id,
                                 hint=value.notes.split(".")[0] if value.notes else "find a source that confirms it")


def _signature(rule: Rule) -> tuple[str, ...]:
    """Rules of one ruleset that say the same thing; the same condition defeating other rules is not a duplicate."""
    parts = [rule.ruleset, rule.kind, ",".join(rule.defeats)]
    return tuple(parts + [to_text(c.expr) if c is not None else "" for c in (rule.when, rule.value, rule.otherwise)])


def _duplicates(kb: KnowledgeBase) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, ...], Rule] = {}
    for rule in kb.rules.values():
        key = _signature(rule)
        other = seen.get(key)
        if other is not None and _overlap(rule, other):
            yield _at(rule, "L008", "warning", f"'{rule.id}' has the same condition and conclusion as '{other.id}'",
                      f"both are in force at the same time; keep one ({other.file})")
        seen.setdefault(key, rule)


def _overlap(a: Rule, b: Rule) -> bool:
    start = max(a.effective_from or date.min, b.effective_from or date.min)
    end = min(a.effective_to or date.max, b.effective_to or date.max)
    return start < end
