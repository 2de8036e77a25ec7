"""Hostile inputs through the real command line: each gets our located error and exit code, fast and small.

One row per input from issue 9 (alias bombs, stale and planted caches, unreadable or special rule
files, name collisions, duplicate JSON keys, numbers, keys, surrogates, dates and durations that
broke the tool, unwritable output). Each runs in a fresh process with an address-space cap, and
the test checks the exit code, the error code and location, the time and the peak memory.

``python tests/test_hostile_inputs.py`` prints the same rows as a Markdown table.
"""

from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from kbfiles import PARAMETERS, RULES, write_kb

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "affirmative-grant.yaml"
TIME_LIMIT = 2.0  # seconds, the issue's bound; asserted with slack for slow CI machines
ASSERTED_TIME_LIMIT = 10.0
MEMORY_LIMIT = 200 * 1024 * 1024  # bytes of peak resident memory
ADDRESS_SPACE_CAP = 4 * 1024 ** 3  # a runaway input fails fast instead of taking the machine down

# Runs the CLI in-process and records its peak resident memory when it exits (sys.exit included). The kernel's
# VmHWM is this program's own peak; ru_maxrss also counts the test process it was forked from, which grows as the
# suite runs.
RUNNER = textwrap.dedent("""
    import atexit, os, resource, sys
    def peak_kib():
        try:
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    def record():
        with open(os.environ["PEAK_FILE"], "w") as handle:
            handle.write(str(peak_kib()))
    atexit.register(record)
    from asylum_kb.cli.main import main
    sys.argv = ["asylum-kb", *sys.argv[1:]]
    main()
""")


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_bytes: int


_SHARED_CACHE = Path(tempfile.mkdtemp(prefix="asylum-kb-hostile-"))  # private (0700), warmed by the first run


def run(args: list[str], work: Path, stdin: str | None = None, own_cache: bool = False) -> Outcome:
    """One CLI run in a fresh, capped process; cache rows get a cache folder of their own."""
    peak_file = work / "peak"
    cache = work / "cache" if own_cache else _SHARED_CACHE
    env = {**os.environ, "PEAK_FILE": str(peak_file), "ASYLUM_KB_CACHE_DIR": str(cache)}

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))

    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUNNER, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60, preexec_fn=cap, cwd=work, check=False)
    seconds = time.perf_counter() - start
    peak_kib = int(peak_file.read_text()) if peak_file.exists() else 0
    peak_file.unlink(missing_ok=True)
    return Outcome(done.returncode, done.stdout, done.stderr, seconds, peak_kib * 1024)


def _alias_bomb(levels: int = 9) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _file(name: str, text: str) -> Callable[[Path], list[str]]:
    def setup(work: Path) -> list[str]:
        (work / name).write_text(text, encoding="utf-8")
        return ["eval", name]
    return setup


def _rules(command: str = "validate", **files: str) -> Callable[[Path], list[str]]:
    def setup(work: Path) -> list[str]:
        rules = write_kb(work, **files)
        return [command, str(rules)] if command == "validate" else ["eval", str(EXAMPLE), "--rules", str(rules)]
    return setup


