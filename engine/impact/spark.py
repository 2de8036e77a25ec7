"""The same compiled rules on Apache Spark: Spark SQL reads the population and evaluates every case.

Only the dialect differs from the DuckDB run (``dialect.SparkDialect``); the transitions and rule
counts come from the same SQL. ``master`` is a Spark master URL (``local[*]`` by default).
"""

from __future__ import annotations

import time
from typing import Any

from ..language.diagnostics import Diagnostic, FactsError
from .dialect import DIALECTS
from .population import base_select, check_columns, file_format
from .run import SAMPLE_SIZE, ImpactResult, Run, Variant, population_error


def session(master: str = "local[*]") -> Any:
    """A Spark session for population runs (quiet logs; dates in UTC so they are not shifted)."""
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master(master).appName("asylum-kb impact")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.log.level", "FATAL")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def load_population(spark: Any, path: str) -> Any:
    kind = file_format(path)
    if kind == "parquet":
        return spark.read.parquet(path)
    if kind == "jsonl":
        return spark.read.json(path)
    return spark.read.option("header", "true").option("inferSchema", "true").csv(path)


def run_spark(variants: list[Variant], population: str, spark: Any = None, output: str | None = None,
              sample: int = SAMPLE_SIZE) -> ImpactResult:
    """Evaluate a population file for each variant on Spark and summarise what changed."""
    started = time.perf_counter()
    run = Run(variants, DIALECTS["spark"])
    spark = spark or session()
    try:
        frame = load_population(spark, population)
    except Exception as exc:  # noqa: BLE001 - Spark raises many kinds; all mean the file cannot be read
        raise FactsError([Diagnostic("F311", f"cannot read the population: {str(exc).splitlines()[0]}",
                                     file=population)]) from None
    columns = {field.name: field.dataType.simpleString() for field in frame.schema.fields}
    check_columns(list(columns), [v.kb.catalog for v in variants], population)
    frame.createOrReplaceTempView("impact_population")
    try:
        facts = spark.sql(base_select(run.specs, columns, "impact_population", run.dialect))
        facts.createOrReplaceTempView("impact_facts")
        results = spark.sql(run.query("impact_facts")).cache()
        results.createOrReplaceTempView("impact_results")
        transitions = [tuple(row) for row in spark.sql(run.transitions_query("impact_results")).collect()]
        applied = spark.sql(run.applied_query("impact_results")).collect()[0].asDict()
        if output:
            names = ["id"] + [name for _, name in run.result_columns()]
            results.select(*[f"`{n}`" for n in names]).write.mode("overwrite").parquet(output)
        rows = [row.asDict(recursive=True) for row in facts.limit(sample).collect()] if sample > 0 else []
        results.unpersist()
    except Exception as exc:
        if type(exc).__module__.startswith(("pyspark", "py4j")):
            raise population_error(exc, population) from None
        raise
    result = run.summarise(transitions, applied, rows, "spark")
    result.seconds = time.perf_counter() - started
    return result
