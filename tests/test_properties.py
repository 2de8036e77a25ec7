"""Property-based tests: random well-typed expressions never crash, print/parse round-trips, and the
values path agrees with the traced (three-valued) path on every expression, including ones built
around unknown operands on purpose, and on the real rules with sparse, boundary-date and per-child
cases; results read from the values path agree with results read from the traces."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import cache, partial
from typing import Any

import asylum_kb
from asylum_kb.kb.explain import RuleOutcome
from asylum_kb.language import syntax as s
from asylum_kb.language.expression import compile_expression
from asylum_kb.language.parser import parse
from asylum_kb.language.printer import to_text
from asylum_kb.language.syntax import trace_nodes
from asylum_kb.language.values import Duration
from conftest import AS_OF, FACT_TYPES, PARAMETERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
durations = st.builds(lambda n, unit: Duration(**{unit: n}), st.integers(0, 30), st.sampled_from(["years", "months", "days"]))


def _leaf(kind: str) -> st.SearchStrategy[s.Expr]:
    names = {"boolean": ["a", "b", "c"], "number": ["n", "m"], "date": ["d", "e"]}[kind]
    literal: dict[str, st.SearchStrategy[Any]] = {
        "boolean": st.booleans(),
        "number": st.one_of(st.integers(0, 10**6), st.decimals(0, 1000, places=2, allow_nan=False)),
        "date": dates,
    }
    return st.one_of(
        st.sampled_from(names).map(s.Name),
        literal[kind].map(s.Literal),
        st.just(s.Literal(None)),
    )


@cache
def expressions(kind: str, depth: int = 3) -> st.SearchStrategy[s.Expr]:
    if depth == 0:
        return _leaf(kind)
    sub = lambda k: expressions(k, depth - 1)
    options = [_leaf(kind), st.builds(s.IfThenElse, sub("boolean"), sub(kind), sub(kind))]
    if kind == "boolean":
        options += [
            st.builds(s.Not, sub("boolean")),
            st.lists(sub("boolean"), min_size=2, max_size=3).map(lambda xs: s.And(tuple(xs))),
            st.lists(sub("boolean"), min_size=2, max_size=3).map(lambda xs: s.Or(tuple(xs))),
            st.builds(s.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), sub("number"), sub("number")),
            st.builds(s.Compare, st.sampled_from(["<", ">="]), sub("date"), sub("date")),
            st.builds(lambda x: s.Call("is_known", (x,)), sub("number")),
            st.builds(lambda body: s.Quantifier("any", "k", s.Name("kids"), body),
                      st.builds(s.Compare, st.just("<"), st.just(s.Name("k.age")), sub("number"))),
        ]
    elif kind == "number":
        options += [
            st.builds(s.Arith, st.sampled_from(["+", "-", "*", "/"]), sub("number"), sub("number")),
            st.builds(s.Negate, sub("number")),
            st.builds(lambda x, y: s.Arith("-", x, y), sub("date"), sub("date")),
            st.builds(lambda x, y: s.Call("days_between", (x, y)), sub("date"), sub("date")),
            st.builds(lambda x, y: s.Call("coalesce", (x, y)), sub("number"), sub("number")),
            st.builds(lambda x: s.Lookup(s.Name("fee.i589"), x), sub("date").filter(lambda e: isinstance(e, (s.Name, s.Literal)))),
            st.builds(lambda body: s.Quantifier("count", "k", s.Name("kids"), body),
                      st.builds(s.Compare, st.just(">"), st.just(s.Name("k.age")), sub("number"))),
        ]
    else:
        options += [
            st.builds(lambda x, y: s.Arith("+", x, s.Literal(y)), sub("date"), durations),
            st.builds(lambda x, y: s.Arith("-", x, s.Literal(y)), sub("date"), durations),
        ]
    return st.one_of(options)


any_expression = st.sampled_from(["boolean", "number", "date"]).flatmap(expressions)

facts = st.fixed_dictionaries({}, optional={
    "a": st.booleans(), "b": st.booleans(), "c": st.booleans(),
    "n": st.integers(-1000, 10**6), "m": st.decimals(-1000, 1000, places=2, allow_nan=False),
    "d": dates, "e": dates,
    "kids": st.lists(st.fixed_dictionaries({}, optional={"age": st.integers(0, 40)}), max_size=3),
})


def _no_negative_literals(expr: s.Expr) -> bool:
    return not any(isinstance(n, s.Literal) and isinstance(n.value, (int, Decimal)) and not isinstance(n.value, bool)
                   and n.value < 0 for n in s.walk(expr))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_expression)
def test_printing_and_reparsing_gives_the_same_tree(expr: s.Expr) -> None:
    assert _no_negative_literals(expr)
    assert parse(to_text(expr)) == expr


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_expression, facts)
def test_well_typed_expressions_never_crash_and_both_paths_agree(expr: s.Expr, case: dict[str, Any]) -> None:
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    three_valued = compiled.evaluate(case, AS_OF)
    assert compiled.value(case, AS_OF) == three_valued
    compiled.trace(case, AS_OF)


@settings(max_examples=200, deadline=None)
@given(expressions("boolean"), facts)
def test_known_inputs_never_give_unknown_without_an_unknown_literal_or_undefined_operation(
        expr: s.Expr, case: dict[str, Any]) -> None:
    complete = {"a": True, "b": False, "c": True, "n": 3, "m": Decimal("2.5"), "d": date(2025, 1, 1),
                "e": date(2024, 6, 1), "kids": [{"age": 3}], **case}
    complete["kids"] = [{"age": k.get("age", 1)} for k in complete["kids"]]
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    has_gap = any(isinstance(n, s.Literal) and n.value is None for n in s.walk(expr)) or any(
        isinstance(n, (s.Lookup, s.Arith)) for n in s.walk(expr))
    value = compiled.evaluate(complete, AS_OF)
    assert value is not None or has_gap


# Unknown operands on purpose (not only by chance): each strict operation gets one, and must be unknown.
unknown_numbers = st.sampled_from([s.Call("coalesce", (s.Name("n"), s.Name("n"))), s.Literal(None), s.Name("n"),
                                   s.Call("coalesce", (s.Literal(None), s.Name("n")))])
unknown_dates = st.sampled_from([s.Call("coalesce", (s.Name("d"), s.Name("d"))), s.Name("d"), s.Literal(None)])


def _either_side(op: st.SearchStrategy[str], unknown: st.SearchStrategy[s.Expr], known: st.SearchStrategy[s.Expr],
                 build: Any) -> st.SearchStrategy[s.Expr]:
    return st.one_of(st.builds(build, op, unknown, known), st.builds(build, op, known, unknown))


strict_on_unknown = st.one_of(
    _either_side(st.sampled_from(["+", "-", "*", "/"]), unknown_numbers, expressions("number", 2), s.Arith),
    _either_side(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), unknown_numbers, expressions("number", 2), s.Compare),
    _either_side(st.sampled_from(["<", ">="]), unknown_dates, expressions("date", 2), s.Compare),
    _either_side(st.just("-"), unknown_dates, expressions("date", 2), s.Arith),
    st.builds(lambda x, y: s.Arith("+", x, s.Literal(y)), unknown_dates, durations),
    st.builds(s.Negate, unknown_numbers),
    st.builds(lambda x, y: s.Call("days_between", (x, y)), unknown_dates, expressions("date", 2)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strict_on_unknown, facts, st.sampled_from(["top", "sum", "if", "coalesce"]))
def test_arithmetic_and_comparison_on_unknowns_are_unknown_on_both_paths(
        expr: s.Expr, case: dict[str, Any], context: str) -> None:
    case = {k: v for k, v in case.items() if k not in ("n", "d")}
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    assert compiled.value(case, AS_OF) is None
    assert compiled.evaluate(case, AS_OF) is None
    around = {"number": s.Arith("+", s.Literal(0), expr), "boolean": s.And((s.Literal(True), expr)),
              "date": s.Arith("+", expr, s.Literal(Duration(days=1)))}.get(compiled.type.kind, expr)
    wrapped = {  # the unknown travels on through the operations around it
        "top": expr,
        "sum": around,
        "if": s.IfThenElse(s.Name("a"), expr, expr),
        "coalesce": s.Call("coalesce", (expr, expr)),
    }[context]
    compiled = compile_expression(to_text(wrapped), FACT_TYPES, PARAMETERS)
    assert compiled.value(case, AS_OF) == compiled.evaluate(case, AS_OF)
    assert compiled.value(case, AS_OF) is None


# The real rules: complete, sparse, boundary-date and per-child cases.
complete_documents = st.fixed_dictionaries({
    "applicant": st.fixed_dictionaries({
        "location": st.sampled_from(["inside_us", "at_port_of_entry", "outside_us"]),
        "last_arrival_date": st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 6, 1)),
        "unaccompanied_child": st.booleans(), "in_removal_proceedings": st.booleans()}),
    "entry": st.fixed_dictionaries({k: st.booleans() for k in (
        "southwest_border", "between_ports", "cbp_one_appointment", "used_parole_process", "transited_third_country",
        "denied_protection_in_transit_country", "exceptionally_compelling_circumstances")}),
    "claim": st.fixed_dictionaries({
        "protected_grounds": st.lists(st.sampled_from(["race", "religion", "political_opinion"]), max_size=2),
        **{k: st.booleans() for k in ("past_persecution", "well_founded_fear", "government_unable_or_unwilling_to_protect",
                                      "persecution_more_likely_than_not", "torture_more_likely_than_not",
                                      "torture_by_or_with_acquiescence_of_official")}}),
    "deadline_exceptions": st.fixed_dictionaries({k: st.booleans() for k in (
        "changed_circumstances", "extraordinary_circumstances", "filed_within_reasonable_period")}),
    "bars": st.fixed_dictionaries({"aggravated_felony_sentence_years": st.integers(0, 20), **{k: st.booleans() for k in (
        "persecutor", "particularly_serious_crime", "aggravated_felony", "serious_nonpolitical_crime", "danger_to_security",
        "terrorist_activity", "firmly_resettled", "previously_denied_asylum", "removable_to_safe_third_country")}}),
    "application": st.fixed_dictionaries({
        "status": st.sampled_from(["not_filed", "pending", "granted", "denied"]),
        "filing_date": st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 6, 1)),
        "grant_date": st.dates(min_value=date(2000, 1, 1), max_value=date(2026, 6, 1)),
        "ead_clock_delay_days": st.integers(0, 400)}),
    "refugee": st.fixed_dictionaries({"referral": st.sampled_from(["none", "unhcr", "p2_group"])}),
    "family": st.fixed_dictionaries({"spouse": st.fixed_dictionaries({"married_on": st.dates(min_value=date(1990, 1, 1))}),
                                     "children": st.lists(st.fixed_dictionaries({
                                         "name": st.sampled_from(["A", "B"]), "date_of_birth": st.dates(min_value=date(1995, 1, 1),
                                                                                                      max_value=date(2025, 1, 1)),
                                         "married": st.booleans()}), max_size=3)}),
})


def _boundary_dates(kb: asylum_kb.KnowledgeBase) -> list[date]:
    """Every date where something changes (eras, rules in force, parameter values), with the days either side."""
    days = {era.start for era in kb.eras} | {era.end for era in kb.eras if era.end}
    days |= {d for rule in kb.rules.values() for d in (rule.effective_from, rule.effective_to) if d}
    days |= {value.start for parameter in kb.parameters.values() for value in parameter.values}
    return sorted({day + timedelta(days=k) for day in days for k in (-1, 0, 1)})


def _case(kb: asylum_kb.KnowledgeBase, data: st.DataObject) -> tuple[dict[str, Any], date]:
    boundaries = st.sampled_from(_boundary_dates(kb))
    as_of = data.draw(st.one_of(boundaries, st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 1, 1))), "as_of")
    document = data.draw(complete_documents, "complete")
    application = document["application"]
    if data.draw(st.booleans(), "dates at boundaries"):
        for section, key in (("applicant", "last_arrival_date"), ("application", "filing_date"),
                             ("application", "grant_date")):
            document[section][key] = data.draw(boundaries, key)
        # filed exactly around the one-year deadline
        arrival = document["applicant"]["last_arrival_date"]
        offset = data.draw(st.integers(-2, 2), "filing offset")
        application["filing_date"] = arrival.replace(year=arrival.year + 1) + timedelta(days=offset) \
            if not (arrival.month == 2 and arrival.day == 29) else arrival + timedelta(days=365 + offset)
    children = data.draw(st.lists(st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        "name": st.sampled_from(["Ana", "Luis", "Mia"]),
        "age_offset_days": st.integers(-2, 2),  # born about 21 years before the filing date
        "married": st.booleans()})), max_size=4), "children")
    for child in children:
        if child and "age_offset_days" in child:
            filing = application["filing_date"]
            born = filing.replace(year=filing.year - 21) if not (filing.month == 2 and filing.day == 29) else filing - timedelta(days=7670)
            child["date_of_birth"] = born + timedelta(days=child.pop("age_offset_days"))
    document["family"]["children"] = children
    leaves = sorted(f"{section}.{key}" for section, facts in document.items() for key in facts)
    for leaf in data.draw(st.sets(st.sampled_from(leaves)), "unknown facts"):
        section, key = leaf.split(".", 1)
        document[section].pop(key)
    return document, as_of


def _shape(outcome: RuleOutcome) -> tuple[Any, ...]:
    items = [(label, item.status, item.value, item.facts_needed) for label, item in outcome.items]
    return outcome.status, outcome.value, outcome.defeated_by, outcome.facts_needed, items


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_values_path_and_results_agree_with_the_traced_path_on_the_real_rules(
        kb: asylum_kb.KnowledgeBase, data: st.DataObject) -> None:
    document, as_of = _case(kb, data)
    facts, _ = kb.catalog.validate(document)
    values, traces = kb.program.traced(facts, as_of)
    assert kb.values(facts, as_of) == values
    for rule_id in kb.rules:  # one rule traced alone = its part of the whole trace
        assert kb.program.traces(facts, as_of, values, [rule_id]) == {rule_id: traces[rule_id]}, rule_id
    result = kb.evaluate(document, as_of=as_of)
    for rule in kb.rules.values():  # outcomes read from values and conditions = outcomes read from traces
        quick = result.explainer._untraced(rule)
        traced = result.explainer._build(rule)
        assert quick is None or _shape(quick) == _shape(traced), rule.id
        assert kb.evaluate(document, as_of=as_of).explainer.status(rule.id) == traced.status, rule.id
    full = kb.evaluate(document, as_of=as_of).to_dict()
    brief = kb.evaluate(document, as_of=as_of).to_dict(values_only=True)
    assert brief["determinations"] == {rule_id: {key: d[key] for key in ("value", "status", "facts_needed", "decided_by")
                                                 if key in d}
                                       for rule_id, d in full["determinations"].items()}
    assert brief["facts_needed"] == full["facts_needed"]
    assert {k: brief[k] for k in ("as_of", "kb_version", "eras")} == {k: full[k] for k in ("as_of", "kb_version", "eras")}


def _unknown_rule(explainer: Any, rule_id: str) -> bool:
    value = explainer.values.get(rule_id)
    return value is None or bool(explainer.rules[rule_id].for_each and None in value)


def _walked_rule_needs(rule: Any, trace: tuple[Any, ...], value: Any, explainer: Any,
                       context: tuple[str, str, int] | None, walked: dict[tuple[str, str], Any]) -> list[str]:
    """What a rule (or one item of a per-item rule) needs, by the tree walk: the condition while unknown, then the
    branches it could take, or the exceptions that could defeat a yes/no rule whose condition may hold."""
    if value is not None:
        return []
    when_trace, value_trace, otherwise_trace = trace
    condition = when_trace[0] if rule.when is not None else True
    walk = partial(_walked_needs, derived=explainer.facts_needed, context=context, outside_calendar=walked, rule_id=rule.id,
                   facts=explainer.facts, unknown_rule=partial(_unknown_rule, explainer))
    needed = walk(rule.when, when_trace) if condition is None else []
    if not rule.boolean:
        if condition is not False:
            needed += walk(rule.value, value_trace)
        if condition is not True:
            needed += walk(rule.otherwise, otherwise_trace)
    elif condition is not False:
        needed += [n for d in rule.defeated_by if _unknown_rule(explainer, d) for n in explainer.facts_needed(d)]
    return list(dict.fromkeys(needed))


def _walked_needs(checked: Any, trace: tuple[Any, ...] | None, derived: Any,
                  context: tuple[str, str, int] | None, outside_calendar: dict[Any, Any], rule_id: str = "expr",
                  facts: dict[str, Any] | None = None, unknown_rule: Any = None) -> list[str]:
    """The facts-needed walk as it was before it was compiled: over the syntax tree, by node identity.
    Date sums with known operands and no value land in ``outside_calendar`` ((rule id, text) → facts read).
    ``facts`` and ``unknown_rule(rule id)`` say what a quantifier's body (not traced) reads that is unknown; a
    per-item rule's list is unknown while any of its items is."""
    if checked is None or trace is None:
        return []
    values = {id(node): value for node, value in zip(trace_nodes(checked.expr), trace)}
    if values.get(id(checked.expr), 0) is not None:
        return []
    out: list[str] = []
    stack = [checked.expr]
    while stack:
        node = stack.pop()
        binding = checked.bindings.get(id(node)) if isinstance(node, s.Name) else None
        if binding is not None and binding.kind == "derived" and unknown_rule is not None:
            if not unknown_rule(binding.target):
                continue
        elif values.get(id(node), 0) is not None and id(node) in values:
            continue
        if isinstance(node, s.Arith) and checked.type_of(node).kind == "date" and id(node) in values \
                and all(values.get(id(part)) is not None for part in (node.left, node.right)):
            read = {}
            for name in s.walk(node):
                found = checked.bindings.get(id(name)) if isinstance(name, s.Name) else None
                if found is not None and found.kind == "fact":
                    read[found.target] = values.get(id(name))
            outside_calendar.setdefault((rule_id, to_text(node)), read)
        elif isinstance(node, s.Name):
            binding = checked.bindings.get(id(node))
            if binding is None:
                continue
            if binding.kind == "fact":
                out.append(binding.target)
            elif binding.kind == "derived":
                out += derived(binding.target)
            elif binding.kind == "var" and context is not None and binding.target == context[0] and binding.field:
                out.append(f"{context[1]}[{context[2]}].{binding.field}")
        elif isinstance(node, s.Quantifier):
            if values.get(id(node.items)) is None:
                stack.append(node.items)
            else:
                items_name = node.items.dotted if isinstance(node.items, s.Name) else "items"
                items = values[id(node.items)]
                read = [checked.bindings[id(n)] for n in s.walk(node.body) if isinstance(n, s.Name) and id(n) in checked.bindings]
                fields = [b.field for b in read if b.kind == "var" and b.target == node.var and b.field]
                out += [f"{items_name}[*].{f}" for f in dict.fromkeys(fields)
                        if any(item is None or item.get(f) is None for item in items)]
                out += [f for f in dict.fromkeys(b.target for b in read if b.kind == "fact") if (facts or {}).get(f) is None]
                for rule in dict.fromkeys(b.target for b in read if b.kind == "derived"):
                    if unknown_rule is None or unknown_rule(rule):
                        out += derived(rule)
        elif isinstance(node, s.IfThenElse):
            condition = values.get(id(node.condition))
            branches = [node.then if condition else node.otherwise] if condition in (True, False) \
                else [node.condition, node.then, node.otherwise]
            stack.extend(reversed(branches))
        elif isinstance(node, s.Lookup):
            stack.append(node.when)
        else:
            stack.extend(reversed(s.children(node)))
    return list(dict.fromkeys(out))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_facts_needed_and_bulk_statuses_agree_with_the_tree_walk_on_the_real_rules(
        kb: asylum_kb.KnowledgeBase, data: st.DataObject) -> None:
    document, as_of = _case(kb, data)
    result = kb.evaluate(document, as_of=as_of)
    explainer = result.explainer
    for rule in kb.rules.values():
        trace = explainer.trace(rule.id)
        if trace is None:
            continue
        walked: dict[tuple[str, str], Any] = {}
        outcome = explainer.summary(rule.id)
        if rule.for_each:
            items_trace, per_item = trace
            items_name = rule.items.expr.dotted if isinstance(rule.items.expr, s.Name) else "items"
            values = result.values[rule.id]
            expected = [_walked_rule_needs(rule, item_trace, values[i] if values is not None and i < len(values) else None,
                                           explainer, (rule.for_each["var"], items_name, i), walked)
                        for i, item_trace in enumerate(per_item)]
            assert [item.facts_needed for _, item in outcome.items] == expected, rule.id
            needed = list(dict.fromkeys(n for found in expected for n in found))
            if result.values[rule.id] is None and not needed:
                needed = _walked_needs(rule.items, items_trace, explainer.facts_needed, None, walked, rule.id,
                                       explainer.facts, partial(_unknown_rule, explainer))
            assert outcome.facts_needed == needed, rule.id
        else:
            assert outcome.facts_needed == _walked_rule_needs(rule, trace, result.values[rule.id], explainer, None,
                                                              walked), rule.id
        assert all(explainer.outside_calendar[key] == read for key, read in walked.items())
    fresh = kb.evaluate(document, as_of=as_of).explainer
    assert fresh.statuses() == {rule_id: explainer.status(rule_id) for rule_id in kb.rules}