def _rules_with(make: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def setup(work: Path) -> list[str]:
        rules = write_kb(work)
        make(rules)
        return ["validate", str(rules)]
    return setup


def _stdin_bomb(work: Path) -> list[str]:
    return ["eval", "-"]


def _scenario_bomb(work: Path) -> list[str]:
    (work / "cases").mkdir()
    (work / "cases" / "bomb.yaml").write_text(_alias_bomb())
    return ["test", "cases"]


def _pack_bomb(work: Path) -> list[str]:
    (work / "pack").mkdir()
    (work / "pack" / "bomb.yaml").write_text("a: &a [*a]\n")
    return ["report", "--pack", "pack", "-o", "out"]


MINI_CASE = "as_of: 2025-09-01\nperson:\n  filed: 2025-09-01\n  arrived: 2025-01-01\n"


def _stale_cache(work: Path) -> list[str]:
    rules = write_kb(work)
    (work / "case.yaml").write_text(MINI_CASE)
    run(["eval", "case.yaml", "--rules", str(rules), "--format", "json"], work, own_cache=True)  # fee 100, cached
    parameters = rules / "parameters.yaml"
    before = parameters.stat()
    parameters.write_text(parameters.read_text().replace("value: 100", "value: 900"))
    os.utime(parameters, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or a checkout would
    return ["eval", "case.yaml", "--rules", str(rules), "--format", "json"]


def _corrupt_cache(work: Path) -> list[str]:
    args = ["eval", str(EXAMPLE), "--format", "json"]
    run(args, work, own_cache=True)
    [entry] = (work / "cache").glob("*.kb")
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x01
    entry.write_bytes(bytes(data))
    return args


class _RunsCode:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return open, (self.marker, "w")


def _planted_cache(work: Path) -> list[str]:
    import hashlib

    from asylum_kb.kb import cache

    args = ["eval", str(EXAMPLE), "--format", "json"]
    run(args, work, own_cache=True)
    [entry] = (work / "cache").glob("*.kb")
    payload = pickle.dumps(_RunsCode(str(work / "code-ran")))
    entry.write_bytes(cache._MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    entry.chmod(0o666)  # as another user with write access to the folder could leave it
    return args


def _symlink_loop_folder(rules: Path) -> None:
    (rules / "more").symlink_to("more")


def _fifo(rules: Path) -> None:
    os.mkfifo(rules / "waiting.yaml")


def _dev_zero(rules: Path) -> None:
    (rules / "zero.yaml").symlink_to("/dev/zero")


def _collision_rules() -> str:
    return RULES + "".join(f"""\
  - id: mini.{rule}
    title: Reads {name}
    kind: fee
    value: {name} at person.filed
    citations: ["Fee law"]
""" for rule, name in (("dot", "zz.fee"), ("underscores", "zz__fee")))


def _collision_parameters() -> str:
    return PARAMETERS + "".join(f"""\
  - id: {name}
    title: {name}
    type: money
    citations: ["Fee law"]
    values:
      - from: 2000-01-01
        value: {value}
        citations: ["Fee law"]
""" for name, value in (("zz.fee", 100), ("zz__fee", 900)))


def _collision(work: Path) -> list[str]:
    rules = write_kb(work, **{"rules.yaml": _collision_rules(), "parameters.yaml": _collision_parameters()})
    (work / "case.yaml").write_text(MINI_CASE)
    return ["eval", "case.yaml", "--rules", str(rules), "--format", "json"]


def _unwritable_output(work: Path) -> list[str]:
    return ["report", str(EXAMPLE), "-o", str(work / "missing" / "page.html")]


@dataclass
class Row:
    id: str
    item: int
    setup: Callable[[Path], list[str]]
    exit_code: int
    expect: str  # our error code and where, or a piece of the answer
    stdin: str | None = None
    also: tuple[str, ...] = ()
    own_cache: bool = False


ROWS = [
    Row("facts: recursive alias", 1, _file("f.yaml", "a: &a [*a]\n"), 3, "f.yaml:1:8: error F304"),
    Row("facts: 9-level alias bomb (352 bytes)", 1, _file("f.yaml", _alias_bomb()), 3, "f.yaml:6:15: error F304"),
    Row("facts on stdin: alias bomb", 1, _stdin_bomb, 3, "<stdin>:6:15: error F304", stdin=_alias_bomb()),
    Row("rules: alias bomb in a rule file", 1, _rules(**{"bomb.yaml": _alias_bomb()}), 4, "bomb.yaml:6:15: error E200"),
    Row("scenarios: alias bomb", 1, _scenario_bomb, 4, "bomb.yaml:6:15: error E200"),
    Row("report pack: recursive alias", 1, _pack_bomb, 3, "bomb.yaml:1:8: error F304"),
    Row("cache: edit keeping size and mtime", 2, _stale_cache, 0, '"value": 900', own_cache=True),
    Row("cache: one corrupted byte", 3, _corrupt_cache, 0, '"asylum.eligibility"', own_cache=True),
    Row("cache: planted pickle, mode 666", 3, _planted_cache, 0, '"asylum.eligibility"', own_cache=True),
    Row("rules: sub-folder that cannot be listed", 5, _rules_with(_symlink_loop_folder), 4, "rules/more: error E200"),
    Row("rules: FIFO named x.yaml", 5, _rules_with(_fifo), 4, "rules/waiting.yaml: error E200"),
    Row("rules: symlink to /dev/zero", 5, _rules_with(_dev_zero), 4, "rules/zero.yaml: error E200"),
    Row("rules: 3 MB rule file", 5, _rules(**{"huge.yaml": "# " + "x" * 3_000_000 + "\n"}), 4,
        "rules/huge.yaml: error E200"),
    Row("rules: parameters zz.fee and zz__fee", 7, _collision, 0, '"value": 900', also=('"value": 100',)),
    Row("rules: quantifier variable with a dot", 7,
        _rules(**{"rules.yaml": RULES.replace("when: person.persecutor", 'when: "any k.x in person.kids: true"')}),
        4, "rules/rules.yaml:20:12: error E125"),
    Row("facts: duplicate JSON key", 8, _file("f.json", '{"bars": {"persecutor": true, "persecutor": false}}'),
        3, "f.json:1:31: error F304"),
    Row("facts: 5,000-digit YAML integer", 9, _file("f.yaml", "bars:\n  persecutor: " + "9" * 5000 + "\n"), 3,
        "f.yaml:2:15: error F304"),
    Row("facts: 5,000-digit JSON integer", 9, _file("f.json", '{"bars": {"x": ' + "9" * 5000 + "}}"), 3,
        "f.json:1:16: error F304"),
    Row("facts: JSON 1.0e999999999", 9, _file("f.json", '{"bars": {"aggravated_felony_sentence_years": 1.0e999999999}}'),
        3, "f.json:1:47: error F304"),
    Row("facts: YAML 1.0e+999999999", 9, _file("f.yaml", "bars:\n  aggravated_felony_sentence_years: 1.0e+999999999\n"),
        3, "error F301"),
    Row("facts: complex YAML key", 9, _file("f.yaml", "? [a, b]\n: 1\n"), 3, "f.yaml:1:3: error F304"),
    Row("facts: lone surrogate (JSON)", 9, _file("f.json", '{"applicant": {"location": "\\ud800"}}'), 3,
        "f.json:1:29: error F304"),
    Row("facts: invalid date 2025-02-30", 9, _file("f.yaml", "as_of: 2025-02-30\n"), 3, "error F301"),
    Row("rules: effective date 2025-02-30", 9,
        _rules(**{"rules.yaml": RULES.replace("    when: person.persecutor\n",
                                              "    when: person.persecutor\n    effective: {from: 2025-02-30}\n")}),
        4, "rules/rules.yaml:21:23: error E201"),
    Row("rules: duration 99999999999999999999 years", 9,
        _rules(**{"rules.yaml": RULES.replace("+ 1 year", "+ 99999999999999999999 years")}), 4,
        "rules/rules.yaml:9:43: error E110"),
    Row("rules: parameter value .nan", 9, _rules(**{"parameters.yaml": PARAMETERS.replace("value: 100", "value: .nan")}),
        4, "rules/parameters.yaml:12:16: error E208"),
    Row("rules: parameter value .inf", 9, _rules(**{"parameters.yaml": PARAMETERS.replace("value: 100", "value: .inf")}),
        4, "rules/parameters.yaml:12:16: error E208"),
    Row("report -o /nonexistent/x", 9, _unwritable_output, 2, "cannot write"),
]


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_hostile_input(row: Row, tmp_path: Path) -> None:
    outcome = run(row.setup(tmp_path), tmp_path, row.stdin, row.own_cache)
    shown = outcome.stdout + outcome.stderr
    assert outcome.code == row.exit_code, shown[-2000:]
    assert row.expect in shown and all(piece in shown for piece in row.also), shown[-2000:]
    assert "Traceback" not in shown and "internal error" not in shown
    assert not (tmp_path / "code-ran").exists()
    assert outcome.seconds < ASSERTED_TIME_LIMIT
    assert 0 < outcome.peak_bytes < MEMORY_LIMIT


def table() -> str:
    """The rows as a Markdown table: input, issue item, exit code, first line of the answer, time, memory."""
    import tempfile

    lines = ["| input | item | exit | message head | time | peak memory |", "|---|---|---|---|---|---|"]
    for row in ROWS:
        with tempfile.TemporaryDirectory() as scratch:
            outcome = run(row.setup(Path(scratch)), Path(scratch), row.stdin, row.own_cache)
            text = (outcome.stderr or outcome.stdout).strip()
            lines_out = text.splitlines() or [""]
            head = next((line for line in lines_out if line.startswith("Error:")), lines_out[0])  # click's usage errors
            if outcome.code == 0:
                head = "answer: " + row.expect + (" / " + ", ".join(row.also) if row.also else "")
            head = head.replace(scratch + "/", "").replace(str(ROOT) + "/", "").replace("|", "\\|")[:110]
            lines.append(f"| {row.id} | {row.item} | {outcome.code} | {head} | {outcome.seconds:.2f} s | "
                         f"{outcome.peak_bytes / 2**20:.0f} MB |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
