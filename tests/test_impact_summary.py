"""The one-pass summary: transitions and rule counts aggregated while the rules are evaluated, never from a
table of every case, and equal to the counts taken from that table (the way Spark counts them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import asylum_kb
import pytest

duckdb = pytest.importorskip("duckdb", reason="the impact extra (duckdb, pyarrow) is not installed")
pytest.importorskip("pyarrow", reason="the impact extra (duckdb, pyarrow) is not installed")

from asylum_kb.impact.run import ImpactResult, Run, Variant, facts_view, run_duckdb
from asylum_kb.impact.synth import write_population
from impact_population import write_parquet
from kbfiles import PARAMETERS, write_kb
from test_impact_differential import calendar_edge_cases

KB = asylum_kb.load()


def counted_from_a_per_case_table(variants: list[Variant], population: Path) -> ImpactResult:
    """The reference: every case's results in a table, then GROUP BY and count_if over it (Spark's way)."""
    run = Run(variants)
    con = duckdb.connect()
    facts_view(con, run, str(population))
    con.execute(f"CREATE TEMP TABLE results AS {run.query('impact_facts')}")
    transitions = con.execute(run.transitions_query("results")).fetchall()
    cursor = con.execute(run.applied_query("results"))
    applied = dict(zip([c[0] for c in cursor.description], cursor.fetchone() or ()))
    return run.summarise(transitions, applied, [], "duckdb")


def assert_same_counts(got: ImpactResult, expected: ImpactResult) -> None:
    assert got.cases == expected.cases
    assert got.applied == expected.applied
    assert got.transitions.keys() == expected.transitions.keys()
    for rule_id, rows in expected.transitions.items():
        assert got.transitions[rule_id] == rows, rule_id


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary") / "pop.parquet"
    write_population(3000, str(path), KB.catalog, 11)
    return path


@pytest.mark.parametrize("dates", [[date(2025, 7, 1), date(2026, 3, 1)], [date(2019, 6, 1), date(2024, 2, 29)],
                                   [date(2026, 3, 1)]], ids=["2025-2026", "2019-2024", "one-date"])
def test_one_pass_counts_equal_the_per_case_table(synthetic: Path, dates: list[date]) -> None:
    variants = [Variant(KB, day, str(day)) for day in dates]
    got = run_duckdb(variants, str(synthetic), sample=0)
    expected = counted_from_a_per_case_table(variants, synthetic)
    assert_same_counts(got, expected)
    # Members are counted, not cases: children change eligibility as they age.
    if len(dates) == 2:
        assert got.changed("family.derivative_children") > 0
        assert got.changed("asylum.one_year_deadline") > 0


def test_one_pass_counts_unknown_lists_dates_and_members(tmp_path: Path) -> None:
    source = write_parquet(KB, calendar_edge_cases() + [{}, {"family.children": []}], tmp_path / "edge.parquet")
    variants = [Variant(KB, date(2025, 2, 28), "a"), Variant(KB, date(2026, 3, 1), "b")]
    got = run_duckdb(variants, str(source), sample=0)
    assert_same_counts(got, counted_from_a_per_case_table(variants, source))
    members = got.transitions["family.derivative_children"]
    assert sum(t.count for t in members) == 5 * 4  # four children in each of five cases; none in the others


def test_one_pass_counts_two_rule_sets_with_booleans_and_members(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{"parameters.yaml": PARAMETERS.replace("value: 100", "value: 250")})
    kbs = [asylum_kb.load(old), asylum_kb.load(new)]
    population = [{"person.filed": date(2025, 8, 1), "person.location": "inside", "person.arrived": date(2025, 1, 1),
                   "person.persecutor": False, "person.kids": [{"name": "a", "born": date(2010, 1, 1)}, None]},
                  {"person.filed": date(2024, 1, 1), "person.location": "inside", "person.persecutor": True},
                  {"person.location": "outside"}, {}]
    source = write_parquet(kbs[0], population, tmp_path / "cases.parquet")
    variants = [Variant(kb, date(2025, 9, 1), str(number)) for number, kb in enumerate(kbs)]
    got = run_duckdb(variants, str(source), sample=0)
    assert_same_counts(got, counted_from_a_per_case_table(variants, source))
    assert got.changed("mini.fee") == 1
    assert sum(t.count for t in got.transitions["mini.kids"]) == 2


def test_a_summary_run_keeps_no_table_of_every_case(synthetic: Path) -> None:
    con = duckdb.connect()
    run_duckdb([Variant(KB, date(2025, 7, 1), "a"), Variant(KB, date(2026, 3, 1), "b")], str(synthetic), sample=0,
               connection=con)
    assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone() == (0,)


def test_the_facts_needed_sample_is_the_same_on_any_number_of_threads(synthetic: Path) -> None:
    variants = [Variant(KB, date(2026, 3, 1), "b")]
    one = run_duckdb(variants, str(synthetic), sample=50, threads=1)
    two = run_duckdb(variants, str(synthetic), sample=50, threads=2)
    assert one.sample == two.sample == 50
    assert one.facts_needed == two.facts_needed and one.facts_needed[0]
    assert run_duckdb(variants, str(synthetic), sample=5000).sample == 3000  # never more than the cases
