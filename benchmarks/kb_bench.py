"""The full knowledge base on generated realistic cases: µs per case for each step, and how it scales.

usage: python benchmarks/kb_bench.py [--cases 2000] [--reps 7] [--json]
Rows, for complete, with-children and sparse cases (benchmarks/kb_cases.py):
  validate            catalog.validate (fact checking, dates parsed)
  values path         validate + program.values (every rule's value, no explanation)
  traced path         validate + program.traced (the values path, then every rule traced: a record of every
                      sub-expression, and the facts each still needs)
  values-only result  kb.evaluate(...).to_dict(values_only=True)  (eval --values-only)
  default result      kb.evaluate(...).to_dict()                  (eval --format json, the Python API)
  default JSON line   the same as one line of JSON text           (what a batch writes per case)
  explain result      kb.evaluate(...).to_dict(explain=True)      (eval --explain --format json)
First the same steps on the issue's own case (examples/affirmative-grant.yaml). Then the same with 100 generated
rules added (164 rules): per-case cost must grow at most linearly
in the number of rules. Times are CPU time of this process (time.process_time), best of --reps, so
other processes on the machine disturb them less; targets: values path <= 50 µs, default result <= 150 µs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # what a batch writes per case
sys.path.insert(0, str(HERE))

import asylum_kb
import kb_cases
import yaml
from asylum_kb.kb.knowledge_base import default_rules_dir

AS_OF = kb_cases.AS_OF


def per_case(fn: Callable[[Any], Any], items: list[Any], reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        start = time.process_time()
        for item in items:
            fn(item)
        best = min(best, time.process_time() - start)
    return best / len(items) * 1e6


def steps(kb: asylum_kb.KnowledgeBase) -> dict[str, Callable[[Any], Any]]:
    validate, program = kb.catalog.validate, kb.program
    return {
        "validate": validate,
        "values path": lambda doc: program.values(validate(doc)[0], AS_OF),
        "traced path": lambda doc: program.traced(validate(doc)[0], AS_OF),
        "values-only result": lambda doc: kb.evaluate(doc, AS_OF).to_dict(values_only=True),
        "default result": lambda doc: kb.evaluate(doc, AS_OF).to_dict(),
        "default JSON line": lambda doc: line(kb.evaluate(doc, AS_OF).to_dict()),
        "explain result": lambda doc: kb.evaluate(doc, AS_OF).to_dict(explain=True),
    }


def measure(kb: asylum_kb.KnowledgeBase, count: int, reps: int) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for kind in kb_cases.KINDS:
        documents = kb_cases.cases(kb, kind, count)
        for document in documents:  # the two paths agree on every generated case
            flat, _ = kb.catalog.validate(document)
            assert kb.program.values(flat, AS_OF) == kb.program.traced(flat, AS_OF)[0]
        for name, fn in steps(kb).items():
            slow = name == "explain result"
            sample = documents[: max(50, count // 10)] if slow else documents
            table.setdefault(name, {})[kind] = per_case(fn, sample, reps if not slow else 3)
    return table


def issue_case(kb: asylum_kb.KnowledgeBase, reps: int) -> dict[str, float]:
    """The issue's own case, ``examples/affirmative-grant.yaml`` as of 2025-09-15, a step at a time."""
    document = yaml.safe_load((ROOT / "examples" / "affirmative-grant.yaml").read_text(encoding="utf-8"))
    return {name: per_case(fn, [document] * 2000, reps) for name, fn in steps(kb).items() if name != "explain result"}


def print_table(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"{'step (µs per case)':<22}" + "".join(f"{kind:>11}" for kind in kb_cases.KINDS))
    for name, row in table.items():
        print(f"{name:<22}" + "".join(f"{row[kind]:>11.1f}" for kind in kb_cases.KINDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="Also print the figures as one JSON line.")
    parser.add_argument("--rules", type=Path, default=default_rules_dir(),
                        help="Rules folder (default: the shipped knowledge base).")
    args = parser.parse_args()

    kb = asylum_kb.load(args.rules)
    if args.rules == default_rules_dir():
        print("examples/affirmative-grant.yaml as of 2025-09-15 (µs): "
              + ", ".join(f"{name} {value:.1f}" for name, value in issue_case(kb, args.reps).items()))
    base = measure(kb, args.cases, args.reps)
    print_table(f"{args.rules}: {len(kb.rules)} rules, {len(kb.determinations)} determinations", base)

    with tempfile.TemporaryDirectory() as folder:
        rules = Path(folder) / "rules"
        shutil.copytree(args.rules, rules, ignore=shutil.ignore_patterns("__pycache__"))
        kb_cases.write_generated_rules(rules, 100)
        big = asylum_kb.load(rules)
    grown = measure(big, args.cases, args.reps)
    print_table(f"with 100 generated rules: {len(big.rules)} rules, {len(big.determinations)} determinations", grown)

    linear = len(big.rules) / len(kb.rules)
    print(f"\ngrowth per case with {len(big.rules)}/{len(kb.rules)} = {linear:.2f}x the rules (at most linear: <= {linear:.2f}x)")
    for name in base:
        ratios = [grown[name][kind] / base[name][kind] for kind in kb_cases.KINDS]
        print(f"{name:<22}" + "".join(f"{r:>10.2f}x" for r in ratios))
    if args.json:
        print(json.dumps({"rules": [len(kb.rules), len(big.rules)], "base": base, "grown": grown}))


if __name__ == "__main__":
    main()
