"""Generated code: every name in the rules maps to its own Python identifier."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asylum_kb
from asylum_kb.language import types as t
from asylum_kb.language.codegen import _identifier
from asylum_kb.language.expression import compile_expression
from conftest import AS_OF
from hypothesis import given
from hypothesis import strategies as st
from kbfiles import PARAMETERS, RULES, write_kb

_NAME = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z0-9_]{1,4}){0,3}", fullmatch=True)


@given(_NAME, _NAME)
def test_distinct_names_get_distinct_identifiers(first: str, second: str) -> None:
    assert (_identifier("P", first) == _identifier("P", second)) == (first == second)
    assert _identifier("P", first).isidentifier()


def test_parameters_whose_ids_differ_only_in_dot_or_underscores_keep_their_own_values(tmp_path: Path) -> None:
    clashing = "\n".join(f"""\
  - id: {name}
    title: Clash {name}
    type: money
    citations: ["Fee law"]
    values:
      - from: 2000-01-01
        value: {value}
        citations: ["Fee law"]""" for name, value in (("zz.fee", 100), ("zz__fee", 900), ("zz_dfee", 50)))
    rules = RULES + "".join(f"""\
  - id: mini.{rule}
    title: Reads {name}
    kind: fee
    value: {name} at person.filed
    citations: ["Fee law"]
""" for rule, name in (("dot", "zz.fee"), ("underscores", "zz__fee"), ("escaped", "zz_dfee")))
    kb = asylum_kb.load(write_kb(tmp_path, **{"parameters.yaml": PARAMETERS + clashing + "\n", "rules.yaml": rules}))
    result = kb.evaluate({"person": {"filed": "2025-09-01"}}, as_of=date(2025, 9, 1))
    assert [result.value(f"mini.{rule}") for rule in ("dot", "underscores", "escaped")] == [100, 900, 50]
    fast = kb.values({"person.filed": date(2025, 9, 1)}, date(2025, 9, 1))
    assert [fast[f"mini.{rule}"] for rule in ("dot", "underscores", "escaped")] == [100, 900, 50]


def _nested_ifs(depth: int) -> str:
    text = "a"
    for level in range(depth):
        text = f"(if b then ({text} and a) else a)" if level % 2 else f"(a or {text})"
    return text


def test_the_generated_facts_needed_walk_grows_with_the_expression_not_exponentially() -> None:
    # Each branch of an `if` is written once: written once per arm, 30 nested levels gave 10,400 functions.
    types = {"a": t.BOOLEAN, "b": t.BOOLEAN}
    sizes = [len(compile_expression(_nested_ifs(depth), types, {}).program.source) for depth in (10, 20)]
    assert sizes[1] < 3 * sizes[0]
    compiled = compile_expression(_nested_ifs(40), types, {})
    values = compiled.program.values({}, AS_OF)
    assert compiled.program.needs_all({}, AS_OF, values, {"expr"}, lambda *found: None)[1]["expr"] == ["b", "a"]
