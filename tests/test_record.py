"""The engine's records (``language/record.py``) behave as the dataclasses they replace: equality, hash,
repr, frozenness, defaults and pickling; and the classes on a warm ``eval``'s import path are records,
not dataclasses (whose generated methods cost about a fifth of the start-up)."""

from __future__ import annotations

import dataclasses
import importlib
import pickle
from datetime import date
from pathlib import Path

import pytest
from asylum_kb.kb.cache import load_cached
from asylum_kb.kb.catalog import Catalog
from asylum_kb.kb.factsio import FactDocument
from asylum_kb.kb.model import Citation, Rule, Ruling
from asylum_kb.language import syntax as s
from asylum_kb.language import types as t
from asylum_kb.language.checker import Binding, Checked
from asylum_kb.language.diagnostics import Diagnostic, Position
from asylum_kb.language.parser import parse
from asylum_kb.language.record import FrozenError, Record
from asylum_kb.language.values import Duration

RECORD_MODULES = ["asylum_kb.language.syntax", "asylum_kb.language.types", "asylum_kb.language.diagnostics",
                  "asylum_kb.language.checker", "asylum_kb.language.functions", "asylum_kb.language.values",
                  "asylum_kb.kb.model",
                  "asylum_kb.kb.catalog", "asylum_kb.kb.consistency", "asylum_kb.kb.factsio",
                  "asylum_kb.kb.factspec", "asylum_kb.kb.yamlsource"]


@pytest.mark.parametrize("module", RECORD_MODULES)
def test_no_dataclass_is_created_when_the_module_is_imported(module: str) -> None:
    loaded = importlib.import_module(module)
    defined = [value for value in vars(loaded).values()
               if isinstance(value, type) and value.__module__ == module]
    assert defined
    assert not [cls.__name__ for cls in defined if dataclasses.is_dataclass(cls)]


@pytest.mark.parametrize("module", RECORD_MODULES)
def test_every_record_compares_every_field_it_declares(module: str) -> None:
    # A record names its fields by hand (``_fields``): a field declared on the class but missing there would drop
    # out of equality, hashing and repr without a word. Only a node's span is left out, on purpose.
    loaded = importlib.import_module(module)
    for cls in [value for value in vars(loaded).values() if isinstance(value, type) and issubclass(value, Record)
                and value.__module__ == module]:
        declared = {name for klass in cls.__mro__ for name, kind in getattr(klass, "__annotations__", {}).items()
                    if not name.startswith("_") and not str(kind).startswith("ClassVar")}
        assert declared - set(cls._fields) <= {"span"}, cls.__name__


def test_nodes_compare_and_hash_by_fields_not_span() -> None:
    a = s.Compare("==", s.Name("x.y", span=(0, 3)), s.Literal(1, span=(7, 8)), span=(0, 8))
    b = s.Compare("==", s.Name("x.y"), s.Literal(1))
    assert a == b and hash(a) == hash(b)
    assert a != s.Compare("!=", s.Name("x.y"), s.Literal(1))
    assert s.Not(s.Name("a")) != s.Negate(s.Name("a"))  # same fields, another class
    assert s.Name("a") != "a"
    assert {a: 1}[b] == 1
    assert a.span == (0, 8) and b.span == s.NO_SPAN


def test_repr_names_the_fields_without_the_span() -> None:
    node = s.Compare("==", s.Name("x"), s.Literal(1), span=(0, 6))
    assert repr(node) == "Compare(op='==', left=Name(dotted='x'), right=Literal(value=1))"
    assert repr(Position(2, 5)) == "Position(line=2, column=5, source_line='')"


def test_frozen_records_refuse_assignment_and_deletion() -> None:
    node = s.Name("x")
    with pytest.raises(FrozenError):
        node.dotted = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del node.span
    with pytest.raises(FrozenError):
        Citation("8 U.S.C. 1158").url = "https://example.invalid"  # type: ignore[misc]
    assert node.dotted == "x"


def test_defaults_and_keywords_as_before() -> None:
    d = Diagnostic("E101", "bad", file="rules/a.yaml", position=Position(3, 4))
    assert (d.severity, d.rule_id, d.hint, d.path, d.location) == ("error", None, None, None, "rules/a.yaml:3:4")
    assert Citation("INA 208").as_dict() == {"source": "INA 208"}
    assert list(Citation("s", "u", "sec", "2020-01-01", "n").as_dict()) == ["source", "url", "section", "date", "notes"]
    assert t.Type("list", item=t.NUMBER).item == t.NUMBER and t.Type("list", item=t.NUMBER) == t.Type("list", None, t.NUMBER)
    assert Binding("var", "c", "born").field == "born"


