"""SQL dialects: the few spellings that differ between DuckDB and Spark SQL, behind one interface.

The compiler writes standard SQL (CASE, AND/OR/NOT, comparisons, COALESCE, IN) itself and asks
the dialect only for lambdas over lists, date arithmetic, identifiers and run-time errors.
"""

from __future__ import annotations

from datetime import date


class Dialect:
    """DuckDB spelling; ``SparkDialect`` overrides what Spark SQL writes differently."""

    name = "duckdb"

    def ident(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def string(self, text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def date(self, day: date) -> str:
        return f"DATE '{day.isoformat()}'"

    def transform(self, items: str, var: str, body: str) -> str:
        return f"list_transform({items}, lambda {var}: {body})"

    def transform_indexed(self, items: str, var: str, index: str, body: str) -> str:
        """``body`` may read the item's 1-based position as ``index``."""
        return f"list_transform({items}, lambda {var}, {index}: {body})"

    def filter(self, items: str, var: str, body: str) -> str:
        return f"list_filter({items}, lambda {var}: {body})"

    def size(self, items: str) -> str:
        return f"len({items})"

    def list_max(self, items: str) -> str:
        return f"list_max({items})"

    def list_min(self, items: str) -> str:
        return f"list_min({items})"

    def list_sum(self, items: str) -> str:
        return f"list_sum({items})"

    def field(self, record: str, name: str) -> str:
        return f"struct_extract({record}, {self.string(name)})"

    def add_months(self, day: str, months: str) -> str:
        return f"CAST({day} + to_months(CAST({months} AS INTEGER)) AS DATE)"

    def add_days(self, day: str, days: str) -> str:
        return f"({day} + CAST({days} AS INTEGER))"

    def days_between(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def year(self, day: str) -> str:
        return f"year({day})"

    def month(self, day: str) -> str:
        return f"month({day})"

    def pick(self, condition: str, then: str, otherwise: str) -> str:
        """``then`` if the condition holds, ``otherwise`` if not, unknown if it is unknown.

        DuckDB: index a pair by the condition (NULL picks nothing), which reads the condition once even inside
        a lambda, where it cannot be a column of its own.
        """
        return f"list_extract([{otherwise}, {then}], CAST({condition} AS INTEGER) + 1)"

    def truncate(self, number: str) -> str:
        """Drop the fraction, towards zero."""
        return f"trunc({number})"

    def weekday(self, day: str) -> str:
        """Monday 0 to Sunday 6, as Python counts."""
        return f"(isodow({day}) - 1)"

    def day(self, day: str) -> str:
        return f"dayofmonth({day})"

    def element(self, items: str, index: str) -> str:
        """The item at a lambda's index (DuckDB counts from 1)."""
        return f"list_extract({items}, {index})"

    def text_type(self) -> str:
        return "VARCHAR"

    def fail(self, message: str) -> str:
        """Stop the query with ``message`` (an SQL text expression)."""
        return f"error({message})"

    def record(self, fields: list[tuple[str, str]]) -> str:
        return "{" + ", ".join(f"{self.string(name)}: {value}" for name, value in fields) + "}"

    def double(self) -> str:
        return "DOUBLE"

    def list_type(self, item: str) -> str:
        return f"{item}[]"

    def struct_type(self, fields: list[tuple[str, str]]) -> str:
        return "STRUCT(" + ", ".join(f"{self.ident(n)} {t}" for n, t in fields) + ")"

    def index_text(self, index: str) -> str:
        """The item's 1-based position as text, from the dialect's own index convention."""
        return f"CAST({index} AS VARCHAR)"


class SparkDialect(Dialect):
    name = "spark"

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def string(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def transform(self, items: str, var: str, body: str) -> str:
        return f"transform({items}, {var} -> {body})"

    def transform_indexed(self, items: str, var: str, index: str, body: str) -> str:
        return f"transform({items}, ({var}, {index}) -> {body})"

    def filter(self, items: str, var: str, body: str) -> str:
        return f"filter({items}, {var} -> {body})"

    def size(self, items: str) -> str:
        # size(NULL) is -1 under Spark's legacy default; unknown must stay unknown.
        return f"CASE WHEN {items} IS NULL THEN NULL ELSE size({items}) END"

    def list_max(self, items: str) -> str:
        return f"array_max({items})"

    def list_min(self, items: str) -> str:
        return f"array_min({items})"

    def list_sum(self, items: str) -> str:
        return f"aggregate({items}, CAST(0 AS DOUBLE), (acc, x) -> acc + x)"

    def field(self, record: str, name: str) -> str:
        return f"{record}.{self.ident(name)}"

    def add_months(self, day: str, months: str) -> str:
        return f"add_months({day}, CAST({months} AS INT))"

    def add_days(self, day: str, days: str) -> str:
        return f"date_add({day}, CAST({days} AS INT))"

    def days_between(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def fail(self, message: str) -> str:
        return f"raise_error({message})"

    def element(self, items: str, index: str) -> str:
        return f"element_at({items}, {index} + 1)"

    def text_type(self) -> str:
        return "STRING"

    def pick(self, condition: str, then: str, otherwise: str) -> str:
        # element_at with a NULL index does not give NULL on Spark 4; a plain CASE does what we mean.
        return f"(CASE WHEN {condition} THEN {then} WHEN NOT {condition} THEN {otherwise} END)"

    def truncate(self, number: str) -> str:
        return f"CAST({number} AS BIGINT)"

    def weekday(self, day: str) -> str:
        return f"weekday({day})"

    def record(self, fields: list[tuple[str, str]]) -> str:
        return "named_struct(" + ", ".join(f"{self.string(name)}, {value}" for name, value in fields) + ")"

    def list_type(self, item: str) -> str:
        return f"ARRAY<{item}>"

    def struct_type(self, fields: list[tuple[str, str]]) -> str:
        return "STRUCT<" + ", ".join(f"{self.ident(n)}: {t}" for n, t in fields) + ">"

    def index_text(self, index: str) -> str:
        return f"CAST({index} + 1 AS STRING)"


DIALECTS: dict[str, Dialect] = {"duckdb": Dialect(), "spark": SparkDialect()}
