"""YAML with positions: expression offsets map to file lines and columns for every scalar style."""

from __future__ import annotations

import pytest
from asylum_kb.yamlsource import load

TEXT = '''title: "§ 208 — façade"
plain: a and and b
quoted: "a and and b"
literal: |
  a and
  and and b
folded: >-
  a and
  and and b
'''


@pytest.mark.parametrize("key,offset,line,column", [
    ("plain", 6, 2, 14),     # the second "and"
    ("quoted", 6, 3, 16),
    ("literal", 10, 6, 7),   # block scalars start on the line after the key
    ("folded", 10, 9, 7),    # folding turns the newline into a space; positions still follow the file
])
def test_offsets_map_to_file_positions_after_non_ascii_text(key: str, offset: int, line: int, column: int) -> None:
    source = load("t.yaml", TEXT)
    position = source.expression_locator((key,))(offset)
    assert (position.line, position.column) == (line, column)
    assert position.source_line == TEXT.splitlines()[line - 1]


def test_dates_stay_text_and_duplicate_keys_are_reported() -> None:
    source = load("t.yaml", "a: 2025-07-04\na: 1\n")
    assert source.data == {"a": 1} or source.data == {"a": "2025-07-04"}
    assert [p.code for p in source.problems] == ["E209"]
    assert load("t.yaml", "a: 2025-07-04\n").data == {"a": "2025-07-04"}


@pytest.mark.parametrize("text", ["[" * 50_000 + "]" * 50_000, "{a: " * 3000 + "1" + "}" * 3000,
                                  "".join(" " * i + "- \n" for i in range(0, 400, 2))])
def test_deeply_nested_yaml_is_an_error_not_a_crash(text: str) -> None:
    source = load("t.yaml", text)
    assert [p.code for p in source.problems] == ["E200"] and "nested more than" in source.problems[0].message


def test_nesting_within_the_limit_loads() -> None:
    assert load("t.yaml", "[" * 50 + "]" * 50).problems == []
