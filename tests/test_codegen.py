"""Generated code: every name in the rules maps to its own Python identifier."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asylum_kb
from asylum_kb.language.codegen import _identifier
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
