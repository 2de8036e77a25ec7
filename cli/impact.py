"""The ``asylum-kb impact`` and ``asylum-kb synth`` commands (population runs; the ``impact`` extra).

Registered on the main group by ``cli/main.py``; heavy imports happen only when a command runs.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from asylum_kb.cli.options import as_of_dates

_EXTRA = "population runs need the impact extra: pip install 'asylum-kb[impact]'"


def _require(module: str, hint: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise click.UsageError(hint)


@click.command("impact")
@click.argument("population", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", "dates", multiple=True, callback=as_of_dates,
              help="Evaluation date; give twice to compare two dates.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Rules directory; give twice to compare two rule sets on one date (default: the shipped one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write per-case results (id and each determination) to .parquet, .csv or .jsonl.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write the summary as Markdown (.md) or self-contained HTML (.html).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md", "html"]), default="text", show_default=True)
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option("--spark", "master", default=None, help="Spark master URL (implies --engine spark), e.g. local[*].")
@click.option("--threads", type=click.IntRange(1, 1024), default=None, help="DuckDB threads (default: every core).")
@click.option("--sample", type=click.IntRange(0, 100_000), default=200, show_default=True,
              help="Cases re-evaluated by the explaining engine to count the facts still needed.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def impact_command(population: str, dates: list[date], rule_dirs: tuple[str, ...], output: str | None,
                   report_path: str | None, fmt: str, engine: str, master: str | None, threads: int | None,
                   sample: int, debug: bool) -> None:
    """Evaluate a population file (Parquet, CSV, JSONL: one column per fact id) and count what changes.

    Compare two dates (--as-of A --as-of B) or two rule sets (--rules OLD --rules NEW --as-of A),
    or evaluate one date. Prints, per determination, how many cases went from each value to each other.
    """
    from .main import _fail, _load

    if master:
        engine = "spark"
    if not dates or len(dates) > 2 or len(rule_dirs) > 2 or (len(dates) == 2 and len(rule_dirs) == 2):
        raise click.UsageError("give --as-of once or twice, and --rules at most twice (two dates or two rule sets)")
    _require("duckdb", _EXTRA)
    if engine == "spark":
        _require("pyspark", "the Spark engine needs the spark extra: pip install 'asylum-kb[spark]'")
    if report_path and Path(report_path).suffix not in (".md", ".html"):
        raise click.UsageError("--report takes a .md or .html file")
    for path, option in ((output, "'-o' / '--output'"), (report_path, "'--report'")):
        if path and not Path(path).resolve().parent.is_dir():
            raise click.BadParameter(f"cannot write '{path}': its folder does not exist", param_hint=option)
    try:
        from asylum_kb.impact import run as impact_run
        from asylum_kb.impact import summary

        dirs = list(rule_dirs) or [None]
        kbs = [_load(d) for d in dirs]
        if len(kbs) == 2:
            variants = [impact_run.Variant(kb, dates[0], d or "shipped rules") for kb, d in zip(kbs, dirs)]
        else:
            variants = [impact_run.Variant(kbs[0], day, day.isoformat()) for day in dates]
        if engine == "spark":
            from asylum_kb.impact import spark

            result = spark.run_spark(variants, population, spark.session(master or "local[*]"), output, sample)
        else:
            result = impact_run.run_duckdb(variants, population, output, threads, sys.stderr.isatty(), sample)
        if report_path:
            Path(report_path).write_text(summary.render(result, Path(report_path).suffix[1:]), encoding="utf-8")
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    click.echo(summary.render(result, fmt), nl=False)


@click.command("synth")
@click.argument("count", type=click.IntRange(1, 1_000_000_000))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The population file to write: .parquet, .csv or .jsonl.")
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same cases.")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False),
              help="Rules directory whose facts to generate (default: the shipped knowledge base).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def synth_command(count: int, output: str, seed: int, rules_dir: str | None, debug: bool) -> None:
    """Write COUNT synthetic (invented) cases with realistic mixes, for benchmarks and demos."""
    from .main import _fail, _load

    _require("duckdb", _EXTRA)
    try:
        from asylum_kb.impact.synth import write_population

        write_population(count, output, _load(rules_dir).catalog, seed)
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    click.echo(f"wrote {count:,} synthetic cases to {output}", err=True)
