"""Realistic generated cases for the full knowledge base, and 100 generated rules to add to it.

Cases come in three kinds: ``complete`` (every fact the catalog declares, a realistic mix), ``children``
(complete, with one to four children, some near the age limit) and ``sparse`` (an intake: a third of
the facts known). Facts the template below does not know (added to the catalog later) are filled
from their declared type, so complete cases stay complete as the catalog grows.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asylum_kb
from asylum_kb.language.values import add_years

AS_OF = date(2025, 9, 15)
KINDS = ("complete", "children", "sparse")


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _template(rng: random.Random) -> dict[str, Any]:
    """Facts as an intake form records them: mostly ordinary, now and then a bar, a late filing, a grant."""
    arrival = _day(rng, date(2018, 1, 1), date(2025, 6, 1))
    filing = min(arrival + timedelta(days=rng.choice([30, 200, 360, 366, 500, 900])), AS_OF)
    status = rng.choices(["not_filed", "pending", "granted", "denied"], [1, 6, 2, 1])[0]
    rare = lambda p=0.05: rng.random() < p  # a bar or an exception is the exception
    return {
        "applicant.date_of_birth": _day(rng, date(1960, 1, 1), date(2007, 1, 1)),
        "applicant.location": rng.choices(["inside_us", "at_port_of_entry", "outside_us"], [8, 1, 1])[0],
        "applicant.last_arrival_date": arrival,
        "applicant.unaccompanied_child": rare(),
        "applicant.in_removal_proceedings": rare(0.3),
        **{f"entry.{k}": rare(0.2) for k in ("southwest_border", "between_ports", "cbp_one_appointment",
                                               "used_parole_process", "transited_third_country",
                                               "denied_protection_in_transit_country",
                                               "exceptionally_compelling_circumstances")},
        "claim.protected_grounds": rng.sample(["race", "religion", "nationality", "particular_social_group",
                                               "political_opinion"], rng.choice([0, 1, 1, 2])),
        "claim.past_persecution": rng.random() < 0.6,
        "claim.well_founded_fear": rng.random() < 0.8,
        "claim.government_unable_or_unwilling_to_protect": rng.random() < 0.8,
        "claim.persecution_more_likely_than_not": rng.random() < 0.5,
        "claim.torture_more_likely_than_not": rare(0.1),
        "claim.torture_by_or_with_acquiescence_of_official": rare(0.1),
        **{f"deadline_exceptions.{k}": rare(0.1) for k in ("changed_circumstances", "extraordinary_circumstances",
                                                           "filed_within_reasonable_period")},
        **{f"bars.{k}": rare() for k in ("persecutor", "particularly_serious_crime", "aggravated_felony",
                                         "serious_nonpolitical_crime", "danger_to_security", "terrorist_activity",
                                         "firmly_resettled", "previously_denied_asylum",
                                         "removable_to_safe_third_country")},
        "bars.aggravated_felony_sentence_years": rng.choice([0, 0, 0, 2, 5]),
        "application.status": status,
        "application.filing_date": filing,
        "application.grant_date": filing + timedelta(days=rng.randrange(60, 400)) if status == "granted" else None,
        "application.ead_clock_delay_days": rng.choice([0, 0, 14, 60]),
        "refugee.referral": rng.choices(["none", "unhcr", "p2_group"], [8, 1, 1])[0],
        "family.spouse.married_on": _day(rng, date(2000, 1, 1), date(2024, 1, 1)) if rng.random() < 0.5 else None,
        "family.children": [],
    }


def _by_type(spec: Any, rng: random.Random) -> Any:
    """A plausible value for a fact the template does not know, from its declared type."""
    kind = spec.kind
    if kind == "boolean":
        return rng.random() < 0.1
    if kind in ("number", "integer", "money"):
        low = int(spec.minimum) if spec.minimum is not None else 0
        return low + rng.randrange(3)
    if kind == "enum":
        return rng.choice(spec.values)
    if kind == "date":
        return _day(rng, date(2015, 1, 1), AS_OF)
    if kind == "string":
        return "x"
    if kind == "list" and spec.items is not None and spec.items.kind == "enum":
        return rng.sample(list(spec.items.values), 1)
    if kind == "list":
        return []
    return None


def _children(rng: random.Random, filing: date, fields: tuple[Any, ...]) -> list[dict[str, Any]]:
    out = []
    for i in range(rng.randint(1, 4)):
        born = add_years(filing, -21) if rng.random() < 0.3 else _day(rng, date(1995, 1, 1), date(2024, 1, 1))
        child = {"name": f"child{i + 1}", "date_of_birth": born + timedelta(days=rng.choice([-1, 0, 1])),
                 "married": rng.random() < 0.1}
        child |= {spec.name: _by_type(spec, rng) for spec in fields if spec.name not in child}  # fields added later
        out.append(child)
    return out


def case(kb: asylum_kb.KnowledgeBase, kind: str, rng: random.Random) -> dict[str, Any]:
    """One fact document of the given kind, nested by section as users write them (dates as ISO text)."""
    flat = _template(rng)
    for name, spec in kb.catalog.facts.items():
        if name not in flat:
            flat[name] = _by_type(spec, rng)
    flat = {name: value for name, value in flat.items() if name in kb.catalog.facts}
    if kind == "children":
        spec = kb.catalog.facts["family.children"].items
        flat["family.children"] = _children(rng, flat["application.filing_date"], spec.fields if spec else ())
    if kind == "sparse":
        flat = {name: value for name, value in flat.items() if rng.random() < 0.33}
    document: dict[str, Any] = {}
    for name, value in flat.items():
        if value is None:
            continue
        *sections, leaf = name.split(".")
        node = document
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = _iso(value)
    return document


def _iso(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


def cases(kb: asylum_kb.KnowledgeBase, kind: str, count: int, seed: int = 42) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}-{kind}")
    return [case(kb, kind, rng) for _ in range(count)]


def write_generated_rules(folder: Path, count: int = 100) -> None:
    """``count`` more rules in topics of ten, like an analyst adding a topic: criteria and bars on facts and
    on earlier rules of the topic, exceptions that defeat a bar, and two outcomes per topic."""
    facts = ["bars.persecutor", "claim.past_persecution", "claim.well_founded_fear", "entry.southwest_border",
             "applicant.unaccompanied_child", "deadline_exceptions.changed_circumstances"]
    rng = random.Random(7)
    lines = ["ruleset:", "  id: bench.generated", "  title: Generated rules for the scaling benchmark",
             "  version: 1.0.0", "  description: Generated by benchmarks/kb_cases.py; not law.", "rules:"]
    kinds = ("criterion", "criterion", "bar", "exception", "criterion", "bar", "exception", "criterion",
             "outcome", "outcome")
    booleans: list[str] = []
    for i in range(count):
        if i % 10 == 0:
            booleans = []  # a new topic reads its own rules
        rule_id = f"bench.generated.r{i}"
        kind = kinds[i % 10]
        earlier = [] if kind == "exception" else booleans  # an exception must not read what it defeats
        reads = rng.sample(facts, 2) + rng.sample(earlier, min(len(earlier), 1))
        condition = f" {rng.choice(['and', 'or'])} ".join(reads)
        lines += [f"  - id: {rule_id}", f"    title: Generated rule {i}", f"    kind: {kind}"]
        if kind == "exception":
            lines.append(f"    defeats: [bench.generated.r{i - 1}]")
        if kind == "outcome":
            lines.append(f'    value: if {condition} then "yes" else "no"')
        else:
            lines.append(f"    when: {condition}")
            booleans.append(rule_id)
        lines.append('    citations: ["generated"]')
    (folder / "bench_generated.yaml").write_text("\n".join(lines) + "\n")
