"""Start-up of a one-case ``asylum-kb eval`` against a bare ``python -c pass`` (issue 13: at most 4x).

usage: python benchmarks/startup_bench.py [--runs 21] [--importtime 15]
Runs the ``asylum-kb`` command installed next to this Python, with a warm compiled-rules cache of its
own, in pairs with ``python -c pass`` (A B A B ...), and prints for each command the median CPU
milliseconds (user + system, from ``getrusage`` of the finished child) and wall milliseconds, and the
median of the pair-by-pair ratios: pairing keeps a ratio meaningful when the machine's speed drifts.
Commands: the YAML example, the same case as JSON, and ``--version``. ``PYTHONDONTWRITEBYTECODE`` is removed
from the children's environment and every command runs once before it is timed, so compiled ``.pyc``
files exist, as they do for an installed package. With ``--importtime N``, it then prints the N
imports with the largest cumulative time (``python -X importtime``) of the YAML case.
Measure on a quiet machine: check ``uptime`` and repeat; other processes inflate every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asylum_kb.kb.factsio import parse_document

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "affirmative-grant.yaml"
AS_OF = "2025-09-15"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """CPU and wall milliseconds of one run of ``command``, its output thrown away."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000, wall * 1000


def paired(command: list[str], baseline: list[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Medians of ``runs`` alternating runs of the command and the baseline, and of their ratios."""
    timed(command, env)
    timed(baseline, env)
    rows: list[tuple[float, float, float, float]] = []
    for _ in range(runs):
        cpu_a, wall_a = timed(command, env)
        cpu_b, wall_b = timed(baseline, env)
        rows.append((cpu_a, wall_a, cpu_b, wall_b))
    return {
        "cpu_ms": statistics.median(r[0] for r in rows), "wall_ms": statistics.median(r[1] for r in rows),
        "baseline_cpu_ms": statistics.median(r[2] for r in rows),
        "cpu_ratio": statistics.median(r[0] / r[2] for r in rows if r[2] > 0),
        "wall_ratio": statistics.median(r[1] / r[3] for r in rows),
    }


def importtime(command: list[str], env: dict[str, str], top: int) -> list[tuple[int, str]]:
    """The ``top`` imports with the largest cumulative microseconds in one run of ``command``."""
    done = subprocess.run([sys.executable, "-X", "importtime", *command], env=env, capture_output=True,
                          text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--importtime", type=int, default=0, metavar="N")
    options = parser.parse_args()
    script = Path(sys.executable).parent / "asylum-kb"
    if not script.is_file():
        sys.exit(f"no asylum-kb command next to {sys.executable}: pip install -e . first")
    with tempfile.TemporaryDirectory() as folder:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["ASYLUM_KB_CACHE_DIR"] = str(Path(folder) / "cache")
        case = Path(folder) / "case.json"  # the YAML example as JSON, so the two differ only in the reader
        case.write_text(json.dumps(parse_document(EXAMPLE.read_text(encoding="utf-8"))), encoding="utf-8")
        subprocess.run([str(script), "eval", str(case)], env=env, stdout=subprocess.DEVNULL, check=True)  # fills the cache
        commands = {
            "eval case.json --format json": [str(script), "eval", str(case), "--as-of", AS_OF,
                                             "--format", "json"],
            "eval affirmative-grant.yaml --format json": [str(script), "eval", str(EXAMPLE), "--as-of", AS_OF,
                                                          "--format", "json"],
            "--version": [str(script), "--version"],
        }
        baseline = [sys.executable, "-c", "pass"]
        print(f"load average {os.getloadavg()[0]:.2f}; {options.runs} pairs each; medians")
        print(f"{'command':45} {'CPU ms':>8} {'wall ms':>8} {'pass CPU':>9} {'CPU ratio':>10} {'wall ratio':>10}")
        for name, command in commands.items():
            row = paired(command, baseline, options.runs, env)
            print(f"{name:45} {row['cpu_ms']:8.1f} {row['wall_ms']:8.1f} {row['baseline_cpu_ms']:9.1f} "
                  f"{row['cpu_ratio']:10.2f} {row['wall_ratio']:10.2f}")
        print(f"load average {os.getloadavg()[0]:.2f}")
        if options.importtime:
            print(f"\nlargest cumulative imports (µs) of: asylum-kb eval {EXAMPLE.name} --format json")
            for micros, name in importtime(commands["eval affirmative-grant.yaml --format json"], env,
                                           options.importtime):
                print(f"{micros:8d}  {name}")


if __name__ == "__main__":
    main()
