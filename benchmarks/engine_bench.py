"""Where the time goes on the shared workload, and CLI start-up, for asylum-kb alone.

usage: python benchmarks/engine_bench.py   (needs ../shared beside the repository)
Rows: hand-written Python; validation of fact documents; the values path on validated facts;
both together; the explaining path. Then one `asylum-kb eval` from process start vs `python -c pass`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent.parent / "shared" / "bench" / "peers"
sys.path[:0] = [str(PEERS), str(HERE / "peer")]

import asylum_kb
import gen_facts
from adapters.python_plain import Adapter as HandWritten
from workload import RULESET

AS_OF = date(2026, 11, 23)


def per_record(fn, items, reps: int = 5) -> float:
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def startup(example: Path) -> tuple[float, float]:
    def median_ms(cmd: list[str]) -> float:
        times = []
        for _ in range(15):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1e3

    command = [str(Path(sys.executable).parent / "asylum-kb"), "eval", str(example)]
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)  # fill the cache
    return median_ms([sys.executable, "-c", "pass"]), median_ms(command)


def main() -> None:
    rng = random.Random(42)
    records = [gen_facts.record(rng) for _ in range(20_000)]
    reference = HandWritten()
    reference.compile(RULESET)
    kb = asylum_kb.load(HERE / "peer" / "rules")
    validated = [kb.catalog.validate(r)[0] for r in records]
    assert all(kb.values(f, AS_OF) == reference.evaluate(r) for f, r in zip(validated, records))

    plain = per_record(reference.evaluate, records)
    rows = [
        ("hand-written Python", plain),
        ("asylum-kb: validate fact document", per_record(kb.catalog.validate, records)),
        ("asylum-kb: values path on validated facts", per_record(lambda f: kb.values(f, AS_OF), validated)),
        ("asylum-kb: validate + values path", per_record(lambda r: kb.values(kb.catalog.validate(r)[0], AS_OF), records)),
        ("asylum-kb: validate + explaining path", per_record(lambda r: kb.program.traced(kb.catalog.validate(r)[0], AS_OF), records)),
    ]
    print(f"{'path':<44} {'µs/record':>10} {'records/s':>11} {'vs python':>10}")
    for name, micros in rows:
        print(f"{name:<44} {micros:>10.2f} {1e6 / micros:>11,.0f} {plain / micros:>9.2f}x")

    with tempfile.TemporaryDirectory() as cache:
        os.environ["ASYLUM_KB_CACHE_DIR"] = cache
        base, cli = startup(HERE.parent / "examples" / "affirmative-grant.yaml")
    print(f"\nstart-up: python -c pass {base:.1f} ms; asylum-kb eval (cached rules) {cli:.1f} ms; {cli / base:.1f}x")
    print(json.dumps({"python_us": plain, "startup_ratio": cli / base}))


if __name__ == "__main__":
    main()
