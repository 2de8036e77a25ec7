"""The full-knowledge-base workload beside hand-written Python for a few determinations.

usage: python benchmarks/peer/full_kb.py [--cases 5000] [--reps 7] [--out benchmarks/peer/FULL_KB.md]

The shared peer harness (../shared/bench/peers) times 17 chained rules; this workload times the
shipped knowledge base (every rule, every determination) on generated complete cases with children
(benchmarks/kb_cases.py). The reference is hand-written Python for four determinations, written
from the rule files: the procedure (with the unaccompanied-child test on the filing date), the I-589
fee, the filing deadline date and the initial EAD fee. Its parameters (fees, the one-year period) are
read from the knowledge base once, so the reference follows dated values, and the federal holiday
calendar is the engine's (a deadline on a weekend or holiday moves to the next business day); the
logic is written out by hand. When the rules change, this reference must change with them (the check below says so).
Every case is checked: the four determinations must be identical on both sides.
Times are CPU time (time.process_time), best of --reps; the input is the fact document with ISO
date text, so both sides parse dates inside the timed call.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import asylum_kb
import kb_cases
from asylum_kb.language.holidays import next_business_day
from asylum_kb.language.values import Duration, shift_date, years_between

AS_OF = kb_cases.AS_OF
PERIOD_FLOOR = date(1997, 4, 1)
CHECKED = ("fees.asylum_application", "asylum.procedure", "asylum.filing_deadline_date", "fees.ead_initial")


class HandWritten:
    """Four determinations in plain Python, with the knowledge base's dated parameter values."""

    def __init__(self, kb: asylum_kb.KnowledgeBase):
        def history(name: str) -> tuple[list[date], list[Any]]:
            values = sorted(kb.parameters[name].values, key=lambda v: v.start)
            return [v.start for v in values], [v.value for v in values]

        self.fee, self.court_fee = history("fee.i589"), history("fee.i589_court")
        self.filing_period, self.ead_fee = history("deadline.asylum_filing"), history("fee.ead_initial_c8")

    @staticmethod
    def _at(table: tuple[list[date], list[Any]], day: date) -> Any:
        index = bisect_right(table[0], day)
        return table[1][index - 1] if index else None

    def evaluate(self, document: dict[str, Any]) -> dict[str, Any]:
        applicant, application = document.get("applicant", {}), document.get("application", {})
        filed = date.fromisoformat(application["filing_date"])
        arrived = date.fromisoformat(applicant["last_arrival_date"])
        born = date.fromisoformat(applicant["date_of_birth"])
        unaccompanied_child = applicant["unaccompanied_child"] and years_between(born, filed) < 18
        location = applicant.get("location")
        if location == "outside_us":
            procedure = "not_applicable"
        elif (applicant["in_removal_proceedings"] or location == "at_port_of_entry") and not unaccompanied_child:
            procedure = "defensive"
        else:
            procedure = "affirmative"
        fee = self._at(self.court_fee if procedure == "defensive" else self.fee, filed)
        start = max(arrived, PERIOD_FLOOR)  # the period runs from the last arrival, or April 1 1997
        period: Duration = self._at(self.filing_period, start)
        return {"fees.asylum_application": fee, "asylum.procedure": procedure,
                "asylum.filing_deadline_date": next_business_day(shift_date(start, period)),  # off weekends, holidays
                "fees.ead_initial": self._at(self.ead_fee, AS_OF)}


def per_case(fn: Callable[[Any], Any], items: list[Any], reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        start = time.process_time()
        for item in items:
            fn(item)
        best = min(best, time.process_time() - start)
    return best / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--out", type=Path, help="Write the table as Markdown to this file.")
    args = parser.parse_args()

    kb = asylum_kb.load()
    reference = HandWritten(kb)
    documents = kb_cases.cases(kb, "children", args.cases)
    mismatches = 0
    for document in documents:
        expected = reference.evaluate(document)
        result = kb.evaluate(document, AS_OF)
        mismatches += any(result.value(rule_id) != expected[rule_id] for rule_id in CHECKED)
    validate, program = kb.catalog.validate, kb.program
    rows = [
        ("hand-written Python, 4 determinations", 4, per_case(reference.evaluate, documents, args.reps)),
        ("asylum-kb values path (validate + every rule)", len(kb.determinations),
         per_case(lambda d: program.values(validate(d)[0], AS_OF), documents, args.reps)),
        ("asylum-kb values-only result (eval --values-only)", len(kb.determinations),
         per_case(lambda d: kb.evaluate(d, AS_OF).to_dict(values_only=True), documents, args.reps)),
        ("asylum-kb default result (eval --format json)", len(kb.determinations),
         per_case(lambda d: kb.evaluate(d, AS_OF).to_dict(), documents, args.reps)),
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Full knowledge base vs hand-written Python",
        "",
        (f"{len(documents):,} generated complete cases with children (benchmarks/kb_cases.py), as of {AS_OF}; "
        f"{len(kb.rules)} rules, {len(kb.determinations)} determinations; the 4 checked determinations "
        f"{'identical on every case' if not mismatches else f'DIFFER on {mismatches} cases'}."),
        "",
        "| path | determinations | µs/case | µs/determination | vs hand-written per determination |",
        "|---|---:|---:|---:|---:|",
    ]
    reference_each = rows[0][2] / rows[0][1]
    for name, count, micros in rows:
        lines.append(f"| {name} | {count} | {micros:.1f} | {micros / count:.2f} | {micros / count / reference_each:.2f}x |")
    lines += ["", (f"CPU time (time.process_time), best of {args.reps}; Python {platform.python_version()}, "
                  f"{os.cpu_count()} cores, load average {load:.1f} while measuring; "
                  f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Re-run: `python benchmarks/peer/full_kb.py`.")]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
