"""YAML with positions: expression offsets map to file lines and columns for every scalar style."""

from __future__ import annotations

import pytest
from asylum_kb.kb.yamlsource import load

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


def _alias_bomb(levels: int, width: int = 9) -> str:
    lines = ["l0: &l0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text,line,column", [
    ("a: &a [*a]\n", 1, 8),
    ("a: &a {b: [1, {c: *a}]}\n", 1, 19),
    ("- &top\n  - 1\n  - *top\n", 3, 5),
])
def test_a_recursive_alias_is_a_located_error(text: str, line: int, column: int) -> None:
    [problem] = load("t.yaml", text).problems
    assert problem.code == "E200" and "recursive alias" in problem.message
    assert problem.position is not None and (problem.position.line, problem.position.column) == (line, column)


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_node_limit() -> None:
    source = load("t.yaml", _alias_bomb(9))  # 9**9 nodes once expanded, in 300 bytes
    [problem] = source.problems
    assert problem.code == "E200" and "aliases are expanded" in problem.message
    assert problem.position is not None and problem.position.line == 6  # l5 alone expands to 597,871 nodes
    assert source.data is None


def test_aliases_within_the_node_limit_load_as_shared_data() -> None:
    source = load("t.yaml", _alias_bomb(3) + "top: *l2\n")
    assert source.problems == []
    assert source.data["top"] == [[["x"] * 9] * 9] * 9


@pytest.mark.parametrize("text,line,column", [
    ("a: 1\n? [x, y]\n: 2\n", 2, 3),
    ("? {k: v}\n: 1\n", 1, 3),
    ("a: " + "9" * 5000 + "\n", 1, 4),
    ("a: [1, -" + "1" * 200 + ".5]\n", 1, 8),
    ("a: !!binary aGVsbG8=\n", 1, 4),
    ("a: !!timestamp 2025-02-30\n", 1, 4),
    ("a: !!python/object:os.system x\n", 1, 4),
    ("a: !custom 1\n", 1, 4),
    ("!!timestamp :\n", 1, 1),                    # found by the fuzzer: a tagged key
    ("b: 1\n" + "9" * 200 + ": x\n", 2, 1),
])
def test_nodes_that_are_not_plain_data_are_located_errors(text: str, line: int, column: int) -> None:
    source = load("t.yaml", text)
    assert [p.code for p in source.problems] == ["E200"]
    position = source.problems[0].position
    assert position is not None and (position.line, position.column) == (line, column)
    assert source.data is None


def test_merge_keys_and_plain_tags_still_load() -> None:
    source = load("t.yaml", "base: &b {x: 1}\nmore:\n  <<: *b\n  y: !!str 2\n")
    assert source.problems == []
    assert source.data["more"] == {"x": 1, "y": "2"}
