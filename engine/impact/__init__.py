"""Population impact runs: the checked rules compiled to SQL and run on DuckDB (embedded) or Spark.

Needs the ``impact`` extra (``pip install 'asylum-kb[impact]'``; Spark: ``asylum-kb[spark]``).
"""

from __future__ import annotations

from .run import ImpactResult, Variant, run_duckdb
from .sqlgen import compile_rules

__all__ = ["ImpactResult", "Variant", "compile_rules", "run_duckdb"]
