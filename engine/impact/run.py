"""Population runs: compile the rules to SQL, evaluate every case in one scan, and count what changed.

A run has one or two *variants* (a knowledge base and an as-of date): two dates with one rule set,
or two rule sets on one date. DuckDB (embedded, every core) is the default engine; Spark runs the
same SQL (``spark.py``). The transition tables and rule counts are exact; the facts still needed
come from re-evaluating a seeded sample of cases with the explaining engine, and say so.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..kb.knowledge_base import KnowledgeBase
from ..kb.model import Rule
from ..language.diagnostics import Diagnostic, FactsError
from ..language.values import iso
from .dialect import DIALECTS, Dialect
from .population import base_select, check_columns, fact_specs, file_format
from .sqlgen import CompiledRules, compile_rules, fact_column

SAMPLE_SIZE = 200
SAMPLE_SEED = 7
NONE = "(none)"
SAME = "(same value)"
OTHER = "(other values)"
MAX_ROWS = 12


@dataclass
class Variant:
    """What one side of a comparison evaluates: a knowledge base on an as-of date, with a label."""

    kb: KnowledgeBase
    as_of: date
    label: str


@dataclass
class Transition:
    before: str
    after: str
    count: int


@dataclass
class ImpactResult:
    """Everything a population run reports, as plain data for the renderers."""

    variants: list[Variant]
    cases: int
    determinations: list[Rule]  # of the last variant; compared where both variants have them
    transitions: dict[str, list[Transition]]  # per determination; a per-item rule counts members
    applied: dict[str, list[int]]  # rule id → cases in which it applied, per variant
    facts_needed: list[list[tuple[str, int]]]  # per variant: fact, cases in the sample needing it
    sample: int
    engine: str
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def changed(self, rule_id: str) -> int:
        return sum(t.count for t in self.transitions.get(rule_id, []) if t.before != t.after)


def contract_value(rule: Rule, value: Any) -> Any:
    """A SQL result as the row engine reports it (``Result.value``): JSON data, whole numbers as int."""
    if rule.for_each:
        if value is None:
            return None
        return [{"name": item["name"], "value": contract_value(_scalar(rule), item["value"])} for item in value]
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return iso(value)


def _scalar(rule: Rule) -> Rule:
    return Rule(id=rule.id, title=rule.title, kind=rule.kind, ruleset=rule.ruleset, file=rule.file, position=None,
                citations=(), type=rule.type)


def flat_facts(kb: KnowledgeBase, row: dict[str, Any]) -> dict[str, Any]:
    """Internal fact columns of one case → the row engine's flat facts (numbers exact, records without nulls)."""
    out: dict[str, Any] = {}
    for name in kb.catalog.facts:
        value = row.get(fact_column(name))
        if value is None:
            continue
        out[name] = _engine_value(value)
    return out


