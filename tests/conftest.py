"""Shared helpers: a small fact scope for language tests, and the shipped knowledge base loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import asylum_kb
import pytest
from asylum_kb.language import types as t
from asylum_kb.language.expression import compile_expression
from asylum_kb.language.runtime import DatedValues
from asylum_kb.language.values import Duration
from asylum_kb.tools import scenarios
from hypothesis import settings

AS_OF = date(2025, 9, 15)

# `pytest -m fuzz` runs the fuzzing properties long: test_fuzz.budget() scales its examples by this profile.
settings.register_profile("fuzz", max_examples=1_000_000, deadline=None, print_blob=True)


def pytest_configure(config: pytest.Config) -> None:
    if "fuzz" in (config.getoption("markexpr") or ""):
        settings.load_profile("fuzz")

FACT_TYPES = {
    "a": t.BOOLEAN,
    "b": t.BOOLEAN,
    "c": t.BOOLEAN,
    "n": t.NUMBER,
    "m": t.NUMBER,
    "d": t.DATE,
    "e": t.DATE,
    "s": t.STRING,
    "loc": t.enum(("inside_us", "at_port_of_entry", "outside_us")),
    "grounds": t.list_of(t.enum(("race", "religion", "nationality", "particular_social_group", "political_opinion"))),
    "kids": t.list_of(t.record({"name": t.STRING, "age": t.NUMBER, "born": t.DATE, "married": t.BOOLEAN})),
    "nums": t.list_of(t.NUMBER),
}
PARAMETERS = {
    "fee.i589": (t.NUMBER, DatedValues([(date(1997, 4, 1), 0), (date(2025, 7, 22), 100)])),
    "deadline.filing": (t.DURATION, DatedValues([(date(1997, 4, 1), Duration(years=1))])),
}


def evaluate(text: str, facts: dict[str, Any] | None = None, as_of: date = AS_OF) -> Any:
    """Evaluate on both compiled paths; they must agree. Returns the three-valued result."""
    compiled = compile_expression(text, FACT_TYPES, PARAMETERS)
    three_valued = compiled.evaluate(facts or {}, as_of)
    engine_value = compiled.value(facts or {}, as_of)
    assert engine_value == three_valued and type(engine_value) is type(three_valued), (engine_value, three_valued)
    return three_valued


@pytest.fixture(scope="session")
def kb() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


# YAML scenario tests (tests/scenarios/*.yaml), collected by pytest and run by the same runner as the CLI.
def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


@cache
def _shipped_kb() -> asylum_kb.KnowledgeBase:
    return asylum_kb.load()


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for scenario in scenarios.load_file(self.path):
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioFailure(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: scenarios.Scenario, **kwargs: Any):
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        outcome = scenarios.run(_shipped_kb(), self.scenario)
        if not outcome.passed:
            raise ScenarioFailure(scenarios.outcome_text(outcome))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line, f"scenario: {self.scenario.name}"
