"""The console examples of README.md and docs/analyst-tools.md print what the command prints now.

A first-time user copies these commands; when the knowledge base changes (new determinations, new
fee values) an example that still shows the old output misleads. In an example, a line `…` or `...`
stands for any number of lines, and a line ending in ` …` for any line that starts with its text.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from asylum_kb.cli.main import main
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
CONSOLE = re.compile(r"```console\n\$ (asylum-kb [^\n]*)\n(.*?)```", re.DOTALL)
CHECKED = {
    "README.md": ["asylum-kb eval examples/affirmative-grant.yaml",
                  "asylum-kb eval examples/affirmative-grant.yaml --explain"],
    "docs/analyst-tools.md": ["asylum-kb diff --as-of 2025-07-01 --as-of 2025-09-01 --scenarios examples",
                              "asylum-kb diff --rules rules --rules ../proposal/rules --scenarios examples"],
}
ELISION = {"…", "..."}


def shown_output(doc: str, command: str) -> str:
    for found, output in CONSOLE.findall((ROOT / doc).read_text(encoding="utf-8")):
        if found == command:
            return output
    raise AssertionError(f"{doc} has no console example of {command!r}")


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether the printed lines are the shown ones, with the elisions explained in the module docstring."""
    if not shown:
        return not printed
    head, rest = shown[0], shown[1:]
    if head.strip() in ELISION:
        return any(matches(rest, printed[start:]) for start in range(len(printed) + 1))
    if not printed:
        return False
    line_fits = printed[0].startswith(head[:-2]) if head.endswith(" …") else printed[0] == head
    return line_fits and matches(rest, printed[1:])


def run(command: str) -> str:
    result = CliRunner().invoke(main, shlex.split(command)[1:], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("doc,command", [(doc, command) for doc, commands in CHECKED.items() for command in commands])
def test_the_console_example_is_what_the_command_prints(doc: str, command: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "rules", work / "rules", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    shutil.copytree(ROOT / "examples", work / "examples")
    proposal = tmp_path / "proposal" / "rules"
    shutil.copytree(work / "rules", proposal)
    fees = proposal / "parameters" / "fees.yaml"
    last_i589_value = ("        notes: The inflation adjustment is rounded down to a multiple of $10, which for FY2026 leaves"
                       " the fee at $100.\n")
    text = fees.read_text(encoding="utf-8")
    assert text.count(last_i589_value) == 1
    fees.write_text(text.replace(last_i589_value, last_i589_value + (
        '      - from: 2027-01-01\n        value: 150\n        citations: ["A hypothetical notice, for this example"]\n')),
        encoding="utf-8")
    monkeypatch.chdir(work)
    printed = run(command).splitlines()
    shown = shown_output(doc, command).splitlines()
    assert matches(shown, printed), "\n".join(["shown:", *shown, "", "printed:", *printed])


@pytest.mark.parametrize("shown,printed,expected", [
    (["a", "…", "d"], ["a", "b", "c", "d"], True),
    (["a", "b"], ["a", "b", "c"], False),
    (["x: 1 …"], ["x: 1 and more"], True),
    (["x: 2 …"], ["x: 1 and more"], False),
    (["a", "...", "z"], ["a", "b"], False),
])
def test_the_matcher_reads_elisions_and_nothing_more(shown: list[str], printed: list[str], expected: bool) -> None:
    assert matches(shown, printed) is expected


def test_the_fact_document_example_of_the_engine_page_is_accepted(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    example = page.split("### A fact document", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    case = tmp_path / "case.yaml"
    case.write_text(example, encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(case), "--format", "json", "--only", "family.derivative_spouse"])
    assert result.exit_code == 0, result.stderr
    assert '"id": "A-102"' in result.stdout and '"value": "not_applicable"' in result.stdout
