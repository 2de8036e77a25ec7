"""The CLI on large JSON Lines batches (cases per second, peak memory).

usage: python benchmarks/batch_bench.py [--sizes 100000 1000000] [--jobs 1 2]
                                        [-- EXTRA EVAL OPTIONS, e.g. --values-only]

Cases are generated from the facts catalog of the shipped knowledge base, seeded: a third sparse
(a few facts known), a third complete, a third complete with children. Each batch runs as
`asylum-kb eval FILE --as-of 2025-09-15 --jobs N > /dev/null` under /usr/bin/time -v (peak RSS of the
largest process) when it exists, else with resource.getrusage. The start-up of a one-case `eval` is
measured by benchmarks/startup_bench.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asylum_kb
from asylum_kb.kb.factspec import FactSpec

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "asylum-kb")
AS_OF = "2025-09-15"


def _value(spec: FactSpec, rng: random.Random) -> Any:
    if spec.kind == "boolean":
        return rng.random() < 0.3
    if spec.kind in ("number", "integer", "money"):
        return rng.randint(int(spec.minimum or 0), int(min(spec.maximum or 20, 20)))
    if spec.kind == "enum":
        return rng.choice(spec.values)
    if spec.kind == "date":
        return (date(2014, 1, 1) + timedelta(days=rng.randint(0, 12 * 365))).isoformat()
    if spec.kind == "string":
        return rng.choice(["Ana", "Luis", "Maria", "Yusuf"])
    if spec.kind == "list" and spec.items is not None:
        count = rng.randint(1, min(3, spec.max_items))
        return list(dict.fromkeys(_value(spec.items, rng) for _ in range(count))) if spec.items.kind == "enum" \
            else [_value(spec.items, rng) for _ in range(count)]
    return {field.name: _value(field, rng) for field in spec.fields}


def case(kb: asylum_kb.KnowledgeBase, rng: random.Random, number: int) -> dict[str, Any]:
    """One realistic case: sparse, complete, or complete with children."""
    shape = number % 3
    document: dict[str, Any] = {"id": f"case-{number}"}
    for name, spec in kb.catalog.facts.items():
        if shape == 0 and rng.random() > 0.2:
            continue
        if spec.kind == "list" and spec.items is not None and spec.items.kind == "record" and shape != 2:
            continue
        *sections, leaf = name.split(".")
        node = document
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = _value(spec, rng)
    return document


def write_cases(kb: asylum_kb.KnowledgeBase, path: Path, count: int) -> None:
    rng = random.Random(42)
    templates = [json.dumps(case(kb, rng, n), ensure_ascii=False) for n in range(3000)]
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):  # 3,000 distinct cases, repeated with their own ids
            out.write(templates[number % len(templates)].replace(f'"case-{number % len(templates)}"',
                                                                 f'"case-{number}"', 1) + "\n")


def run_batch(path: Path, jobs: int, extra: list[str]) -> tuple[float, float, int]:
    """Seconds, peak RSS in MiB, and the exit code of one batch run."""
    command = [CLI, "eval", str(path), "--as-of", AS_OF, "--jobs", str(jobs), *extra]
    time_tool = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
    start = time.perf_counter()
    if time_tool:
        finished = subprocess.run([time_tool, "-v", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, check=False)
        seconds = time.perf_counter() - start
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", finished.stderr)
        return seconds, int(match.group(1)) / 1024 if match else float("nan"), finished.returncode
    finished = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, finished.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("extra", nargs="*", help="options passed on to asylum-kb eval (after --)")
    args = parser.parse_args()
    kb = asylum_kb.load()
    print(f"cpus: {os.cpu_count()}  python: {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"cases-{size}.jsonl"
            write_cases(kb, path, size)
            megabytes = path.stat().st_size / 1e6
            for jobs in args.jobs:
                seconds, peak, code = run_batch(path, jobs, args.extra)
                print(f"batch     {size:>9,} cases ({megabytes:,.0f} MB)  --jobs {jobs}  {seconds:8.1f} s  "
                      f"{size / seconds:9,.0f} cases/s  peak RSS {peak:7.1f} MiB  exit {code}")


if __name__ == "__main__":
    main()
