"""The quick start (cli/quick.py): a plain one-case eval answered without click, everything else by click's command.

The quick start is only allowed to be faster: every command line is run through both entry points and
must give the same exit code, standard output and standard error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asylum_kb.cli.quick import parse
from asylum_kb.kb import cache
from asylum_kb.kb.knowledge_base import default_rules_dir
from kbfiles import write_kb

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "affirmative-grant.yaml")
ENTRIES = {"quick": "from asylum_kb.cli.quick import run as main", "click": "from asylum_kb.cli.main import main"}
HEAVY = {"jsonschema", "jinja2", "lark", "ruamel", "click"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fact files of every kind, a mini rules folder, and one compiled-rules cache for every run."""
    root = tmp_path_factory.mktemp("quick")
    (root / "case.json").write_text(json.dumps({"as_of": "2025-09-15", "applicant": {"location": "inside_us"}}))
    (root / "unknown-fact.yaml").write_text("applicant:\n  location: inside_us\n  shoe_size: 9\n")
    (root / "bad-type.json").write_text('{"applicant": {"location": 7}}')
    (root / "broken.yaml").write_text("applicant: [\n")
    (root / "ansi.yaml").write_text('applicant:\n  location: inside_us\nfamily:\n  children:\n'
                                    '    - name: "\\e[31mAna\\e[0m"\n      date_of_birth: 2010-01-01\n')
    (root / "cases.jsonl").write_text('{"applicant": {"location": "inside_us"}}\n')
    (root / "folder").mkdir()
    (root / "folder" / "one.json").write_text('{"applicant": {"location": "inside_us"}}')
    write_kb(root / "mini")
    (root / "mini.yaml").write_text("person:\n  filed: 2025-09-01\n  arrived: 2025-01-01\n")
    (root / "cache").mkdir(mode=0o700)
    return root


def run(entry: str, args: list[str], workspace: Path, stdin: str = "") -> tuple[int, str, str]:
    env = {key: value for key, value in os.environ.items() if not key.endswith("_COMPLETE")}
    env["ASYLUM_KB_CACHE_DIR"] = str(workspace / "cache")
    program = f"import sys; sys.argv[0] = 'asylum-kb'; {ENTRIES[entry]}; main()"
    done = subprocess.run([sys.executable, "-c", program, *args], check=False, cwd=workspace, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


SAME = {
    "json": ["eval", EXAMPLE, "--as-of", "2025-09-15", "--format", "json"],
    "json-case": ["eval", "case.json", "--format", "json"],
    "text": ["eval", EXAMPLE, "--as-of", "2025-09-15"],
    "text-explain": ["eval", EXAMPLE, "--as-of", "2025-09-15", "--explain"],
    "yaml-values-only": ["eval", EXAMPLE, "--as-of=2025-09-15", "--format=yaml", "--values-only"],
    "options-first": ["eval", "--format", "json", "--explain", "--values-only", "--debug", "case.json"],
    "only": ["eval", "case.json", "--only", "asylum.eligibility", "--only=fees.asylum_application", "--format", "json"],
    "ansi-in-text": ["eval", "ansi.yaml", "--as-of", "2025-09-15"],
    "own-rules": ["eval", "mini.yaml", "--rules", "mini/rules", "--format", "json", "--as-of", "2025-09-01"],
    "unknown-only": ["eval", "case.json", "--only", "asylum.eligibilty"],
    "bad-date": ["eval", "case.json", "--as-of", "2025-13-01"],
    "compact-date": ["eval", "case.json", "--as-of", "20250915"],
    "bad-format": ["eval", "case.json", "--format", "xml"],
    "twice": ["eval", "case.json", "--format", "json", "--format", "text"],
    "missing-value": ["eval", "case.json", "--as-of"],
    "missing-file": ["eval", "nowhere.yaml"],
    "unknown-fact": ["eval", "unknown-fact.yaml"],
    "bad-type": ["eval", "bad-type.json", "--format", "json"],
    "broken-yaml": ["eval", "broken.yaml"],
    "two-files": ["eval", "case.json", "broken.yaml"],
    "folder": ["eval", "folder", "--as-of", "2025-09-15", "--jobs", "1"],
    "jsonl": ["eval", "cases.jsonl", "--as-of", "2025-09-15", "-j", "1"],
    "jsonl-yaml": ["eval", "cases.jsonl", "--format", "yaml"],
    "stdin": ["eval", "-", "--as-of", "2025-09-15", "--format", "json"],
    "rules-missing": ["eval", "case.json", "--rules", "no-such-folder"],
    "rules-a-file": ["eval", "case.json", "--rules", "case.json"],
    "help": ["eval", "--help"],
    "unknown-option": ["eval", "case.json", "--explian"],
    "after-double-dash": ["eval", "--", "case.json"],
    "no-command": [],
    "other-command": ["facts"],
}


@pytest.mark.parametrize("args", list(SAME.values()), ids=list(SAME))
def test_both_entry_points_print_the_same_and_exit_the_same(args: list[str], workspace: Path) -> None:
    stdin = '{"applicant": {"location": "inside_us"}}' if "-" in args else ""
    assert run("quick", args, workspace, stdin) == run("click", args, workspace, stdin)


def test_a_debug_run_with_bad_facts_fails_the_same_way_on_both_entry_points(workspace: Path) -> None:
    quick, click = (run(entry, ["eval", "bad-type.json", "--debug"], workspace) for entry in ENTRIES)
    assert quick[0] == click[0] == 1
    assert raised(quick[2]) == raised(click[2]) and raised(quick[2]).startswith("asylum_kb.language.diagnostics.FactsError")


def raised(traceback: str) -> str:
    """A traceback's exception and its message, without the frames (the quick start adds one)."""
    lines = traceback.splitlines()
    start = max(index for index, line in enumerate(lines) if line.startswith("  File ")) + 2
    return "\n".join(lines[start:])


def probe(args: list[str], workspace: Path) -> tuple[str, set[str]]:
    """Run the quick start in-process; its output and the heavy packages it imported."""
    program = ("import sys; sys.argv[0] = 'asylum-kb'\nfrom asylum_kb.cli.quick import run\ntry:\n    run()\n"
               "except SystemExit:\n    pass\nprint(sorted({m.split('.')[0] for m in sys.modules}), file=sys.stderr)")
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(workspace / "cache")}
    done = subprocess.run([sys.executable, "-c", program, *args], check=False, cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=120)
    return done.stdout, set(json.loads(done.stderr.splitlines()[-1].replace("'", '"')))


