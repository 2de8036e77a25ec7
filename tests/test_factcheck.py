"""The compiled fact check agrees with the full validator on every document it accepts."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import asylum_kb
import pytest
from asylum_kb.kb import factcheck
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**13, 10**13), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["2025-07-22", "20250722", "2025-02-30", "inside_us", "outside_us", "pending", "race", "unhcr"]),
    st.lists(st.sampled_from(["race", "religion", "economic"]), max_size=3),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    st.lists(st.one_of(st.none(), st.integers(0, 3), st.fixed_dictionaries({}, optional={
        "name": st.one_of(st.none(), st.text(max_size=4), st.integers(0, 3)),
        "date_of_birth": st.sampled_from(["2010-01-01", "2010-02-30", None, 7]),
        "married": st.one_of(st.none(), st.booleans(), st.just("no")),
        "nickname": st.just("x")})), max_size=3),
)


def documents(kb: asylum_kb.KnowledgeBase) -> st.SearchStrategy[dict[str, Any]]:
    names = list(kb.catalog.facts) + ["applicant.nickname", "as_of"]

    def nest(flat: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in flat.items():
            *sections, leaf = name.split(".")
            node = out
            for section in sections:
                node = node.setdefault(section, {})
            node[leaf] = value
        return out

    return st.dictionaries(st.sampled_from(names), values, max_size=8).map(nest)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_check_accepts_only_what_the_full_validator_accepts_identically(
        kb: asylum_kb.KnowledgeBase, data: st.DataObject) -> None:
    document = data.draw(documents(kb))
    kb.catalog.validate({})  # compiles the fast check
    fast = kb.catalog._fast(document)
    try:
        full = _full(kb, document)
    except asylum_kb.FactsError:
        assert fast is None
        return
    assert fast is None or fast == full


def _full(kb: asylum_kb.KnowledgeBase, document: dict[str, Any]) -> Any:
    """The full validator alone (the fast check switched off)."""
    saved = kb.catalog._fast
    kb.catalog._fast = lambda _doc: None
    try:
        return kb.catalog.validate(document)
    finally:
        kb.catalog._fast = saved


def test_fast_check_takes_the_well_formed_example(kb: asylum_kb.KnowledgeBase) -> None:
    document = {"applicant": {"location": "inside_us", "last_arrival_date": "2024-11-02"},
                "claim": {"protected_grounds": ["race"]}, "bars": {"aggravated_felony_sentence_years": 3}}
    kb.catalog.validate({})
    assert kb.catalog._fast(document) == ({"applicant.location": "inside_us", "applicant.last_arrival_date": date(2024, 11, 2),
                                           "claim.protected_grounds": ["race"], "bars.aggravated_felony_sentence_years": 3},
                                          None)


def test_fast_check_takes_lists_of_records_as_the_full_validator_does(kb: asylum_kb.KnowledgeBase) -> None:
    children = [{"name": "Ana", "date_of_birth": "2006-05-01", "married": False}, None,
                {"name": "Luis", "married": None}]
    document = {"family": {"children": children}}
    kb.catalog.validate({})
    expected = ({"family.children": [{"name": "Ana", "date_of_birth": date(2006, 5, 1), "married": False}, None,
                                     {"name": "Luis"}]}, None)
    assert kb.catalog._fast(document) == expected
    assert _full(kb, document) == expected


def test_fast_check_leaves_a_bad_record_to_the_full_validator(kb: asylum_kb.KnowledgeBase) -> None:
    kb.catalog.validate({})
    for child in ({"name": "Ana", "nickname": "A"}, {"date_of_birth": "2006-02-30"}, "Ana", {"married": "no"}):
        document = {"family": {"children": [child]}}
        assert kb.catalog._fast(document) is None
        try:
            _full(kb, document)
        except asylum_kb.FactsError as error:
            assert error.diagnostics[0].code in ("F300", "F301")
        else:
            raise AssertionError(f"accepted {child!r}")


def test_the_fast_check_travels_compiled_in_a_pickle_so_a_cache_hit_compiles_nothing(
        kb: asylum_kb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    document = {"applicant": {"location": "inside_us", "last_arrival_date": "2024-11-02"}}
    data = pickle.dumps(kb.catalog)
    monkeypatch.setattr(factcheck, "compile", lambda *args: pytest.fail("compiled the fact check again"), raising=False)
    catalog = pickle.loads(data)
    assert catalog._fast(document) == kb.catalog._fast(document) is not None
    assert catalog.validate(document) == kb.catalog.validate(document)
