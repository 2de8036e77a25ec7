"""Cost of one typical 10-condition expression: compiled paths vs the same logic hand-written in Python.

usage: python benchmarks/expression_bench.py [--number N]
Prints nanoseconds per evaluation and the ratios to hand-written Python.
"""

from __future__ import annotations

import argparse
import timeit
from datetime import date

import asylum_kb
from asylum_kb.language.expression import compile_expression
from asylum_kb.language.runtime import DatedValues

EXPRESSION = """
    applicant.location in ["inside_us", "at_port_of_entry"]
    and length(claim.protected_grounds) > 0
    and (claim.past_persecution or claim.well_founded_fear)
    and claim.government_unable_or_unwilling_to_protect
    and not bars.persecutor
    and not bars.particularly_serious_crime
    and not bars.firmly_resettled
    and not bars.terrorist_activity
    and bars.aggravated_felony_sentence_years < 5
    and application.filing_date <= applicant.last_arrival_date + 1 year
"""

FACTS = {
    "applicant.location": "inside_us",
    "claim.protected_grounds": ["political_opinion"],
    "claim.past_persecution": False,
    "claim.well_founded_fear": True,
    "claim.government_unable_or_unwilling_to_protect": True,
    "bars.persecutor": False,
    "bars.particularly_serious_crime": False,
    "bars.firmly_resettled": False,
    "bars.terrorist_activity": False,
    "bars.aggravated_felony_sentence_years": 0,
    "application.filing_date": date(2025, 8, 20),
    "applicant.last_arrival_date": date(2024, 11, 2),
}
AS_OF = date(2025, 9, 15)


def hand_written(f: dict) -> bool:
    arrival = f["applicant.last_arrival_date"]
    try:
        deadline = arrival.replace(year=arrival.year + 1)
    except ValueError:  # Feb 29
        deadline = arrival.replace(year=arrival.year + 1, day=28)
    return (
        f["applicant.location"] in ("inside_us", "at_port_of_entry")
        and len(f["claim.protected_grounds"]) > 0
        and (f["claim.past_persecution"] or f["claim.well_founded_fear"])
        and f["claim.government_unable_or_unwilling_to_protect"]
        and not f["bars.persecutor"]
        and not f["bars.particularly_serious_crime"]
        and not f["bars.firmly_resettled"]
        and not f["bars.terrorist_activity"]
        and f["bars.aggravated_felony_sentence_years"] < 5
        and f["application.filing_date"] <= deadline
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args()
    kb = asylum_kb.load()
    types = {name: spec.type for name, spec in kb.catalog.facts.items()}
    params = {p.id: (p.type, DatedValues([(v.start, v.value) for v in p.values])) for p in kb.parameters.values()}
    compiled = compile_expression(EXPRESSION, types, params)
    assert compiled.value(FACTS, AS_OF) is hand_written(FACTS) is True
    print(f"generated values path:\n{compiled.program.source.split(chr(10) + chr(10))[0]}\n")

    def per_call(fn) -> float:
        runs = [timeit.timeit(fn, number=args.number) for _ in range(5)]
        return min(runs) / args.number * 1e9

    plain = per_call(lambda: hand_written(FACTS))
    rows = [
        ("hand-written Python", plain),
        ("asylum-kb values path (three-valued, no trace)", per_call(lambda: compiled.program.values(FACTS, AS_OF))),
        ("asylum-kb three-valued path with trace", per_call(lambda: compiled.program.traced(FACTS, AS_OF))),
    ]
    print(f"{'path':<66} {'ns/eval':>9} {'ratio':>7}")
    for name, ns in rows:
        print(f"{name:<66} {ns:>9.0f} {ns / plain:>6.2f}x")


if __name__ == "__main__":
    main()