def test_mutable_records_are_unhashable_and_get_fresh_defaults() -> None:
    first = Rule("a.b", "A", "criterion", "a", "a.yaml", None, ())
    second = Rule("a.b", "A", "criterion", "a", "a.yaml", None, ())
    assert first == second and first.reads == [] and first.type == t.ANY
    first.reads.append("c.d")
    assert second.reads == [] and first != second
    first.notes = "changed"
    assert first.notes == "changed"
    with pytest.raises(TypeError):
        hash(first)
    assert Checked(s.Literal(True), t.BOOLEAN).bindings == {}


def test_records_survive_pickling_equal_and_still_frozen() -> None:
    ruling = Ruling("D.D.C.", "X v. Y", date(2025, 7, 2), "vacated", "in_effect", (Citation("X v. Y"),),
                    until=date(2026, 1, 1))
    rule = Rule("a.b", "A", "criterion", "a", "a.yaml", Position(1, 2, "id: a.b"), (Citation("INA 208"),),
                rulings=(ruling,), reads=["c.d"])
    expr = parse("count c in family.children: c.age < 21 and not x.y")
    diagnostic = Diagnostic("F301", "wrong type", file="case.yaml", position=Position(4, 9), path="a.b")
    for value in (ruling, rule, expr, diagnostic, t.Type("enum", ("a", "b"))):
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and repr(copy) == repr(value) and type(copy) is type(value)
    copy = pickle.loads(pickle.dumps(expr))
    assert [node.span for node in s.walk(copy)] == [node.span for node in s.walk(expr)]
    with pytest.raises(FrozenError):
        copy.kind = "all"  # type: ignore[misc]


def test_catalog_and_fact_document_show_only_what_their_dataclasses_showed() -> None:
    catalog = Catalog({}, "facts.yaml", {"a.b": Position(1, 1)})
    assert repr(catalog) == "Catalog(facts={}, file='facts.yaml')"
    assert catalog == Catalog({}, "facts.yaml", {"a.b": Position(1, 1)}) != Catalog({}, "facts.yaml")
    assert catalog.validate({}) == ({}, None)
    document = FactDocument({"a": 1}, "case.json")
    assert repr(document) == "FactDocument(data={'a': 1}, name='case.json')"
    assert document.locate(("a",)) is None and document == FactDocument({"a": 1}, "case.json")


def test_durations_compare_hash_show_and_pickle_by_their_three_fields() -> None:
    a = Duration(1, 2, 3)
    assert a == Duration(years=1, months=2, days=3) and hash(a) == hash(Duration(1, 2, 3))
    assert a != Duration(1, 2, 4) and a != (1, 2, 3) and Duration() == Duration(0, 0, 0)
    assert repr(a) == "Duration(years=1, months=2, days=3)"
    with pytest.raises(FrozenError):
        a.days = 4  # type: ignore[misc]
    with pytest.raises(AttributeError):
        a.weeks = 1  # type: ignore[attr-defined]
    assert not hasattr(a, "__dict__")
    copy = pickle.loads(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == a and type(copy) is Duration and pickle.loads(pickle.dumps(a, protocol=0)) == a


def test_an_unpickled_expressions_maps_are_rebuilt_when_first_read_keyed_by_its_own_nodes() -> None:
    expr = parse("count c in family.children: c.age < 21 and not x.y")
    checked = Checked(expr, t.NUMBER, {id(node): t.BOOLEAN for node in s.walk(expr)},
                      {id(node): Binding("fact", node.dotted) for node in s.walk(expr) if isinstance(node, s.Name)})
    copy = pickle.loads(pickle.dumps(checked, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy._stored is not None  # nothing rebuilt yet
    assert copy.reads("fact") == checked.reads("fact") == ["family.children", "c.age", "x.y"]
    assert copy._stored is None
    assert all(copy.type_of(node) == t.BOOLEAN for node in s.walk(copy.expr))
    assert set(copy.bindings) == {id(node) for node in s.walk(copy.expr) if isinstance(node, s.Name)}
    again = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(checked))))  # pickled again before any read
    assert again.expr == checked.expr and again.type == checked.type
    assert [again.bindings.get(id(n)) for n in s.walk(again.expr)] == [checked.bindings.get(id(n)) for n in s.walk(expr)]


def test_a_warm_evaluation_rebuilds_no_rules_maps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", str(tmp_path))
    load_cached()
    kb = load_cached()  # from the cache
    expressions = [checked for rule in kb.rules.values() for checked in (rule.when, rule.value, rule.otherwise)
                   if checked is not None]
    assert expressions
    kb.evaluate({"applicant": {"location": "inside_us"}}, as_of=date(2025, 9, 15)).to_dict()
    assert all(checked._stored is not None for checked in expressions)