def settle() -> None:
    """Wait until the rule and engine files are old enough for the cache's stamp index (just after a checkout)."""
    stamped = cache.stamp(default_rules_dir())
    wait = (stamped[1] / 1e9 + cache.SETTLED_SECONDS + 0.1 - time.time()) if stamped is not None else 0
    if wait > 0:
        time.sleep(wait)


@pytest.mark.parametrize(("case", "allowed"), [("case.json", set()), (EXAMPLE, {"yaml"})], ids=["json", "yaml"])
def test_a_warm_one_case_eval_imports_neither_click_nor_schema_template_or_parser_libraries(
        case: str, allowed: set[str], workspace: Path) -> None:
    settle()
    probe(["eval", case, "--format", "json"], workspace)  # warms the cache
    out, modules = probe(["eval", case, "--format", "json"], workspace)
    assert "asylum.eligibility" in json.loads(out)["determinations"]
    assert modules & (HEAVY | {"yaml"}) == allowed
    assert not modules & {"hashlib", "_hashlib"}  # the cache's stamp index answered: no rule file was hashed


def test_a_command_line_with_an_error_is_handed_to_click(workspace: Path) -> None:
    _, modules = probe(["eval", "case.json", "--as-of", "2025-13-01"], workspace)
    assert "click" in modules


def test_the_installed_command_takes_the_quick_start(workspace: Path) -> None:
    script = Path(sys.executable).parent / "asylum-kb"
    if not script.is_file():
        pytest.skip("the asylum-kb command is not installed next to this Python")
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(workspace / "cache")}
    command = [sys.executable, "-X", "importtime", str(script), "eval", "case.json", "--format", "json"]
    for _ in range(2):  # the first run may compile the rules
        done = subprocess.run(command, check=False, cwd=workspace, env=env, capture_output=True, text=True, timeout=120)
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert done.returncode == 0 and "asylum.eligibility" in json.loads(done.stdout)["determinations"]
    assert "asylum_kb" in imported and not imported & (HEAVY | {"yaml"})


@pytest.mark.parametrize(("args", "facts", "options", "only", "flags"), [
    (["eval", "a.yaml"], "a.yaml", {}, (), set()),
    (["eval", "--as-of=2025-01-01", "a.yaml", "--format", "json"], "a.yaml",
     {"--as-of": "2025-01-01", "--format": "json"}, (), set()),
    (["eval", "a.yaml", "--only", "x", "--only=y", "--explain", "--debug"], "a.yaml", {}, ("x", "y"),
     {"--explain", "--debug"}),
    (["eval", "a.yaml", "--rules", "r", "--values-only"], "a.yaml", {"--rules": "r"}, (), {"--values-only"}),
], ids=["file", "options", "repeated-only", "rules"])
def test_plain_command_lines_are_read(args: list[str], facts: str, options: dict[str, str], only: tuple[str, ...],
                                      flags: set[str]) -> None:
    request = parse(args)
    assert request is not None
    assert (request.facts, request.options, request.only, request.flags) == (facts, options, only, flags)


@pytest.mark.parametrize("args", [
    [], ["eval"], ["report", "a.yaml"], ["eval", "-"], ["eval", "a.yaml", "b.yaml"], ["eval", "a.yaml", "-j", "2"],
    ["eval", "a.yaml", "--jobs", "2"], ["eval", "a.yaml", "--help"], ["eval", "a.yaml", "--as-of"],
    ["eval", "a.yaml", "--as-of", "--format"], ["eval", "a.yaml", "--format", "json", "--format", "text"],
    ["eval", "--", "a.yaml"], ["eval", "a.yaml", "--explain=yes"], ["--debug", "eval", "a.yaml"],
], ids=lambda args: " ".join(args) or "nothing")
def test_anything_else_is_left_to_click(args: list[str]) -> None:
    assert parse(args) is None