def _generated_needs(compiled: Any, case: dict[str, Any], found: dict[tuple[str, str], Any]) -> list[str]:
    """What the generated ``needs_all`` of a one-expression program finds the expression needs for ``case``."""
    values = compiled.program.values(case, AS_OF)
    needed = compiled.program.needs_all(case, AS_OF, values, {"expr"},
                                        lambda rule_id, text, read: found.setdefault((rule_id, text), read))[1]
    return needed.get("expr", [])


def _assert_both_walks_agree(expr: s.Expr, case: dict[str, Any]) -> None:
    """The generated walk and the tree walk find the same facts needed and the same date sums outside the calendar."""
    compiled = compile_expression(to_text(expr), FACT_TYPES, PARAMETERS)
    recorded = compiled.program.traced(case, AS_OF)[1]["expr"][1]
    generated_found: dict[tuple[str, str], Any] = {}
    walked_found: dict[tuple[str, str], Any] = {}
    assert _generated_needs(compiled, case, generated_found) == _walked_needs(
        compiled.checked, recorded, lambda rule_id: [], None, walked_found, facts=case)
    assert generated_found == walked_found


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_expression, facts)
def test_compiled_facts_needed_agrees_with_the_tree_walk_on_random_expressions(expr: s.Expr, case: dict[str, Any]) -> None:
    _assert_both_walks_agree(expr, case)


extreme_facts = st.fixed_dictionaries({}, optional={
    "d": st.dates(min_value=date(9970, 1, 1)), "e": st.dates(max_value=date(1, 6, 1)), "n": st.integers(-10, 10)})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions("date"), extreme_facts)
def test_date_sums_outside_the_calendar_are_found_by_the_compiled_walk_as_by_the_tree_walk(
        expr: s.Expr, case: dict[str, Any]) -> None:
    _assert_both_walks_agree(expr, case)


def test_a_date_sum_past_the_calendar_is_reported_with_the_facts_it_read() -> None:
    compiled = compile_expression("d + 30 years", FACT_TYPES, PARAMETERS)
    found: dict[tuple[str, str], Any] = {}
    assert _generated_needs(compiled, {"d": date(9990, 1, 1)}, found) == []
    assert found == {("expr", "d + 30 years"): {"d": date(9990, 1, 1)}}
