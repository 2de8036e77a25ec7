"""Adapter for the shared peer harness (../shared/bench/peers/run.py --adapter THIS_FILE).

Three rows: the values-only path, the explaining path, and the same two with fact validation
(the fact document is type-checked and dates parsed inside the timed call, as a user's input would be).
"""

from __future__ import annotations

import os
from datetime import date

import asylum_kb
from adapters.base import Adapter as Base

RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules")
AS_OF = date(2026, 11, 23)


def _check_constants(kb: asylum_kb.KnowledgeBase, ruleset: dict) -> None:
    """The rule files carry the workload's constants; fail loudly if the harness changes them."""
    expected = {"bench.deadline_days": ruleset["deadline_days"], "bench.minor_age": ruleset["minor_age"],
                "bench.child_age": ruleset["child_age"], "bench.withholding_pct": ruleset["withholding_pct"],
                "bench.base_fee": ruleset["base_fee"], "bench.annual_fee": ruleset["annual_fee"],
                "bench.fee_date": date.fromisoformat(ruleset["fee_date"])}
    for name, value in expected.items():
        assert kb.parameters[name].value_at(AS_OF).value == value, name


class Adapter(Base):
    name = "asylum-kb (values, validated facts)"
    package = "asylum-kb"
    notes = "facts validated and dates parsed in the timed call; compiled values path (three-valued, no trace)"

    def compile(self, ruleset: dict) -> None:
        self.kb = asylum_kb.load(RULES)
        _check_constants(self.kb, ruleset)

    def evaluate(self, record: dict) -> dict:
        facts, _ = self.kb.catalog.validate(record)
        return self.kb.values(facts, AS_OF)


class ExplainingAdapter(Adapter):
    name = "asylum-kb (explaining path, validated facts)"
    notes = "three-valued path recording every sub-expression; facts validated in the timed call"

    def evaluate(self, record: dict) -> dict:
        facts, _ = self.kb.catalog.validate(record)
        return self.kb.program.traced(facts, AS_OF)[0]
