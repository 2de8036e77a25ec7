"""Read a rules directory into a checked, compiled ``KnowledgeBase``.

Stages: YAML with positions → JSON Schema → manifest, catalog, eras, parameters, rules →
parse every expression → order rules by dependency (a cycle is an error naming it) →
type-check in that order → compile. Each stage reports all its problems before stopping.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..language import checker, codegen, parser, runtime
from ..language import syntax as s
from ..language import types as t
from ..language.diagnostics import Diagnostic, ExpressionError, RulesError, expression_diagnostic, suggest
from . import schema_check
from .catalog import Catalog
from .factspec import spec_from_yaml
from .files import MAX_DOCUMENT_BYTES, FileProblem, find_files, read_text
from .knowledge_base import KnowledgeBase, default_rules_dir
from .model import Authority, Citation, Era, Manifest, Parameter, Rule, Ruleset
from .timeline import build_eras, build_parameters, build_rulings, calendar_date, era_start
from .yamlsource import SourceFile
from .yamlsource import load as load_yaml

_EXPRESSION_FIELDS = ("when", "value", "otherwise")


@dataclass
class _Scope:
    """Names visible to expressions while rules are checked in dependency order."""

    catalog: Catalog
    parameters: dict[str, Parameter]
    derived: dict[str, t.Type] = field(default_factory=dict)

    def resolve(self, name: str) -> tuple[str, t.Type] | None:
        if name in self.derived:
            return "derived", self.derived[name]
        fact_type = self.catalog.type_of(name)
        if fact_type is not None:
            return "fact", fact_type
        if name in self.parameters:
            return "parameter", self.parameters[name].type
        return None

    def names(self) -> Iterable[str]:
        return [*self.derived, *self.catalog.facts, *self.parameters]


def load_directory(directory: str | Path | None = None) -> KnowledgeBase:
    root = Path(directory) if directory is not None else default_rules_dir()
    if not root.is_dir():
        raise RulesError([Diagnostic("E210", f"rules directory '{root}' does not exist", file=str(root))])
    sources = _read(root)
    return _Assembler(root, sources).assemble()


def _read(root: Path) -> list[SourceFile]:
    files, unlisted = find_files(root, ".yaml")
    problems = [Diagnostic("E200", problem.message, file=_shown(root, problem.path)) for problem in unlisted]
    sources = []
    for path in files:
        rel = _shown(root, path)
        try:
            text = read_text(path, MAX_DOCUMENT_BYTES)
        except FileProblem as problem:
            problems.append(Diagnostic("E200", problem.message, file=rel, position=problem.position))
            continue
        source = load_yaml(rel, text)
        problems += source.problems
        sources.append(source)
    if problems:
        raise RulesError(problems)
    return sources


def _shown(root: Path, path: Path) -> str:
    """A rule file's name in messages: relative to the folder holding the rules folder."""
    return str(path.relative_to(root.parent)) if root.parent != path.parent else path.name