def fact_document(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat facts (dotted ids) as the nested fact document ``evaluate`` takes, dates as ISO text."""
    document: dict[str, Any] = {}
    for name, value in flat.items():
        node = document
        *sections, leaf = name.split(".")
        for section in sections:
            node = node.setdefault(section, {})
        node[leaf] = iso(value) if isinstance(value, (date, list)) else value
    return document


def _engine_value(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, list):
        return [_engine_value(v) if v is not None else None for v in value]
    if isinstance(value, dict):
        return {k: _engine_value(v) for k, v in value.items() if v is not None}
    return value


class Run:
    """One population run on DuckDB: the compiled query, the results table and its summaries."""

    def __init__(self, variants: list[Variant], dialect: Dialect | None = None):
        self.variants = variants
        self.dialect = dialect or DIALECTS["duckdb"]
        self.compiled: CompiledRules = compile_rules([(v.kb, v.as_of) for v in variants], self.dialect)
        self.specs = fact_specs([v.kb.catalog for v in variants], "<rules>")
        last = variants[-1].kb
        shared = set.intersection(*({r.id for r in v.kb.determinations} for v in variants))
        self.determinations = [r for r in last.determinations if r.id in shared]

    def result_columns(self) -> list[tuple[str, str]]:
        """(SQL, output name) of the per-case results: each determination per variant, and rule-applied flags."""
        out = []
        many = len(self.variants) > 1
        for index, _ in enumerate(self.variants):
            for rule in self.determinations:
                name = f"{rule.id}@{index + 1}" if many else rule.id
                out.append((self.compiled.reported(index, rule.id), name))
        return out

    def applied_flags(self) -> list[tuple[str, str]]:
        """(flag name, SQL true when the rule applied) for every rule of every variant."""
        return [(f"a{index}_{number}", self.compiled.applied(index, rule))
                for index, variant in enumerate(self.variants)
                for number, rule in enumerate(variant.kb.rules.values())]

    def applied_columns(self) -> list[tuple[str, str]]:
        """(SQL, column) of the applied flags in a per-case table (Spark caches one and counts them afterwards)."""
        return [(f"coalesce({sql}, FALSE)", name) for name, sql in self.applied_flags()]

    def query(self, base: str, flags: bool = True) -> str:
        """Per-case results (id, determinations and, with ``flags``, applied flags) over a relation of typed facts."""
        d = self.dialect
        columns = [("case_id", d.ident("id"))] + [(sql, d.ident(name)) for sql, name in self.result_columns()]
        if flags:
            columns += [(sql, name) for sql, name in self.applied_columns()]
        return "SELECT " + ", ".join(f"{sql} AS {name}" for sql, name in columns) + f" FROM ({self.compiled.select(base)}) AS rules"

    def summary_query(self, base: str) -> str:
        """One aggregating pass (DuckDB): the case count, each rule's applied count, each determination's value pairs.

        Nothing per case is kept: the pairs are counted by ``histogram`` (a few distinct values each), so memory
        does not grow with the population and the facts are read once. ``pairs`` says how to read each count.
        """
        parts = ["count(*) AS cases"] + [f"count_if({sql}) AS {name}" for name, sql in self.applied_flags()]
        parts += [f"map_entries(histogram({self._pair(rule)})) AS t{number}"
                  for number, rule in enumerate(self.determinations)]
        return "SELECT " + ", ".join(parts) + f" FROM ({self.compiled.select(base)}) AS rules"

    def _sides(self, rule: Rule) -> tuple[str, str]:
        if rule.for_each:
            return self.compiled.member_values(0, rule.id), self.compiled.member_values(len(self.variants) - 1, rule.id)
        return self.compiled.reported(0, rule.id), self.compiled.reported(len(self.variants) - 1, rule.id)

    def _pair(self, rule: Rule) -> str:
        """The histogram key of a determination: its value when both sides compute the same SQL, else both values.

        A per-item rule's key is the case's list of member values (or pairs): cases share few such lists.
        """
        before, after = self._sides(rule)
        if before == after:
            return before
        return f"list_zip({before}, {after})" if rule.for_each else f"{{'b': {before}, 'a': {after}}}"

    def pairs(self, row: dict[str, Any]) -> list[tuple[str, Any, Any, int]]:
        """(rule, before, after, count) from a ``summary_query`` row: histogram keys unfolded into value pairs.

        A histogram leaves out a null key: the cases it does not count had no value on either side.
        """
        out: list[tuple[str, Any, Any, int]] = []
        for number, rule in enumerate(self.determinations):
            before, after = self._sides(rule)
            same = before == after
            counts: Counter[tuple[Any, Any]] = Counter()
            for entry in row[f"t{number}"] or []:  # no key at all: every value was null
                key, count = entry["key"], int(entry["value"])
                for item in (key if rule.for_each else [key]):
                    counts[(item, item) if same else _both(item)] += count
            if not rule.for_each and same:
                missing = int(row["cases"]) - sum(counts.values())
                if missing:
                    counts[(None, None)] += missing
            out += [(rule.id, b, a, n) for (b, a), n in counts.items()]
        return out

    def transitions_query(self, results: str) -> str:
        """One query: for each determination, the count of cases (or members) per pair of values."""
        d = self.dialect
        text = d.text_type()
        parts = []
        for rule in self.determinations:
            names = [d.ident(f"{rule.id}@{i + 1}" if len(self.variants) > 1 else rule.id) for i in range(len(self.variants))]
            key = d.string(rule.id)
            if rule.for_each:
                parts.append(self._member_transitions(key, names, results))
                continue
            # Group on the native values; only the few groups are turned into text.
            parts.append(f"SELECT {key} AS rule, CAST(b AS {text}) AS before, CAST(a AS {text}) AS after, n FROM "
                         f"(SELECT {names[0]} AS b, {names[-1]} AS a, count(*) AS n FROM {results} "
                         f"GROUP BY {names[0]}, {names[-1]}) AS g{len(parts)}")
        return " UNION ALL ".join(parts)

    def _member_transitions(self, key: str, names: list[str], results: str) -> str:
        d = self.dialect
        text = d.text_type()
        if d.name == "duckdb":
            pairs = f"unnest(list_zip({names[0]}, {names[-1]})) AS z"
            before, after = "CAST(z[1].value AS VARCHAR)", "CAST(z[2].value AS VARCHAR)"
            source = f"(SELECT {pairs} FROM {results})"
        else:
            source = f"(SELECT explode(arrays_zip(coalesce({names[0]}, array()), coalesce({names[-1]}, array()))) AS z FROM {results})"
            before, after = f"CAST(z['0'].value AS {text})", f"CAST(z['1'].value AS {text})"
        return (f"SELECT {key} AS rule, {before} AS before, {after} AS after, count(*) AS n "
                f"FROM {source} AS members GROUP BY {before}, {after}")


    def applied_query(self, results: str) -> str:
        sums = ", ".join(f"count_if({name}) AS {name}" for name, _ in self.applied_flags())
        return f"SELECT count(*) AS cases, {sums} FROM {results}"

    def summarise(self, transitions: list[tuple[Any, ...]], applied: dict[str, Any], sample_rows: list[dict[str, Any]],
                  engine: str) -> ImpactResult:
        table: dict[str, list[Transition]] = {r.id: [] for r in self.determinations}
        for rule_id, before, after, count in transitions:
            table[rule_id].append(Transition(_cell(before), _cell(after), int(count)))
        by_id = {r.id: r for r in self.determinations}
        for rule_id, rows in table.items():
            table[rule_id] = _condensed(rows, by_id[rule_id], len(self.variants) > 1)
        counts: dict[str, list[int]] = {}
        for index, variant in enumerate(self.variants):
            for number, rule in enumerate(variant.kb.rules.values()):
                counts.setdefault(rule.id, [0] * len(self.variants))[index] = int(applied[f"a{index}_{number}"] or 0)
        return ImpactResult(self.variants, int(applied["cases"]), self.determinations, table, counts,
                            [self.needed(v, sample_rows) for v in self.variants], len(sample_rows), engine)

    def needed(self, variant: Variant, rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
        """Facts still needed in a sample of cases, by the explaining engine: how many sampled cases need each."""
        counts: Counter[str] = Counter()
        for row in rows:
            document = fact_document(flat_facts(variant.kb, row))
            counts.update(variant.kb.evaluate(document, as_of=variant.as_of).facts_needed)
        return counts.most_common(10)


def _both(pair: Any) -> tuple[Any, Any]:
    """A (before, after) pair as DuckDB returns it: a named struct is a dict, ``list_zip``'s an unnamed tuple."""
    before, after = pair.values() if isinstance(pair, dict) else pair
    return before, after


def _condensed(rows: list[Transition], rule: Rule, compare: bool) -> list[Transition]:
    """Dates and amounts take many values: unchanged ones are one row, and only the most frequent rows stay."""
    if compare and rule.type.kind in ("date", "number"):
        same = sum(t.count for t in rows if t.before == t.after and t.before != NONE)
        rows = [t for t in rows if t.before != t.after or t.before == NONE]
        if same:
            rows.append(Transition(SAME, SAME, same))
    rows.sort(key=lambda t: (-t.count, t.before, t.after))
    if len(rows) > MAX_ROWS:
        rest = rows[MAX_ROWS - 1:]
        changed = sum(t.count for t in rest if t.before != t.after)
        rows = rows[:MAX_ROWS - 1]
        if changed:
            rows.append(Transition(OTHER, OTHER + " (changed)", changed))
        if sum(t.count for t in rest) - changed:
            rows.append(Transition(OTHER, OTHER, sum(t.count for t in rest) - changed))
    return rows


def _cell(value: Any) -> str:
    """A value as a transition shows it: SQL text as the engine casts it, or a value DuckDB returned as such."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        return text[:-2]
    return text


def read_source(path: str) -> str:
    """The DuckDB table function that reads a population file."""
    kind = file_format(path)
    quoted = "'" + path.replace("'", "''") + "'"
    return {"parquet": f"read_parquet({quoted})", "csv": f"read_csv({quoted}, header = true)",
            "jsonl": f"read_json({quoted}, format = 'newline_delimited')"}[kind]


@contextmanager
def progress(connection: Any, enabled: bool, what: str) -> Iterator[None]:
    """A progress line on stderr while DuckDB works (only when stderr is a terminal)."""
    if not enabled:
        yield
        return
    done = threading.Event()

    def report() -> None:
        while not done.wait(0.2):
            try:
                share = connection.query_progress()
            except Exception:  # noqa: BLE001 - progress is best effort; the query reports its own errors
                share = -1
            if share >= 0:
                sys.stderr.write(f"\r{what}: {share:5.1f}%")
                sys.stderr.flush()

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        sys.stderr.write("\r" + " " * (len(what) + 10) + "\r")


def run_duckdb(variants: list[Variant], population: str, output: str | None = None, threads: int | None = None,
               show_progress: bool = False, sample: int = SAMPLE_SIZE, connection: Any = None) -> ImpactResult:
    """Evaluate a population file for each variant on DuckDB and summarise what changed.

    The summary is one aggregating scan of the file (``Run.summary_query``); per-case results, when asked
    for, are a second scan streamed to the output file, so neither keeps a table of every case in memory.
    """
    import duckdb

    started = time.perf_counter()
    run = Run(variants)
    con = connection or duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    timings: dict[str, float] = {}
    try:
        facts_view(con, run, population)
        timings["compile"] = time.perf_counter() - started
        with progress(con, show_progress, "evaluating"):
            cursor = con.execute(run.summary_query("impact_facts"))
            names = [c[0] for c in cursor.description]
            summary = dict(zip(names, cursor.fetchone() or ()))
        timings["evaluate"] = time.perf_counter() - started - sum(timings.values())
        if output:
            with progress(con, show_progress, "writing results"):
                _write_results(con, run, output)
            timings["write"] = time.perf_counter() - started - sum(timings.values())
        sample_rows = _sample(con, sample)
        timings["sample"] = time.perf_counter() - started - sum(timings.values())
    except (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException) as exc:
        raise population_error(exc, population) from None
    result = run.summarise(run.pairs(summary), summary, sample_rows, "duckdb")
    result.seconds = time.perf_counter() - started
    timings["explain sample"] = result.seconds - sum(timings.values())
    result.timings = timings
    return result


def facts_view(con: Any, run: Run, population: str) -> None:
    """The view ``impact_facts`` on a DuckDB connection: the file's columns checked, typed and named as facts."""
    source = read_source(population)
    described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    columns = {str(row[0]): str(row[1]) for row in described}
    check_columns(list(columns), [v.kb.catalog for v in run.variants], population)
    con.execute(f"CREATE OR REPLACE TEMP VIEW impact_facts AS {base_select(run.specs, columns, source, run.dialect)}")


def _write_results(con: Any, run: Run, output: str) -> None:
    """Per-case results streamed from the query to the file (DuckDB writes as it evaluates)."""
    kind = file_format(output)
    options = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER true", "jsonl": "FORMAT json"}[kind]
    target = output.replace("'", "''")
    con.execute(f"COPY ({run.query('impact_facts', flags=False)}) TO '{target}' ({options})")


def _sample(con: Any, size: int) -> list[dict[str, Any]]:
    """The facts of a seeded sample: the cases with the smallest hashes of their ids, the same on any number of
    threads (a repeatable reservoir is not). Two light scans: the ids alone, then only the chosen rows kept."""
    if size <= 0:
        return []
    ids = con.execute(f"SELECT min_by(case_id, hash(case_id, {SAMPLE_SEED}), {int(size)}) FROM impact_facts").fetchone()
    if not ids or not ids[0]:
        return []
    cursor = con.execute("SELECT * FROM impact_facts WHERE list_contains($1, case_id) ORDER BY case_id LIMIT $2",
                         [ids[0], len(ids[0])])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def population_error(exc: Exception, source: str) -> FactsError:
    """A query error as our own diagnostic: F312 when our check stopped it, else F311 (unreadable or wrong type)."""
    text = str(exc)
    if "F312 " in text:
        message = text[text.index("F312 ") + 5:].splitlines()[0]
        return FactsError([Diagnostic("F312", message, file=source)])
    return FactsError([Diagnostic("F311", f"cannot read the population: {text.splitlines()[0]}", file=source,
                                  hint="columns are fact ids with values of the fact's type; lists are nested or JSON")])
