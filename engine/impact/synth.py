"""Synthetic populations for benchmarks and demos: seeded, realistic mixes, written by DuckDB.

The people are invented. The mix is chosen to exercise the rules, not to match any statistics:
arrivals and filings spread over 2015-2026, a share of late filers, of southwest-border entries in
every border era, of unknown facts, and of applicants with children. Each value comes from a hash
of (seed, case number, field), so the same seed gives the same file on any number of threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..kb.catalog import Catalog
from ..kb.factspec import FactSpec
from .population import file_format

_GROUNDS = ["race", "religion", "nationality", "particular_social_group", "political_opinion"]


class _Draws:
    """Uniform numbers in [0, 1) as SQL, one independent stream per field."""

    def __init__(self, seed: int):
        self.seed, self.fields = seed, 0

    def uniform(self) -> str:
        self.fields += 1
        return f"((hash(i, {self.seed}, {self.fields}) % 1000000) / 1000000.0)"

    def maybe(self, share_unknown: float, value: str) -> str:
        """``value``, or unknown for a share of cases."""
        return f"(CASE WHEN {self.uniform()} < {share_unknown} THEN NULL ELSE {value} END)"

    def flag(self, share_true: float, share_unknown: float = 0.05) -> str:
        return self.maybe(share_unknown, f"({self.uniform()} < {share_true})")

    def pick(self, weights: dict[str, float]) -> str:
        u, total, parts = self.uniform(), 0.0, []
        for value, weight in weights.items():
            total += weight
            parts.append(f"WHEN {u} < {total:.6f} THEN '{value}'")
        return "(CASE " + " ".join(parts[:-1]) + f" ELSE '{list(weights)[-1]}' END)"

    def days(self, low: int, high: int) -> str:
        return f"CAST(floor({self.uniform()} * {high - low + 1}) + {low} AS INTEGER)"


def _generic(r: _Draws, spec: FactSpec) -> str | None:
    """Any other fact of the catalog, from its type alone: a fair mix, a tenth unknown."""
    if spec.kind == "boolean":
        return r.flag(0.3, 0.1)
    if spec.kind == "enum":
        return r.maybe(0.1, r.pick({value: 1 / len(spec.values) for value in spec.values}))
    if spec.kind == "date":
        return r.maybe(0.1, f"DATE '2010-01-01' + {r.days(0, 6000)}")
    if spec.kind in ("number", "integer", "money"):
        low = int(spec.minimum) if spec.minimum is not None else 0
        high = int(spec.maximum) if spec.maximum is not None else 1000
        return r.maybe(0.1, f"CAST({r.days(low, min(high, low + 1000))} AS DOUBLE)")
    return None  # lists, records and text stay unknown unless described above


def _child(catalog: Catalog, seed: int) -> str:
    """One child record with every field the catalog declares: a name, a birth date since 1998, 5% of flags true."""
    spec = catalog.facts.get("family.children")
    fields = [f for f in spec.items.fields] if spec is not None and spec.items is not None else []
    values = []
    for number, field in enumerate(fields):
        if field.name == "name":
            value = "'child ' || CAST(j + 1 AS VARCHAR)"
        elif field.kind == "date":
            value = f"DATE '1998-01-01' + CAST(hash(i, j, {seed}, {101 + number}) % 10000 AS INTEGER)"
        elif field.kind == "boolean":
            value = f"hash(i, j, {seed}, {101 + number}) % 100 < 5"
        else:
            value = "NULL"
        values.append(f"'{field.name}': {value}")
    return "{" + ", ".join(values) + "}"


def population_sql(count: int, seed: int, catalog: Catalog) -> str:
    """The SELECT that generates ``count`` cases (``id`` and a column per fact the catalog declares)."""
    r = _Draws(seed)
    lateness = r.uniform()
    filing_delay = f"(CASE WHEN {lateness} < 0.72 THEN {r.days(0, 360)} ELSE {r.days(366, 1500)} END)"
    columns: dict[str, str] = {
        "id": "'case-' || CAST(i + 1 AS VARCHAR)",
        "applicant.date_of_birth": r.maybe(0.03, f"DATE '1960-01-01' + {r.days(0, 17500)}"),
        "applicant.location": r.maybe(0.02, r.pick({"inside_us": 0.85, "at_port_of_entry": 0.08, "outside_us": 0.07})),
        "applicant.last_arrival_date": r.maybe(0.05, "arrival"),
        "applicant.unaccompanied_child": r.flag(0.04),
        "applicant.in_removal_proceedings": r.flag(0.45),
        "entry.southwest_border": r.flag(0.55),
        "entry.between_ports": r.flag(0.6),
        "entry.cbp_one_appointment": r.flag(0.12),
        "entry.used_parole_process": r.flag(0.05),
        "entry.transited_third_country": r.flag(0.7),
        "entry.denied_protection_in_transit_country": r.flag(0.05),
        "entry.exceptionally_compelling_circumstances": r.flag(0.03),
        "claim.protected_grounds": r.maybe(0.1, f"(CASE WHEN {r.uniform()} < 0.1 THEN []::VARCHAR[] ELSE "
                                                f"list_slice(grounds, 1, 1 + CAST(floor({r.uniform()} * 2) AS INTEGER)) END)"),
        "claim.past_persecution": r.flag(0.5, 0.1),
        "claim.well_founded_fear": r.flag(0.7, 0.1),
        "claim.government_unable_or_unwilling_to_protect": r.flag(0.6, 0.1),
        "claim.persecution_more_likely_than_not": r.flag(0.35, 0.15),
        "claim.torture_more_likely_than_not": r.flag(0.1, 0.15),
        "claim.torture_by_or_with_acquiescence_of_official": r.flag(0.5, 0.2),
        "deadline_exceptions.changed_circumstances": r.flag(0.1, 0.1),
        "deadline_exceptions.extraordinary_circumstances": r.flag(0.05, 0.1),
        "deadline_exceptions.filed_within_reasonable_period": r.flag(0.7, 0.2),
        "bars.persecutor": r.flag(0.01),
        "bars.particularly_serious_crime": r.flag(0.02),
        "bars.aggravated_felony": r.flag(0.02),
        "bars.aggravated_felony_sentence_years": r.maybe(0.5, f"CAST({r.days(0, 12)} AS DOUBLE)"),
        "bars.serious_nonpolitical_crime": r.flag(0.01),
        "bars.danger_to_security": r.flag(0.005),
        "bars.terrorist_activity": r.flag(0.005),
        "bars.firmly_resettled": r.flag(0.02),
        "bars.previously_denied_asylum": r.flag(0.03),
        "bars.removable_to_safe_third_country": r.flag(0.01),
        "application.status": r.maybe(0.02, r.pick({"not_filed": 0.1, "pending": 0.7, "granted": 0.12, "denied": 0.08})),
        "application.filing_date": r.maybe(0.04, f"arrival + {filing_delay}"),
        "application.grant_date": f"(CASE WHEN {r.uniform()} < 0.12 THEN arrival + {filing_delay} + {r.days(180, 1500)} END)",
        "application.ead_clock_delay_days": r.maybe(0.1, f"CAST(CASE WHEN {r.uniform()} < 0.85 THEN 0 "
                                                         f"ELSE {r.days(10, 120)} END AS DOUBLE)"),
        "refugee.referral": r.maybe(0.1, r.pick({"none": 0.6, "unhcr": 0.2, "embassy": 0.05, "ngo": 0.05,
                                                 "p2_group": 0.05, "p3_family": 0.05})),
        "family.spouse.married_on": f"(CASE WHEN {r.uniform()} < 0.5 THEN DATE '2005-01-01' + {r.days(0, 7300)} END)",
        "family.children": (f"(CASE WHEN {r.uniform()} < 0.4 THEN list_transform(range(1 + CAST(floor({r.uniform()} * 3) "
                            f"AS INTEGER)), lambda j: {_child(catalog, seed)}) END)"),
    }
    for name, spec in catalog.facts.items():
        if name not in columns:
            generic = _generic(r, spec)
            if generic is not None:
                columns[name] = generic
    columns = {name: sql for name, sql in columns.items() if name == "id" or name in catalog.facts}
    grounds = "[" + ", ".join(f"'{g}'" for g in _GROUNDS) + "]"
    select = ", ".join(f'{sql} AS "{name}"' for name, sql in columns.items())
    # Each case starts its grounds at a drawn place in the list, so every ground (and pair) occurs.
    return (f"SELECT {select} FROM (SELECT i, DATE '2015-01-01' + {r.days(0, 4200)} AS arrival, "
            f"list_slice({grounds}, 1 + CAST(hash(i, {seed}, 999) % 5 AS INTEGER), 5) AS grounds "
            f"FROM range({count}) AS t(i))")


def write_population(count: int, path: str, catalog: Catalog, seed: int = 0, connection: Any = None) -> int:
    """Write ``count`` synthetic cases for a facts catalog to a Parquet, CSV or JSONL file; return the count."""
    import duckdb

    kind = file_format(path)
    con = connection or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    query = population_sql(count, seed, catalog)
    if kind == "csv":
        lists = [name for name, spec in catalog.facts.items() if spec.kind == "list" and name in query]
        if lists:
            replaced = ", ".join(f'to_json("{name}") AS "{name}"' for name in lists)
            query = f"SELECT * REPLACE ({replaced}) FROM ({query})"
    options = {"parquet": "FORMAT parquet, COMPRESSION zstd", "csv": "FORMAT csv, HEADER true",
               "jsonl": "FORMAT json"}[kind]
    target = str(Path(path)).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{target}' ({options})")
    return count
