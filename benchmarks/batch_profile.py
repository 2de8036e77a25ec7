"""Where a batch's time goes: one worker's share per case, and the parent's, measured apart.

usage: python benchmarks/batch_profile.py [--cases 3000] [--reps 3] [--profile N] [-- EVAL OPTIONS]

Cases are batch_bench.py's (a third sparse, a third complete, a third with children). The worker row is
``batch._evaluate_chunk`` over chunks of ``batch.CHUNK_SIZE`` cases in this process (JSON parsing,
validation, evaluation, the result line), best of --reps, CPU time. The parent rows are what the parent
process does per case besides waiting: reading lines (``read_jsonl``), sending cases to a worker and taking
their outcomes back (a pickle round trip of each chunk and of its outcomes). ``--profile N`` also prints
the N costliest functions of the worker under cProfile (which inflates call-heavy code).
Only --values-only (the default here) and --explain are read from the options after ``--``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import pstats
import random
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asylum_kb
import batch_bench
from asylum_kb.batch import runner as batch
from asylum_kb.kb.knowledge_base import as_date


def per_case(fn: object, chunks: list[list[batch.Case]], reps: int) -> float:
    """Best CPU µs per case of ``fn`` applied to every chunk."""
    count = sum(len(chunk) for chunk in chunks)
    best = float("inf")
    for _ in range(reps):
        start = time.process_time()
        for chunk in chunks:
            fn(chunk)  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("extra", nargs="*", help="eval options after --: --values-only (default) or --explain")
    args = parser.parse_args()
    kb = asylum_kb.load()
    options = batch.Options(as_of=as_date(batch_bench.AS_OF, "as_of"), explain="--explain" in args.extra,
                            values_only="--explain" not in args.extra)
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_text("".join(json.dumps(batch_bench.case(kb, rng, n), ensure_ascii=False) + "\n"
                                for n in range(args.cases)), encoding="utf-8")
        start = time.process_time()
        cases = list(batch.read_jsonl(path))
        reading = (time.process_time() - start) / len(cases) * 1e6
    chunks = [cases[i:i + batch.CHUNK_SIZE] for i in range(0, len(cases), batch.CHUNK_SIZE)]
    evaluate_chunk = partial(batch._evaluate_chunk, (kb, options))  # what a worker process runs
    worker = per_case(evaluate_chunk, chunks, args.reps)
    outcomes = [evaluate_chunk(chunk) for chunk in chunks]
    sending = per_case(lambda chunk: pickle.loads(pickle.dumps(chunk)), chunks, args.reps)
    returning = per_case(lambda outs: pickle.loads(pickle.dumps(outs)), outcomes, args.reps)  # type: ignore[arg-type]
    print(f"{len(cases)} cases, chunks of {batch.CHUNK_SIZE}, {options}")
    print(f"worker: parse, validate, evaluate, write one result   {worker:8.1f} µs per case")
    print(f"parent: read a line                                   {reading:8.1f} µs per case")
    print(f"both:   a case to the worker and back (pickle twice)  {sending:8.1f} µs per case")
    print(f"both:   an outcome back to the parent (pickle twice)  {returning:8.1f} µs per case")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [evaluate_chunk(chunk) for chunk in chunks])
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