class _Assembler:
    def __init__(self, root: Path, sources: list[SourceFile]):
        self.root, self.sources = root, sources
        self.problems: list[Diagnostic] = []
        self.origin: dict[str, tuple[SourceFile, tuple[Any, ...]]] = {}  # rule id → its file and YAML path

    def stop_if_problems(self) -> None:
        if any(p.severity == "error" for p in self.problems):
            raise RulesError(self.problems)

    def assemble(self) -> KnowledgeBase:
        by_kind: dict[str, list[SourceFile]] = {}
        for source in self.sources:
            kind = schema_check.file_kind(source)
            if kind is None:
                self.problems.append(Diagnostic(
                    "E201", "not a knowledge-base file: expected a top-level 'ruleset', 'parameters', 'timelines', "
                    "'facts' or 'kb' key", file=source.path, position=source.position(())))
                continue
            self.problems += schema_check.validate(source, kind)
            by_kind.setdefault(kind, []).append(source)
        for kind, what in (("manifest", "manifest.yaml (kb: id, title, version, date)"),
                           ("facts-catalog", "facts.yaml (the facts catalog)")):
            if len(by_kind.get(kind, [])) != 1:
                self.problems.append(Diagnostic("E210", f"the rules directory needs exactly one {what}",
                                                file=str(self.root)))
        self.stop_if_problems()

        manifest = Manifest(**by_kind["manifest"][0].data["kb"])
        catalog_source = by_kind["facts-catalog"][0]
        catalog = Catalog({name: spec_from_yaml(name, raw) for name, raw in catalog_source.data["facts"].items()},
                          file=catalog_source.path,
                          positions={name: catalog_source.position(("facts", name)) for name in catalog_source.data["facts"]})
        eras: list[Era] = []
        for source in by_kind.get("eras", []):
            eras += build_eras(source, self.problems)
        era_map = self._unique({e.id: e for e in eras}, eras, "era")
        parameters: list[Parameter] = []
        for source in by_kind.get("parameters", []):
            parameters += build_parameters(source, era_map, self.problems)
        param_map = {p.id: p for p in parameters}
        rulesets, rules = self._rules(by_kind.get("ruleset", []), era_map)
        self._check_names(rules, catalog, param_map)
        self.stop_if_problems()

        parsed = self._parse(rules)
        self.stop_if_problems()
        order = self._order(rules, parsed)
        self.stop_if_problems()
        self._check(rules, order, parsed, _Scope(catalog, param_map))
        for rule in rules.values():
            self._check_authorities(rule, rules)
        self.stop_if_problems()

        plans = [self._plan(rules[rule_id]) for rule_id in order]
        tables = {p.id: runtime.DatedValues([(v.start, v.value) for v in p.values]) for p in parameters}
        program = codegen.compile_rules(plans, tables)
        return KnowledgeBase(
            manifest=manifest, catalog=catalog, eras=eras, parameters=param_map,
            rulesets=rulesets, rules={rule_id: rules[rule_id] for rule_id in order}, program=program,
            directory=str(self.root),
        )

    def _unique(self, mapping: dict[str, Any], items: list[Any], what: str) -> dict[str, Any]:
        if len(mapping) != len(items):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    self.problems.append(Diagnostic("E202", f"duplicate {what} id '{item.id}'"))
                seen.add(item.id)
        return mapping

    def _rules(self, sources: list[SourceFile], eras: dict[str, Era]) -> tuple[dict[str, Ruleset], dict[str, Rule]]:
        rulesets: dict[str, Ruleset] = {}
        rules: dict[str, Rule] = {}
        for source in sources:
            head = source.data["ruleset"]
            ids = []
            for index, raw in enumerate(source.data["rules"]):
                path = ("rules", index)
                rule = self._rule(raw, head["id"], source, path, eras)
                if rule.id in rules:
                    other = rules[rule.id]
                    self.problems.append(Diagnostic(
                        "E202", f"duplicate rule id '{rule.id}' (first defined in {other.file}"
                        f"{':' + str(other.position.line) if other.position else ''})",
                        file=source.path, position=source.position(path + ("id",)), rule_id=rule.id))
                    continue
                rules[rule.id] = rule
                self.origin[rule.id] = (source, path)
                ids.append(rule.id)
            if head["id"] in rulesets:
                self.problems.append(Diagnostic("E202", f"duplicate ruleset id '{head['id']}'", file=source.path,
                                                position=source.position(("ruleset", "id"))))
            rulesets[head["id"]] = Ruleset(head["id"], head["title"], head["version"], head.get("description", ""),
                                           source.path, tuple(ids))
        return rulesets, rules

    def _rule(self, raw: dict[str, Any], ruleset: str, source: SourceFile, path: tuple[Any, ...],
              eras: dict[str, Era]) -> Rule:
        effective = raw.get("effective", {})
        start = end = None
        if "from" in effective:
            start = calendar_date(effective["from"], source, path + ("effective", "from"), self.problems)
        if "to" in effective:
            end = calendar_date(effective["to"], source, path + ("effective", "to"), self.problems)
        if "era" in effective:
            era = era_start(effective["era"], eras, source, path + ("effective", "era"), self.problems)
            if era is not None:
                start, end = max(start or era.start, era.start), min(end or era.end or date.max, era.end or date.max)
                end = None if end == date.max else end
        rule = Rule(
            id=raw["id"], title=raw["title"], kind=raw["kind"], ruleset=ruleset, file=source.path,
            position=source.position(path), citations=tuple(Citation.parse(c) for c in raw["citations"]),
            when_text=_text(raw.get("when")), value_text=_text(raw.get("value")),
            otherwise_text=_text(raw.get("otherwise")), for_each=raw.get("for_each"),
            defeats=tuple(raw.get("defeats", ())), effective_from=start, effective_to=end, era=effective.get("era"),
            confidence=raw.get("confidence", "confirmed"), notes=raw.get("notes", ""), plain=raw.get("plain", ""),
            description=raw.get("description", ""), rulings=build_rulings(raw.get("rulings", ()), source, path, self.problems),
            decided_by=tuple(Authority.parse(entry) for entry in raw.get("decided_by", ())),
        )
        return rule

    def _check_names(self, rules: dict[str, Rule], catalog: Catalog, parameters: dict[str, Parameter]) -> None:
        for rule in rules.values():
            clash = "fact" if rule.id in catalog.facts else "parameter" if rule.id in parameters else None
            if clash:
                self.problems.append(Diagnostic("E202", f"rule id '{rule.id}' is also the name of a {clash}",
                                                file=rule.file, position=rule.position, rule_id=rule.id))
            for target in rule.defeats:
                defeated = rules.get(target)
                if defeated is None:
                    self._at(rule, ("defeats",), "E207", f"'{rule.id}' defeats unknown rule '{target}'",
                             suggest(target, rules))
                elif not defeated.boolean:
                    self._at(rule, ("defeats",), "E207",
                             f"'{target}' is a {defeated.kind} rule; only criteria, bars and exceptions can be defeated")
                else:
                    defeated.defeated_by.append(rule.id)

    def _check_authorities(self, rule: Rule, rules: dict[str, Rule]) -> None:
        """``decided_by`` belongs on determinations, and ``where`` may only name determinations."""
        if rule.decided_by and not rule.determination:
            self._at(rule, ("decided_by",), "E220",
                     f"'{rule.id}' is a {rule.kind} rule; only outcome, fee and deadline rules say who decides them")
        for index, entry in enumerate(rule.decided_by):
            for target, value in entry.where:
                other = rules.get(target)
                if other is None or not other.determination:
                    what = "an unknown rule" if other is None else f"a {other.kind} rule, not a determination"
                    self._at(rule, ("decided_by", index, "where", target), "E220",
                             f"decided_by of '{rule.id}' depends on '{target}', {what}",
                             suggest(target, [r.id for r in rules.values() if r.determination]))
                elif other.type.kind == "enum" and other.type.values and value not in other.type.values:
                    self._at(rule, ("decided_by", index, "where", target), "E220",
                             f"'{target}' never has the value '{value}'", suggest(value, other.type.values))

    def _at(self, rule: Rule, key: tuple[Any, ...], code: str, message: str, hint: str | None = None) -> None:
        source, path = self.origin[rule.id]
        self.problems.append(Diagnostic(code, message, file=rule.file, position=source.position(path + key),
                                        rule_id=rule.id, hint=hint))

    def _expression_error(self, rule: Rule, key: tuple[Any, ...], error: ExpressionError) -> None:
        source, path = self.origin[rule.id]
        locate = source.expression_locator(path + key)
        self.problems.append(expression_diagnostic(error, locate, rule.file, rule.id))

    def _expressions(self, rule: Rule) -> list[tuple[tuple[str, ...], str]]:
        out: list[tuple[tuple[str, ...], str]] = [((name,), text) for name, text in zip(_EXPRESSION_FIELDS, (rule.when_text, rule.value_text,
                                                                        rule.otherwise_text)) if text is not None]
        if rule.for_each:
            out.append((("for_each", "in"), rule.for_each["in"]))
        return out

    def _parse(self, rules: dict[str, Rule]) -> dict[tuple[str, tuple[str, ...]], s.Expr]:
        parsed = {}
        for rule in rules.values():
            for key, text in self._expressions(rule):
                try:
                    parsed[(rule.id, key)] = parser.parse(text)
                except ExpressionError as error:
                    self._expression_error(rule, key, error)
        return parsed

    def _order(self, rules: dict[str, Rule], parsed: dict[tuple[str, tuple[str, ...]], s.Expr]) -> list[str]:
        """Rules in dependency order (depth-first, iterative); a cycle is reported with its path."""
        for (rule_id, _key), expr in parsed.items():
            reads = [n.dotted for n in s.walk(expr) if isinstance(n, s.Name) and n.dotted in rules]
            rules[rule_id].reads = list(dict.fromkeys(rules[rule_id].reads + reads))
        for rule in rules.values():
            rule.reads = list(dict.fromkeys(rule.reads + rule.defeated_by))
        order: list[str] = []
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in rules:
            if state.get(root):
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            path: list[str] = []
            while stack:
                rule_id, index = stack.pop()
                if index == 0:
                    state[rule_id] = 1
                    path.append(rule_id)
                deps = rules[rule_id].reads
                if index < len(deps):
                    stack.append((rule_id, index + 1))
                    dep = deps[index]
                    if state.get(dep) == 1:
                        cycle = path[path.index(dep):] + [dep]
                        self._at(rules[rule_id], (), "E203", "rules depend on each other in a cycle: " + " → ".join(cycle),
                                 "a derived fact cannot depend on itself; break the loop")
                        return order
                    if not state.get(dep):
                        stack.append((dep, 0))
                    continue
                state[rule_id] = 2
                path.pop()
                order.append(rule_id)
        return order

    def _check(self, rules: dict[str, Rule], order: list[str], parsed: dict[tuple[str, tuple[str, ...]], s.Expr],
               scope: _Scope) -> None:
        for rule_id in order:
            rule = rules[rule_id]
            try:
                rule.type = self._check_rule(rule, parsed, scope)
            except _KeyedError as failure:
                self._expression_error(rule, failure.key, failure.error)
                rule.type = t.ANY
            scope.derived[rule_id] = t.list_of(rule.type) if rule.for_each else rule.type

    def _check_rule(self, rule: Rule, parsed: dict[tuple[str, tuple[str, ...]], s.Expr], scope: _Scope) -> t.Type:
        bound: dict[str, t.Type] = {}

        def run(*key: str, expected: t.Type | None = None) -> checker.Checked | None:
            expr = parsed.get((rule.id, key))
            if expr is None:
                return None
            try:
                return checker.check(expr, scope, expected, bound)
            except ExpressionError as error:
                raise _KeyedError(key, error) from None

        if rule.for_each:
            rule.items = run("for_each", "in")
            assert rule.items is not None
            if rule.items.type.kind not in ("list", "any"):
                raise _KeyedError(("for_each", "in"), ExpressionError(
                    "E130", f"for_each needs a list, not {rule.items.type}", rule.items.expr.span))
            bound[rule.for_each["var"]] = rule.items.type.item or t.ANY
        rule.when = run("when", expected=t.BOOLEAN)
        if rule.boolean:
            return t.BOOLEAN
        rule.value = run("value")
        rule.otherwise = run("otherwise")
        assert rule.value is not None
        if rule.otherwise is not None:
            if not t.compatible(rule.value.type, rule.otherwise.type):
                raise _KeyedError(("otherwise",), ExpressionError(
                    "E130", f"'otherwise' gives {rule.otherwise.type} but 'value' gives {rule.value.type}",
                    rule.otherwise.expr.span))
            return t.join(rule.value.type, rule.otherwise.type)
        return rule.value.type

    def _plan(self, rule: Rule) -> codegen.RulePlan:
        in_force = None
        if rule.effective_from is not None or rule.effective_to is not None:
            in_force = (rule.effective_from, rule.effective_to)
        for_each = codegen.ForEach(rule.for_each["var"], rule.items) if rule.for_each and rule.items else None
        return codegen.RulePlan(
            id=rule.id, boolean=rule.boolean, when=rule.when, value=rule.value, otherwise=rule.otherwise,
            defeaters=tuple(rule.defeated_by), in_force=in_force, for_each=for_each, suspended=rule.suspensions,
        )


class _KeyedError(Exception):
    """An expression error with the rule key (when, value, …) whose expression it is in."""

    def __init__(self, key: tuple[str, ...], error: ExpressionError):
        super().__init__(error.message)
        self.key, self.error = key, error


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)
