"""Differential tests: the SQL backends give the row engine's value for every case and every determination."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import asylum_kb
import pytest

pytest.importorskip("duckdb", reason="the impact extra (duckdb, pyarrow) is not installed")
pytest.importorskip("pyarrow", reason="the impact extra (duckdb, pyarrow) is not installed")

from asylum_kb.impact.run import Variant, run_duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from impact_population import backend_answers, boundary_dates, cases, row_engine_answers, write_parquet
from kbfiles import write_kb

KB = asylum_kb.load()
DATES = boundary_dates(KB)
AS_OF = st.sampled_from([d for d in DATES if date(2015, 1, 1) <= d <= date(2027, 12, 31)]) | st.dates(
    date(2015, 1, 1), date(2027, 12, 31))


def compare(kb: asylum_kb.KnowledgeBase, population: list[dict[str, Any]], dates: list[date],
            got: list[list[dict[str, Any]]]) -> None:
    assert len(got) == len(population)
    for number, (flat, answers) in enumerate(zip(population, got)):
        for day, answer in zip(dates, answers):
            expected = row_engine_answers(kb, flat, day)
            differences = {k: (answer[k], v) for k, v in expected.items() if answer[k] != v}
            assert not differences, f"case {number} as of {day}: {differences}\nfacts: {flat}"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(population=st.lists(cases(KB, DATES), min_size=1, max_size=20), first=AS_OF, second=AS_OF)
def test_duckdb_matches_row_engine_on_every_case_and_determination(population: list[dict[str, Any]], first: date,
                                                                   second: date) -> None:
    with TemporaryDirectory() as folder:
        source = write_parquet(KB, population, Path(folder) / "population.parquet")
        output = Path(folder) / "results.parquet"
        run_duckdb([Variant(KB, first, "a"), Variant(KB, second, "b")], str(source), str(output), sample=0)
        compare(KB, population, [first, second], backend_answers(KB, output, 2))


def test_duckdb_matches_row_engine_on_the_examples(tmp_path: Path) -> None:
    import yaml

    population = []
    for path in sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml")):
        flat, _ = KB.catalog.validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        population.append(flat)
    source = write_parquet(KB, population, tmp_path / "examples.parquet")
    dates = [date(2023, 5, 11), date(2025, 7, 4), date(2026, 3, 1)]
    for day in dates:
        output = tmp_path / f"out-{day}.parquet"
        run_duckdb([Variant(KB, day, str(day))], str(source), str(output), sample=0)
        compare(KB, population, [day], backend_answers(KB, output, 1))


def calendar_edge_cases() -> list[dict[str, Any]]:
    """Leap-day birthdays and arrivals against filings on the days around their anniversaries."""
    population = []
    for filed in (date(2025, 2, 27), date(2025, 2, 28), date(2025, 3, 1), date(2024, 2, 28), date(2024, 2, 29)):
        population.append({
            "applicant.location": "inside_us", "applicant.last_arrival_date": date(2024, 2, 29),
            "application.filing_date": filed, "application.status": "pending",
            "family.children": [{"name": "leap", "date_of_birth": date(2004, 2, 29), "married": False},
                                {"name": "day after", "date_of_birth": date(2004, 3, 1), "married": False},
                                {"date_of_birth": date(2003, 2, 28)}, None],
        })
    return population


def test_duckdb_matches_row_engine_on_leap_days(tmp_path: Path) -> None:
    population = calendar_edge_cases()
    source = write_parquet(KB, population, tmp_path / "leap.parquet")
    output = tmp_path / "out.parquet"
    dates = [date(2025, 9, 15), date(2026, 3, 1)]
    run_duckdb([Variant(KB, day, str(day)) for day in dates], str(source), str(output), sample=0)
    compare(KB, population, dates, backend_answers(KB, output, 2))


def test_duckdb_keeps_the_calendar_rules(tmp_path: Path) -> None:
    """2024-02-29 + 1 year is 2025-02-28, and a Feb 29 birthday is reached on Feb 28 in common years."""
    kb = asylum_kb.load(write_kb(tmp_path))
    population = [{"person.arrived": date(2024, 2, 29), "person.filed": filed, "person.location": "inside",
                   "person.persecutor": False, "person.excused": False,
                   "person.kids": [{"name": "leap", "born": date(2004, 2, 29)}, None]}
                  for filed in (date(2025, 2, 27), date(2025, 2, 28), date(2025, 3, 1))]
    source = write_parquet(kb, population, tmp_path / "leap.parquet")
    output = tmp_path / "out.parquet"
    run_duckdb([Variant(kb, date(2025, 9, 1), "a")], str(source), str(output), sample=0)
    got = [answers[0] for answers in backend_answers(kb, output, 1)]
    compare(kb, population, [date(2025, 9, 1)], [[answers] for answers in got])
    assert [case["mini.eligibility"] for case in got] == ["eligible", "eligible", "ineligible"]
    assert [case["mini.kids"][0]["value"] for case in got] == ["included", "not_eligible", "not_eligible"]
    assert got[0]["mini.kids"][1] == {"name": "#2", "value": "undetermined"}


def test_duckdb_and_the_row_engine_agree_on_dates_outside_the_calendar(tmp_path: Path) -> None:
    """A date sum past 9999-12-31 has no value on every path (docs/engine.md), and the row engine says why (W101)."""
    from kbfiles import RULES

    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": RULES.replace("+ 1 year", "+ 9000 years")}))
    population = [{"person.arrived": arrived, "person.filed": date(2025, 9, 1), "person.location": "inside",
                   "person.persecutor": False, "person.excused": False, "person.kids": []}
                  for arrived in (date(2025, 1, 1), date(999, 1, 1))]
    source = write_parquet(kb, population, tmp_path / "far.parquet")
    output = tmp_path / "out.parquet"
    run_duckdb([Variant(kb, date(2025, 9, 1), "a")], str(source), str(output), sample=0)
    got = [answers[0] for answers in backend_answers(kb, output, 1)]
    compare(kb, population, [date(2025, 9, 1)], [[answers] for answers in got])
    assert [case["mini.eligibility"] for case in got] == ["undetermined", "eligible"]  # 0999 + 9000 years is in range
    warnings = [w.as_dict() for w in kb.evaluate({"person": {"arrived": "2025-01-01", "filed": "2025-09-01",
                                                              "location": "inside", "persecutor": False,
                                                              "excused": False, "kids": []}},
                                                 as_of="2025-09-01").warnings]
    assert [(w["code"], w["rule"], w["facts"]) for w in warnings] == [("W101", "mini.late", {"person.arrived": "2025-01-01"})]
