"""Population runs on demand: synthetic populations through the full knowledge base, end to end.

    python benchmarks/impact_bench.py --sizes 100000 1000000 10000000 [--spark 100000] [--row-engine 100000] [--repeat 3]

Each measurement is a fresh `asylum-kb` process (wall time, CPU time of all its threads, peak memory of
that process tree), from the Parquet file to the transition report for two as-of dates; with --repeat,
the medians of the runs. Prints a Markdown table and the load average before and after (the machine may
be shared: CPU seconds are the steadier figure then).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DATES = ["2025-07-01", "2026-03-01"]


def measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, all threads and children) and peak resident memory (MB)."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
               "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss, r.returncode)")
    out = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    seconds, cpu, peak_kb, code = out.stdout.split()
    if code != "0":
        raise SystemExit(f"failed ({code}): {' '.join(command)}")
    return float(seconds), float(cpu), int(peak_kb) / 1024


def jsonl_from_parquet(parquet: Path, target: Path, limit: int) -> None:
    """The same cases as fact documents, one JSON line each, for the row engine."""
    import pyarrow.parquet as pq

    with target.open("w", encoding="utf-8") as handle:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                doc: dict[str, object] = {"id": row.pop("id")}
                for name, value in row.items():
                    if value is None:
                        continue
                    node = doc
                    *sections, leaf = name.split(".")
                    for section in sections:
                        node = node.setdefault(section, {})  # type: ignore[assignment]
                    node[leaf] = value  # type: ignore[index]
                handle.write(json.dumps(doc, default=_plain) + "\n")
                limit -= 1
                if limit == 0:
                    return


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--spark", type=int, nargs="*", default=[], help="sizes to run on Spark local[*] too")
    parser.add_argument("--row-engine", type=int, default=0, help="cases for the row engine (eval --jobs 2)")
    parser.add_argument("--folder", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the table gives medians")
    args = parser.parse_args()
    folder = Path(args.folder)
    exe = str(Path(sys.executable).with_name("asylum-kb"))
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    rows = ["| run | cases | wall s | CPU s | cases/s (wall) | cases/s (CPU) | peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for size in sorted(set(args.sizes) | set(args.spark) | ({args.row_engine} if args.row_engine else set())):
        population = folder / f"impact-bench-{size}.parquet"
        if not population.exists():
            started = time.perf_counter()
            subprocess.run([exe, "synth", str(size), "-o", str(population), "--seed", "1"], check=True)
            print(f"synth {size:,}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        runs = []
        if size in args.sizes:
            runs.append(("DuckDB, two dates", [exe, "impact", str(population), "--as-of", DATES[0], "--as-of", DATES[1]]))
        if size in args.spark:
            runs.append(("Spark local[*], two dates", [exe, "impact", str(population), "--as-of", DATES[0],
                                                       "--as-of", DATES[1], "--spark", "local[*]"]))
        if size == args.row_engine:
            cases = folder / f"impact-bench-{size}.jsonl"
            if not cases.exists():
                jsonl_from_parquet(population, cases, size)
            runs.append(("row engine, eval --jobs 2, one date", [exe, "eval", str(cases), "--as-of", DATES[1],
                                                                "--jobs", "2"]))
        for name, command in runs:
            figures = [measure(command) for _ in range(args.repeat)]
            seconds, cpu, peak = (statistics.median(f[i] for f in figures) for i in range(3))
            rows.append(f"| {name} | {size:,} | {seconds:.2f} | {cpu:.2f} | {size / seconds:,.0f} | {size / cpu:,.0f} "
                        f"| {peak:,.0f} |")
            print(rows[-1], file=sys.stderr)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
