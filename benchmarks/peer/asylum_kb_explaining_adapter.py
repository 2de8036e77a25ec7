"""The explaining-path row for the shared harness (a separate file: the harness takes one Adapter per file)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from asylum_kb_adapter import ExplainingAdapter as Adapter  # noqa: F401
