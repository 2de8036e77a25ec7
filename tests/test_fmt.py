"""asylum-kb fmt: canonical key order and indentation, comments kept, --check, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from asylum_kb.cli.main import main
from asylum_kb.tools.fmt import format_text
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
MESSY = """\
# A ruleset about persecutors.
rules:
- citations: ["INA 208(b)(2)(A)(i)"]   # the statute
  when: bars.persecutor
  # why this rule exists
  title: Persecutor of others
  kind: bar
  id: asylum.bar.persecutor
ruleset: {id: x.y, title: X, version: 1.0.0}
"""


def test_keys_are_reordered_and_comments_kept() -> None:
    formatted = format_text(MESSY)
    assert formatted.index("ruleset:") < formatted.index("rules:")
    lines = [line.strip() for line in formatted.splitlines()]
    rule = lines[lines.index("- id: asylum.bar.persecutor"):]
    assert [line.split(":")[0].lstrip("- ") for line in rule if not line.startswith("#")][:4] == \
           ["id", "title", "kind", "when"]
    assert "# A ruleset about persecutors." in formatted and "# the statute" in formatted
    assert "# why this rule exists" in formatted


def test_formatting_is_idempotent() -> None:
    once = format_text(MESSY)
    assert format_text(once) == once


def test_check_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(MESSY)
    result = CliRunner().invoke(main, ["fmt", "--check", str(path)])
    assert result.exit_code == 1 and "would reformat" in result.output and path.read_text() == MESSY
    result = CliRunner().invoke(main, ["fmt", str(path)])
    assert result.exit_code == 0 and path.read_text() == format_text(MESSY)
    assert CliRunner().invoke(main, ["fmt", "--check", str(path)]).exit_code == 0


def test_invalid_yaml_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [\n")
    result = CliRunner().invoke(main, ["fmt", str(path)])
    assert result.exit_code == 4 and f"{path}:2:1: error E200" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n"
                                                          for i in range(1, 9)).replace("*l0", "x")])
def test_a_file_the_loader_refuses_is_not_formatted(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["fmt", str(path)])
    assert result.exit_code == 4 and f"{path}:" in result.output and "E200" in result.output
    assert path.read_text() == text


def test_the_shipped_rules_are_in_canonical_layout() -> None:
    result = CliRunner().invoke(main, ["fmt", "--check", str(ROOT / "rules"), str(ROOT / "benchmarks" / "peer" / "rules")])
    assert result.exit_code == 0, result.output
