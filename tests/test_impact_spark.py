"""The same compiled rules on Spark (local mode) give the row engine's value for every case and determination.

Skipped, with the reason, where pyspark or Java is missing; CI installs both (.ci/run).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import asylum_kb
import pytest

pytest.importorskip("duckdb", reason="the impact extra (duckdb, pyarrow) is not installed")
pytest.importorskip("pyspark", reason="the spark extra (pyspark) is not installed")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java (Debian: default-jre-headless)", allow_module_level=True)

from asylum_kb.impact.run import Variant
from asylum_kb.impact.spark import run_spark, session
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from impact_population import backend_answers, cases, write_parquet
from test_impact_differential import AS_OF, DATES, KB, calendar_edge_cases, compare


@pytest.fixture(scope="module")
def spark() -> Any:
    spark = session("local[2]")
    yield spark
    spark.stop()


def run_and_compare(spark: Any, population: list[dict[str, Any]], dates: list[date], folder: Path) -> None:
    source = write_parquet(KB, population, folder / "population.parquet")
    output = folder / "results"
    run_spark([Variant(KB, day, str(day)) for day in dates], str(source), spark, str(output), sample=0)
    compare(KB, population, dates, backend_answers(KB, output, len(dates)))


# Few examples and no shrinking: each Spark run takes seconds (the DuckDB test explores far more cases).
@settings(max_examples=3, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                HealthCheck.function_scoped_fixture])
@given(population=st.lists(cases(KB, DATES), min_size=5, max_size=25), first=AS_OF, second=AS_OF)
def test_spark_matches_row_engine_on_generated_populations(spark: Any, population: list[dict[str, Any]], first: date,
                                                           second: date) -> None:
    with TemporaryDirectory() as folder:
        run_and_compare(spark, population, [first, second], Path(folder))


def test_spark_matches_row_engine_on_the_examples_and_leap_days(spark: Any, tmp_path: Path) -> None:
    import yaml

    population = calendar_edge_cases()
    for path in sorted(Path(__file__).parent.parent.joinpath("examples").glob("*.yaml")):
        population.append(KB.catalog.validate(yaml.safe_load(path.read_text(encoding="utf-8")))[0])
    run_and_compare(spark, population, [date(2025, 7, 1), date(2026, 3, 1)], tmp_path)


def test_spark_stops_on_a_value_outside_the_catalog(spark: Any, tmp_path: Path) -> None:
    source = tmp_path / "bad.parquet"
    write_parquet(KB, [{"applicant.location": "inside_us"}], source)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(source)
    index = table.column_names.index("applicant.location")
    pq.write_table(table.set_column(index, "applicant.location", pa.array(["mars"])), source)
    with pytest.raises(asylum_kb.FactsError) as caught:
        run_spark([Variant(KB, date(2025, 1, 1), "a")], str(source), spark, sample=0)
    assert caught.value.diagnostics[0].code == "F312"
