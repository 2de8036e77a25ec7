"""Adversarial inputs and faults against the command line and the Python API, as a user would run them.

Each case runs ``asylum-kb`` in a fresh process under a time limit and an address-space cap and
checks our exit code and our error code with its location (or a correct answer). Cases that pass
today are regression tests; each case that fails today is ``xfail(strict=True)`` with the bug it
documents, so the suite stays green and turns red the day a fix lands without its marker removed.

``python tests/test_adversarial.py`` prints every case as a Markdown table (exit, time, stderr head).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from kbfiles import ERAS, PARAMETERS, RULES, write_kb

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "affirmative-grant.yaml"
TIMEOUT = 10.0  # seconds: the subprocess bound; the issue's 2 s is checked with slack for slow CI
ASSERTED_SECONDS = 8.0
ADDRESS_SPACE_CAP = 2_000_000 * 1024  # as `ulimit -v 2000000`
CLI = [sys.executable, "-c", "import sys; from asylum_kb.cli.main import main; sys.argv[0] = 'asylum-kb'; main()"]
_CACHE = Path(tempfile.mkdtemp(prefix="asylum-kb-adversary-"))


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))


def run(args: list[str], work: Path, stdin: bytes | None = None, cache: Path | None = None,
        user: str | None = None) -> Outcome:
    """One CLI run in a fresh capped process (optionally as another user), bounded by TIMEOUT."""
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(cache or _CACHE)}
    command = CLI + args
    if user:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, input=stdin if stdin is not None else b"", capture_output=True, timeout=TIMEOUT, preexec_fn=_cap,
                              cwd=work, env=env, check=False)
    except subprocess.TimeoutExpired as expired:
        return Outcome(-999, (expired.stdout or b"").decode(errors="replace"),
                       "HANG: no answer within the timeout", time.perf_counter() - start)
    return Outcome(done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"),
                   time.perf_counter() - start)


Setup = Callable[[Path], tuple[list[str], bytes | None]]


@dataclass
class Case:
    id: str
    setup: Setup
    exit_code: int
    expect: tuple[str, ...] = ()  # pieces that must appear in stdout + stderr
    absent: tuple[str, ...] = ()  # pieces that must not appear
    bug: str | None = None  # set when the case fails today: the test is xfail(strict=True)
    check: Callable[[Outcome, Path], None] | None = None
    cache: bool = False  # own cache folder
    as_nobody: bool = False
    runner: Callable[[Path], Outcome] | None = None  # a run that is not one plain CLI call (pipes, signals, API)


def facts(name: str, content: str | bytes, *extra: str) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
        (work / name).write_bytes(data)
        return ["eval", name, *extra], None
    return setup


def stdin(content: str | bytes, *args: str) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        return list(args) or ["eval", "-"], content.encode() if isinstance(content, str) else content
    return setup


def command(*args: str) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        return [arg.replace("{example}", str(EXAMPLE)).replace("{work}", str(work)) for arg in args], None
    return setup


def rules(command_name: str = "validate", **files: str | bytes) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        folder = write_kb(work, **{k: v for k, v in files.items() if isinstance(v, str)})
        for name, data in files.items():
            if isinstance(data, bytes):
                (folder / name).write_bytes(data)
        if command_name == "eval":
            (work / "case.yaml").write_text(MINI_CASE)
            return ["eval", "case.yaml", "--rules", str(folder), "--format", "json"], None
        return [command_name, str(folder)], None
    return setup


def rules_with(make: Callable[[Path], None], command_name: str = "validate") -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        folder = write_kb(work)
        make(folder)
        if command_name == "eval":
            (work / "case.yaml").write_text(MINI_CASE)
            return ["eval", "case.yaml", "--rules", str(folder), "--format", "json"], None
        return [command_name, str(folder)], None
    return setup


MINI_CASE = ("as_of: 2025-09-01\nperson:\n  filed: 2025-09-01\n  arrived: 2025-01-01\n  location: inside\n"
             "  persecutor: false\n  excused: false\n")


def _nested_json(depth: int) -> str:
    return '{"bars": ' + "[" * depth + "]" * depth + "}"


def _jsonl(*lines: str) -> str:
    return "".join(line + "\n" for line in lines)


GOOD = '{"id": "%s", "applicant": {"location": "inside_us"}, "bars": {"persecutor": true}}'
BAD_TYPE = '{"id": "bad", "bars": {"persecutor": "no"}}'


def batch(content: str | bytes, *extra: str) -> Setup:
    return facts("cases.jsonl", content, "--as-of", "2025-09-15", *extra)


def _ids(outcome: Outcome) -> list[str]:
    return [json.loads(line)["id"] for line in outcome.stdout.split("\n") if line.strip()]


def expect_ids(*ids: str) -> Callable[[Outcome, Path], None]:
    def check(outcome: Outcome, work: Path) -> None:
        assert _ids(outcome) == list(ids)
    return check


def expect_value(rule: str, value: object) -> Callable[[Outcome, Path], None]:
    def check(outcome: Outcome, work: Path) -> None:
        result = json.loads(outcome.stdout)
        found = {key: body["value"] for key, body in result["determinations"].items()}
        assert found[rule] == value, found.get(rule)
    return check


def _nobody_can_reach(work: Path) -> None:
    for folder in [work, *work.parents]:
        folder.chmod(folder.stat().st_mode | (0o005 if folder == work else 0o001))


def _unreadable_file(folder: Path) -> None:
    _nobody_can_reach(folder)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (folder / "parameters.yaml").chmod(0o000)


def _unreadable_folder(folder: Path) -> None:
    _nobody_can_reach(folder)
    (folder / "sub").mkdir()
    (folder / "sub" / "more.yaml").write_text("ruleset: {id: x, title: x, version: 1.0.0}\nrules: []\n")
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (folder / "sub").chmod(0o000)


def _symlink_loop_file(folder: Path) -> None:
    (folder / "loop.yaml").symlink_to("loop.yaml")


def _dangling(folder: Path) -> None:
    (folder / "gone.yaml").symlink_to("/nonexistent/gone.yaml")


def _empty_folder(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


def _cache_setup(mutate: Callable[[Path], None]) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        args = ["eval", str(EXAMPLE), "--format", "json"]
        run(args, work, cache=work / "cache")
        for entry in (work / "cache").rglob("*"):
            if entry.is_file():
                mutate(entry)
        return args, None
    return setup


def _stale_touch_r(work: Path) -> tuple[list[str], bytes | None]:
    folder = write_kb(work)
    (work / "case.yaml").write_text(MINI_CASE)
    args = ["eval", "case.yaml", "--rules", str(folder), "--format", "json"]
    run(args, work, cache=work / "cache")
    parameters = folder / "parameters.yaml"
    (work / "ref").write_bytes(b"")
    os.utime(work / "ref", ns=(parameters.stat().st_atime_ns, parameters.stat().st_mtime_ns))
    parameters.write_text(parameters.read_text().replace("value: 100", "value: 900"))
    subprocess.run(["touch", "-r", str(work / "ref"), str(parameters)], check=True)
    return args, None


def _cache_is_file(work: Path) -> tuple[list[str], bytes | None]:
    (work / "cache").write_text("not a folder")
    return ["eval", str(EXAMPLE), "--format", "json"], None


def _cache_unwritable(work: Path) -> tuple[list[str], bytes | None]:
    (work / "cache").mkdir()
    (work / "cache").chmod(0o555)
    _nobody_can_reach(work)
    return ["eval", str(EXAMPLE), "--format", "json"], None


def _fact_dev_zero(work: Path) -> tuple[list[str], bytes | None]:
    (work / "f.yaml").symlink_to("/dev/zero")
    return ["eval", "f.yaml"], None


def _fact_folder(*files: tuple[str, str]) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        (work / "cases").mkdir()
        for name, text in files:
            (work / "cases" / name).write_text(text)
        return ["eval", "cases", "--as-of", "2025-09-15"], None
    return setup


def _report(name: str, fmt: str) -> Setup:
    def setup(work: Path) -> tuple[list[str], bytes | None]:
        hostile = ("as_of: 2025-09-15\napplicant: {location: inside_us}\nfamily:\n  children:\n"
                   "    - name: \"<script>alert(1)</script> [x](javascript:alert(1)) | a |\\n# H\"\n"
                   "      date_of_birth: 2015-01-01\n")
        (work / "f.yaml").write_text(hostile)
        return ["report", "f.yaml", "--format", fmt, "-o", name], None
    return setup


def _report_clean(name: str, fmt: str) -> Callable[[Outcome, Path], None]:
    def check(outcome: Outcome, work: Path) -> None:
        text = (work / name).read_text()
        assert "<script>alert" not in text
        if fmt == "md":
            assert "[x](javascript:" not in text  # escaped as \\[x\\]
            assert "\n# H" not in text
        else:
            assert 'href="javascript' not in text
    return check


AS_OF = ("--as-of", "2025-09-15")
F = "f.yaml"
J = "f.json"
DEEP = 100_000
NOLOC = "the error names the file but no line:column"

CASES = [
    # --- fact documents: syntax and encoding -------------------------------------------------
    Case("facts: empty file", facts(F, ""), 0, ("undetermined",)),
    Case("facts: only a document marker", facts(F, "---\n"), 0, ("undetermined",)),
    Case("facts: two YAML documents", facts(F, "as_of: 2025-09-15\n---\nas_of: 2025-09-16\n"), 3, ("f.yaml:2:", "F3")),
    Case("facts: top-level list", facts(F, "- 1\n- 2\n"), 3, ("f.yaml:1:1", "F3")),
    Case("facts: top-level scalar", facts(F, "42\n"), 3, ("f.yaml:1:1", "F3")),
    Case("facts: top-level JSON string", facts(J, '"hello"'), 3, ("f.json:1:1", "F3")),
    Case("facts: NUL byte", facts(F, b"applicant:\n  location: inside_us\x00\n"), 3, ("f.yaml:2:", "F304")),
    Case("facts: UTF-8 BOM", facts(F, "\ufeffapplicant:\n  location: inside_us\n", *AS_OF), 0, ("asylum.eligibility",)),
    Case("facts: UTF-8 BOM in JSON", facts(J, '\ufeff{"applicant": {"location": "inside_us"}}', *AS_OF), 0,
         ("asylum.eligibility",)),
    Case("facts: UTF-16 file", facts(F, "applicant:\n  location: inside_us\n".encode("utf-16")), 3, ("f.yaml:1:", "F304")),
    Case("facts: invalid UTF-8", facts(F, b"applicant:\n  location: \xff\xfe\n"), 3, ("f.yaml:2:", "F304")),
    Case("facts: CRLF line endings", facts(F, "applicant:\r\n  location: inside_us\r\n", *AS_OF), 0, ("asylum.eligibility",)),
    Case("facts: CRLF, error located on line 3", facts(F, "applicant:\r\n  location: inside_us\r\nbars:\r\n  persecutor: 7\r\n"),
         3, ("f.yaml:4:15", "F301")),
    Case("facts: U+2028 inside a YAML string", facts(F, 'family:\n  children:\n    - name: "A\u2028B"\n', *AS_OF), 0,
         ("family.derivative_children",)),
    Case("facts: U+2028 in JSON string", facts(J, '{"family": {"children": [{"name": "A\u2028B"}]}}', *AS_OF), 0,
         ("family.derivative_children",)),
    Case("facts: lone surrogate YAML escape", facts(F, 'family:\n  children:\n    - name: "\\ud800"\n'), 3,
         ("f.yaml:3:", "F304")),
    Case("facts: tab indentation", facts(F, "applicant:\n\tlocation: inside_us\n"), 3, ("f.yaml:2:", "F304")),
    Case("facts: unterminated JSON", facts(J, '{"applicant": {"location": "inside_us"'), 3, ("f.json:1:", "F304")),
    Case("facts: JSON trailing comma", facts(J, '{"applicant": {"location": "inside_us"},}'), 3, ("f.json:1:", "F304")),
    Case("facts: JSON NaN", facts(J, '{"bars": {"aggravated_felony_sentence_years": NaN}}'), 3, ("f.json:1:", "F30")),
    Case("facts: JSON Infinity", facts(J, '{"bars": {"aggravated_felony_sentence_years": Infinity}}'), 3, ("f.json:1:", "F30")),
    Case("facts: JSON -Infinity", facts(J, '{"bars": {"aggravated_felony_sentence_years": -Infinity}}'), 3, ("f.json:1:", "F30")),
    Case("facts: YAML .nan number", facts(F, "bars:\n  aggravated_felony_sentence_years: .nan\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: YAML .inf number", facts(F, "bars:\n  aggravated_felony_sentence_years: .inf\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: JSON 1e308 years", facts(J, '{"bars": {"aggravated_felony_sentence_years": 1e308}}'), 3, ("f.json:1:47", "F304")),
    Case("facts: negative sentence years", facts(F, "bars:\n  aggravated_felony_sentence_years: -5\n"), 3,
         ("f.yaml:2:", "F30")),
    Case("facts: negative EAD delay", facts(F, "application:\n  ead_clock_delay_days: -1\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: EAD delay above maximum", facts(F, "application:\n  ead_clock_delay_days: 10001\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: JSON nesting 100000 deep", facts(J, _nested_json(DEEP)), 3, ("f.json:1:", "F303")),
    Case("facts: YAML flow nesting 100000 deep", facts(F, "bars: " + "[" * DEEP + "]" * DEEP + "\n"), 3, ("f.yaml:1:", "F304")),
    Case("facts: YAML block nesting 5000 deep (25 MB)",
         facts(F, "".join("  " * i + f"k{i}:\n" for i in range(5000)) + "  " * 5000 + "x\n"), 3, ("f.yaml", "F303")),
    Case("facts: YAML block nesting 150 deep", facts(F, "bars:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 151))
                                                     + "  " * 151 + "x\n"), 3, ("f.yaml:", "F304")),
    Case("facts: 10 MB string value", facts(F, "family:\n  children:\n    - name: " + "x" * 10_000_000 + "\n"), 3,
         ("f.yaml", "F30")),
    Case("facts: 20,000-item list", facts(J, '{"claim": {"protected_grounds": [' + ",".join(['"race"'] * 20_000) + "]}}"),
         3, ("f.json:1:", "F30")),
    Case("facts: 31 children (max 30)", facts(F, "family:\n  children:\n" + "    - {name: c}\n" * 31), 3, ("f.yaml:", "F30")),
    Case("facts: python object tag", facts(F, "bars: !!python/object/apply:os.system ['touch pwned']\n"), 3,
         ("f.yaml:1:", "F304"), check=lambda o, w: None if not (w / "pwned").exists() else pytest.fail("code ran")),
    Case("facts: unknown local tag", facts(F, "bars: !mytag {persecutor: true}\n"), 3, ("f.yaml:1:", "F304")),
    Case("facts: YAML merge key", facts(F, "base: &b {persecutor: true}\nbars:\n  <<: *b\n"), 3, ("f.yaml:", "F3")),
    Case("facts: duplicate YAML key", facts(F, "bars:\n  persecutor: true\n  persecutor: false\n"), 3, ("f.yaml:3:", "F304")),
    Case("facts: duplicate nested JSON key", facts(J, '{"bars": {"persecutor": true}, "bars": {}}'), 3, ("f.json:1:", "F304")),
    Case("facts: unknown fact", facts(F, "bars:\n  invented_bar: true\n"), 3, ("f.yaml:2:", "F300")),
    Case("facts: unknown top-level group", facts(F, "nonsense: 1\n"), 3, ("f.yaml:1:1", "F30")),
    Case("facts: boolean as integer 1", facts(F, "bars:\n  persecutor: 1\n"), 3, ("f.yaml:2:15", "F301")),
    Case("facts: boolean as 'yes' text", facts(J, '{"bars": {"persecutor": "yes"}}'), 3, ("f.json:1:", "F301")),
    Case("facts: enum value not allowed", facts(F, "applicant:\n  location: mars\n"), 3, ("f.yaml:2:13", "F30")),
    Case("facts: null is unknown", facts(F, "bars:\n  persecutor: null\n", *AS_OF), 0, ("asylum.eligibility",)),
    Case("facts: list where a record is due", facts(F, "family:\n  children: {name: a}\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: record where a boolean is due", facts(F, "bars:\n  persecutor: {a: 1}\n"), 3, ("f.yaml:2:", "F301")),
    Case("facts: date 2025-02-30 as a string", facts(J, '{"applicant": {"last_arrival_date": "2025-02-30"}}'), 3,
         ("f.json:1:", "F301")),
    Case("facts: date 0000-01-01", facts(F, "applicant:\n  date_of_birth: 0000-01-01\n"), 3, ("f.yaml:2:", "F30")),
    Case("facts: datetime for a date", facts(F, "applicant:\n  last_arrival_date: 2025-01-01T10:00:00\n"), 3,
         ("f.yaml:2:", "F301")),
    Case("facts: date of birth 9999-12-31", facts(F, "applicant:\n  date_of_birth: 9999-12-31\n", *AS_OF, "--format", "json"),
         0, ('"asylum.eligibility"',)),
    Case("facts: arrival 9999-12-31", facts(F, "applicant:\n  location: inside_us\n  last_arrival_date: 9999-12-31\n",
                                           *AS_OF, "--format", "json"), 0, ('"asylum.filing_deadline_date"',)),
    Case("facts: arrival 0001-01-01", facts(F, "applicant:\n  location: inside_us\n  last_arrival_date: 0001-01-01\n",
                                           *AS_OF, "--format", "json"), 0, ('"asylum.filing_deadline_date"',)),
    Case("facts: as_of 9999-12-31 in the document", facts(F, "as_of: 9999-12-31\napplicant:\n  location: inside_us\n"
                                                           "  last_arrival_date: 2024-01-01\n"), 0, ("asylum.eligibility",)),
    Case("facts: as_of wrong type", facts(F, "as_of: 5\n"), 3, ("f.yaml:1:", "F30")),
    Case("facts: id wrong type", facts(F, "id: [1, 2]\n"), 3, ("f.yaml:1:", "F30")),
    Case("facts: symlink to /dev/zero", _fact_dev_zero, 3, ("f.yaml", "F30")),
    Case("facts: /dev/null", command("eval", "/dev/null", *AS_OF), 0, ("undetermined",)),
    Case("facts: missing file", command("eval", "nope.yaml"), 3, ("nope.yaml: error F304: cannot read facts: no such file",),
         absent=("Errno",)),
    Case("facts: UTF-16 without a byte-order mark", facts(F, "applicant:\n  location: inside_us\n".encode("utf-16-be")), 3,
         ("f.yaml:1:1", "F304", "UTF-16")),
    Case("facts: invalid UTF-8 in JSON", facts(J, b'{"applicant":\n {"location": "\xc3"}}'), 3, ("f.json:2:16", "F304")),
    Case("facts: NaN on a JSON Lines line", batch(_jsonl(GOOD % "a", '{"bars": {"aggravated_felony_sentence_years": NaN}}')),
         3, ("cases.jsonl:2:47", "F304"), check=expect_ids("a")),
    Case("facts: a folder with no fact files", command("eval", "{work}"), 0, ()),
    Case("facts: stdin garbage", stdin(b"\x00\x01\x02{{{"), 3, ("<stdin>:1:", "F304")),
    Case("facts: stdin alias bomb 12 levels", stdin("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"b{i}: &b{i} [" + ",".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 10) + "]\n" for i in range(12))),
         3, ("<stdin>:", "F304")),
    # --- command-line options -------------------------------------------------------------------
    Case("cli: --as-of 2025-02-30", command("eval", "{example}", "--as-of", "2025-02-30"), 2, ("--as-of",)),
    Case("cli: --as-of 0000-01-01", command("eval", "{example}", "--as-of", "0000-01-01"), 2, ("--as-of",)),
    Case("cli: --as-of garbage", command("eval", "{example}", "--as-of", "tomorrow"), 2, ("--as-of",)),
    Case("cli: --as-of 9999-12-31", command("eval", "{example}", "--as-of", "9999-12-31", "--format", "json"), 0,
         ('"asylum.eligibility"',)),
    Case("cli: --as-of 0001-01-01", command("eval", "{example}", "--as-of", "0001-01-01", "--format", "json"), 0,
         ('"asylum.eligibility"',)),
    Case("cli: --format xml", command("eval", "{example}", "--format", "xml"), 2, ("--format",)),
    Case("cli: --only unknown rule", command("eval", "{example}", "--only", "no.such.rule"), 2, ("no.such.rule",)),
    Case("cli: --jobs 0", command("eval", "{example}", "--jobs", "0"), 2, ("--jobs",)),
    Case("cli: --jobs -3", command("eval", "{example}", "--jobs", "-3"), 2, ("--jobs",)),
    Case("cli: --rules missing folder", command("eval", "{example}", "--rules", "/nonexistent/rules"), 4,
         ("/nonexistent/rules: error E210",)),
    Case("cli: --rules is a file", command("eval", "{example}", "--rules", "{example}"), 2, ("affirmative-grant.yaml",)),
    Case("cli: eval with no facts", command("eval"), 2, ("FACTS",)),
    Case("cli: unknown command", command("evaluate"), 2, ("evaluate",)),
]

BAD_EXPR = RULES.replace("when: person.persecutor\n", "when: person.persecutor and (\n")
CASES += [
    # --- JSON Lines batches ---------------------------------------------------------------------
    Case("batch: bad line in the middle", batch(_jsonl(GOOD % "a", BAD_TYPE, GOOD % "c")), 3,
         ("cases.jsonl:2:", "F301", "1 of 3"), check=expect_ids("a", "c")),
    Case("batch: --jobs 2 with bad lines, order kept",
         batch(_jsonl(*[GOOD % f"c{i}" if i % 3 else BAD_TYPE for i in range(1, 13)]), "--jobs", "2"), 3,
         ("cases.jsonl:3:", "cases.jsonl:12:", "4 of 12"),
         check=expect_ids(*[f"c{i}" for i in range(1, 13) if i % 3])),
    Case("batch: malformed JSON line", batch(_jsonl(GOOD % "a", '{"id": "b", ', GOOD % "c")), 3, ("cases.jsonl:2:", "F304"),
         check=expect_ids("a", "c")),
    Case("batch: blank lines are skipped", batch("\n" + GOOD % "a" + "\n\n   \n" + GOOD % "b" + "\n"), 0,
         check=expect_ids("a", "b")),
    Case("batch: only blank lines", batch("\n\n\n"), 0, check=expect_ids()),
    Case("batch: a line that is a list", batch(_jsonl(GOOD % "a", "[1, 2]", GOOD % "c")), 3, ("cases.jsonl:2:1", "F30"),
         check=expect_ids("a", "c")),
    Case("batch: U+2028 inside a value", batch(_jsonl('{"id": "x\u2028y", "applicant": {"location": "inside_us"}}')), 0,
         check=expect_ids("x\u2028y")),
    Case("batch: CRLF line ends", batch(GOOD % "a" + "\r\n" + GOOD % "b" + "\r\n"), 0, check=expect_ids("a", "b")),
    Case("batch: BOM on the first line", batch("\ufeff" + _jsonl(GOOD % "a", GOOD % "b")), 0, check=expect_ids("a", "b")),
    Case("batch: no final newline", batch(GOOD % "a" + "\n" + GOOD % "b"), 0, check=expect_ids("a", "b")),
    Case("batch: NUL byte in a line", batch(_jsonl(GOOD % "a", '{"id": "b"}\x00', GOOD % "c")), 3, ("cases.jsonl:2:", "F304"),
         check=expect_ids("a", "c")),
    Case("batch: invalid UTF-8 in a line", batch(_jsonl(GOOD % "a").encode() + b'{"id": "\xff"}\n' + _jsonl(GOOD % "c").encode()),
         3, ("cases.jsonl:2:", "F304"), check=expect_ids("a", "c")),
    Case("batch: 6 MB line (limit 5 MB)", batch(_jsonl(GOOD % "a", '{"id": "big", "x": "' + "y" * 6_000_000 + '"}', GOOD % "c")),
         3, ("cases.jsonl:2:", "F30"), check=expect_ids("a", "c")),
    Case("batch: duplicate ids", batch(_jsonl(GOOD % "a", GOOD % "a")), 0, check=expect_ids("a", "a")),
    Case("batch: duplicate key in a line", batch(_jsonl(GOOD % "a", '{"id": "b", "id": "c"}')), 3, ("cases.jsonl:2:", "F304"),
         check=expect_ids("a")),
    Case("batch: deep nesting in a line", batch(_jsonl(GOOD % "a", _nested_json(DEEP), GOOD % "c")), 3,
         ("cases.jsonl:2:", "F303"), check=expect_ids("a", "c")),
    Case("batch: --format text with a bad line", batch(_jsonl(GOOD % "a", BAD_TYPE, GOOD % "c"), "--format", "text"), 3,
         ("── case a (line 1)", "── case c (line 3)", "cases.jsonl:2:")),
    Case("batch: folder with a bad file", _fact_folder(("a.yaml", "applicant: {location: inside_us}\n"),
                                                      ("b.yaml", "bars: {persecutor: 7}\n"),
                                                      ("c.yaml", "applicant: {location: outside_us}\n")),
         3, ("b.yaml:1:", "F301", "1 of 3")),
    Case("batch: id with a newline and quotes", batch(_jsonl('{"id": "a\\n\\"b", "applicant": {"location": "inside_us"}}')), 0,
         check=expect_ids('a\n"b')),
    # --- rule folders ---------------------------------------------------------------------------
    Case("rules: unbalanced parenthesis", rules(**{"rules.yaml": BAD_EXPR}), 4, ("rules/rules.yaml:21:", "E102")),
    Case("rules: expression 20,000 nested parentheses",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n",
                                              "when: " + "(" * 20000 + "person.persecutor" + ")" * 20000 + "\n")}),
         4, ("rules/rules.yaml:20:", "E1")),
    Case("rules: expression 20,000 'and' terms",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n",
                                              "when: " + " and ".join(["person.persecutor"] * 20000) + "\n")}),
         4, ("rules/rules.yaml:20:11", "E110")),
    Case("rules: 20,000 nested 'not'",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n", "when: " + "not " * 20000 + "person.persecutor\n")}),
         4, ("rules/rules.yaml:20:", "E1")),
    Case("rules: unknown fact in an expression",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n", "when: person.invented\n")}), 4,
         ("rules/rules.yaml:20:", "E1")),
    Case("rules: duplicate rule id",
         rules(**{"rules.yaml": RULES.replace("id: mini.excuse", "id: mini.late").replace("defeats: [mini.late]", "defeats: []")}),
         4, ("rules/rules.yaml:", "E")),
    Case("rules: same rule id in two files", rules(**{"more.yaml": "ruleset: {id: mini.more, title: More, version: 1.0.0}\n"
                                                      "rules:\n  - id: mini.late\n    title: Again\n    kind: bar\n"
                                                      "    when: person.persecutor\n    citations: [\"Statute 9\"]\n"}),
         4, ("E202", "duplicate rule id 'mini.late'")),
    Case("rules: a rule depending on itself",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n", "when: mini.persecutor\n")}), 4,
         ("rules/rules.yaml:", "E")),
    Case("rules: two-rule cycle",
         rules(**{"rules.yaml": RULES.replace("when: person.persecutor\n", "when: mini.late\n")
                  .replace("when: person.filed > person.arrived + 1 year\n", "when: mini.persecutor\n")}), 4,
         ("rules/rules.yaml:", "E")),
    Case("rules: overlapping eras",
         rules(**{"eras.yaml": ERAS.replace("        from: 2025-07-22\n        citations: [\"Law B\"]",
                                            "        from: 2025-01-01\n        citations: [\"Law B\"]")}),
         4, ("rules/eras.yaml:", "E")),
    Case("rules: era ends before it starts",
         rules(**{"eras.yaml": ERAS.replace("to: 2025-07-22", "to: 1999-01-01")}), 4, ("rules/eras.yaml:", "E")),
    Case("rules: era from 0000-01-01", rules(**{"eras.yaml": ERAS.replace("from: 2000-01-01", "from: 0000-01-01")}), 4,
         ("rules/eras.yaml:", "E")),
    Case("rules: parameter value -.inf", rules(**{"parameters.yaml": PARAMETERS.replace("value: 100", "value: -.inf")}), 4,
         ("rules/parameters.yaml:12:", "E")),
    Case("rules: parameter money as text", rules(**{"parameters.yaml": PARAMETERS.replace("value: 100", "value: lots")}), 4,
         ("rules/parameters.yaml:12:", "E")),
    Case("rules: parameter 10^30 dollars eval",
         rules("eval", **{"parameters.yaml": PARAMETERS.replace("value: 100", "value: 1000000000000000000000000000000")}), 0,
         check=expect_value("mini.fee", 10**30)),
    Case("rules: NUL byte in a rule file", rules(**{"rules.yaml": RULES.encode() + b"\x00\n"}), 4, ("rules/rules.yaml:", "E200")),
    Case("rules: invalid UTF-8 in a rule file", rules(**{"rules.yaml": RULES.encode().replace(b"Filed late", b"Filed \xff")}), 4,
         ("rules/rules.yaml:", "E200")),
    Case("rules: BOM on a rule file", rules(**{"rules.yaml": b"\xef\xbb\xbf" + RULES.encode()}), 0, ("ok",)),
    Case("rules: CRLF rule file", rules(**{"rules.yaml": RULES.replace("\n", "\r\n").encode()}), 0, ("ok",)),
    Case("rules: CRLF rule file, error located", rules(**{"rules.yaml": BAD_EXPR.replace("\n", "\r\n").encode()}), 4,
         ("rules/rules.yaml:21:5", "E102")),
    Case("rules: YAML nesting 100000 deep", rules(**{"deep.yaml": "x: " + "[" * DEEP + "]" * DEEP + "\n"}), 4,
         ("rules/deep.yaml:1:", "E200")),
    Case("rules: python tag in a rule file", rules(**{"evil.yaml": "x: !!python/object/apply:os.system ['touch pwned']\n"}), 4,
         ("rules/evil.yaml:1:", "E200")),
    Case("rules: symlink loop file", rules_with(_symlink_loop_file), 4, ("rules/loop.yaml", "E200")),
    Case("rules: dangling symlink", rules_with(_dangling), 4, ("rules/gone.yaml", "E200")),
    Case("rules: empty folder", rules_with(_empty_folder), 4, ("rules", "E")),
    Case("rules: unreadable file (as nobody)", rules_with(_unreadable_file), 4, ("rules/parameters.yaml", "E200"),
         as_nobody=True),
    Case("rules: unreadable sub-folder (as nobody)", rules_with(_unreadable_folder), 4, ("rules/sub", "E200"), as_nobody=True),
    Case("rules: + 5000 years, all facts known", rules("eval", **{"rules.yaml": RULES.replace("+ 1 year", "+ 5000 years")}),
         0, check=expect_value("mini.eligibility", "eligible")),
    Case("rules: + 9000 years runs past 9999, all facts known",
         rules("eval", **{"rules.yaml": RULES.replace("+ 1 year", "+ 9000 years")}), 0,
         ('"code": "W101"', '"rule": "mini.late"', "person.arrived + 9000 years", '"person.arrived": "2025-01-01"'),
         check=expect_value("mini.eligibility", "undetermined")),
    Case("rules: + 9000 years in text names the rule and the fact's place",
         lambda w: (rules("eval", **{"rules.yaml": RULES.replace("+ 1 year", "+ 9000 years")})(w)[0][:-2], None), 0,
         ("case.yaml:4:12: warning W101 [mini.late]: person.arrived + 9000 years (in mini.late, rules/rules.yaml:",)),
    Case("rules: lint a bad folder", rules("lint", **{"rules.yaml": BAD_EXPR}), 4, ("rules/rules.yaml:21:5", "E102")),
    Case("rules: fmt a file with a YAML error", rules("fmt", **{"rules.yaml": "rules: [\n"}), 4, ("rules/rules.yaml:", "E200")),
    # --- compiled cache -------------------------------------------------------------------------
    Case("cache: edit kept size and mtime via touch -r", _stale_touch_r, 0, ('"value": 900',), cache=True),
    Case("cache: entries truncated to 0 bytes", _cache_setup(lambda p: p.write_bytes(b"")), 0, ('"asylum.eligibility"',),
         cache=True),
    Case("cache: entries filled with garbage", _cache_setup(lambda p: p.write_bytes(os.urandom(4096))), 0,
         ('"asylum.eligibility"',), cache=True),
    Case("cache: entries replaced by folders", _cache_setup(lambda p: (p.unlink(), p.mkdir())), 0, ('"asylum.eligibility"',),
         cache=True, check=lambda o, w: None if all(p.is_file() for p in (w / "cache").iterdir()) else pytest.fail("not rebuilt")),
    Case("cache: entries made unreadable", _cache_setup(lambda p: p.chmod(0)), 0, ('"asylum.eligibility"',), cache=True),
    Case("cache: folder is a file", _cache_is_file, 0, ('"asylum.eligibility"',), cache=True),
    Case("cache: folder not writable (as nobody)", _cache_unwritable, 0, ('"asylum.eligibility"',), cache=True,
         as_nobody=True),
    # --- reports and output paths ---------------------------------------------------------------
    Case("report: Markdown injection in a child's name", _report("r.md", "md"), 0, check=_report_clean("r.md", "md")),
    Case("report: HTML injection in a child's name", _report("r.html", "html"), 0, check=_report_clean("r.html", "html")),
    Case("report: -o into a missing folder", command("report", "{example}", "-o", "{work}/missing/r.html"), 2, ("missing",)),
    Case("report: -o is an existing folder", command("report", "{example}", "-o", "{work}"), 2, ()),
    Case("report: -o /dev/full", command("report", "{example}", "-o", "/dev/full"), 2, ("/dev/full",)),
    Case("report: --pack jsonl with a bad line", lambda w: ((w / "p.jsonl").write_text(_jsonl(GOOD % "a", BAD_TYPE, GOOD % "c"))
                                                           and (["report", "--pack", "p.jsonl", "-o", "out"], None)),
         3, ("p.jsonl:2:", "F301", "1 of 3 cases failed"),
         check=lambda o, w: None if sorted(p.name for p in (w / "out").iterdir()) == ["a.html", "c.html", "index.html"]
         else pytest.fail("the good cases have no pages")),
    Case("report: --pack without -o", command("report", "--pack", "{work}"), 2, ("-o",)),
    Case("report: template with a syntax error",
         lambda w: ((w / "t").mkdir(), (w / "t" / "case.html.j2").write_text("{% if %}"),
                    (["report", str(EXAMPLE), "--templates", "t", "-o", "r.html"], None))[-1], 2, ("t/case.html.j2:1:", "T100")),
    Case("docs: -o under a file", command("docs", "-o", "{example}/sub"), 2, ()),
    Case("schema: -o into a missing folder", command("schema", "-o", "/nonexistent/dir/s.json"), 2, ("/nonexistent",)),
    Case("schema: --check a malformed file", (lambda w: ((w / "s.json").write_text("{not json"), (["schema", "--check", "s.json"], None))[-1]), 1,
         ("s.json is out of date",)),
    Case("test: scenario folder missing", command("test", "{work}/none"), 2, ("none",)),
    Case("test: scenario that is a list", lambda w: ((w / "sc").mkdir(), (w / "sc" / "s.yaml").write_text("- 1\n"),
                                                     (["test", "sc"], None))[-1], 4, ("s.yaml:1:1", "S100")),
    Case("diff: one --as-of only", command("diff", "--as-of", "2025-01-01"), 2, ()),
    Case("diff: --as-of 0001-01-01 vs 9999-12-31", command("diff", "--as-of", "0001-01-01", "--as-of", "9999-12-31"), 0, ()),
    Case("pipe: facts | head -1", command(), 0, runner=lambda w: piped(["facts"], w)),
    Case("pipe: eval --explain | head -1", command(), 0, runner=lambda w: piped(["eval", str(EXAMPLE), "--explain"], w)),
    Case("pipe: batch | head -1", command(), 0,
         runner=lambda w: piped(["eval", _write(w, "c.jsonl", _jsonl(*[GOOD % i for i in range(200)])), *AS_OF], w)),
    Case("pipe: batch --jobs 2 | head -1", command(), 0,
         runner=lambda w: piped(["eval", _write(w, "c.jsonl", _jsonl(*[GOOD % i for i in range(200)])), *AS_OF,
                                 "--jobs", "2"], w)),
    Case("signal: SIGTERM mid-batch", command(), 143, absent=("Traceback",), runner=lambda w: interrupted(w, signal.SIGTERM)),
    Case("signal: SIGTERM mid-batch --jobs 1", command(), 143, absent=("Traceback",),
         runner=lambda w: interrupted(w, signal.SIGTERM, "--jobs", "1")),
    Case("signal: SIGINT mid-batch", command(), 130, absent=("Traceback",), runner=lambda w: interrupted(w, signal.SIGINT)),
    Case("signal: SIGINT mid-batch --jobs 1", command(), 130, absent=("Traceback",),
         runner=lambda w: interrupted(w, signal.SIGINT, "--jobs", "1")),
]


def _write(work: Path, name: str, text: str) -> str:
    (work / name).write_text(text)
    return name


def piped(args: list[str], work: Path) -> Outcome:
    """The CLI writing into `| head -1`: it must end quietly with 0 once the reader has gone."""
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(_CACHE)}
    start = time.perf_counter()
    producer = subprocess.Popen(CLI + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work, env=env,
                                preexec_fn=_cap)  # noqa: PLW1509 - no threads
    assert producer.stdout is not None and producer.stderr is not None
    head = producer.stdout.readline()
    producer.stdout.close()  # the reader goes away, as `head -1` does
    try:
        code = producer.wait(timeout=TIMEOUT)
        stderr = producer.stderr.read().decode(errors="replace")
    except subprocess.TimeoutExpired:
        producer.kill()
        producer.wait()
        code, stderr = -999, "HANG: no exit after the pipe closed"
    return Outcome(code, head.decode(errors="replace"), stderr, time.perf_counter() - start)


def interrupted(work: Path, signum: int, *extra: str) -> Outcome:
    """A long batch stopped by a signal once results flow: a short message and 128+signal, no traceback."""
    (work / "c.jsonl").write_text(_jsonl(*[GOOD % i for i in range(20_000)]))
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(_CACHE)}
    start = time.perf_counter()
    process = subprocess.Popen(CLI + ["eval", "c.jsonl", *AS_OF, *extra], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=work, env=env, preexec_fn=_cap)  # noqa: PLW1509
    assert process.stdout is not None
    first = process.stdout.readline()
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=TIMEOUT)
        code = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        code, err = -999, b"HANG: still running after the signal"
    # a killed-by-signal child reports -signum; a shell shows it as 128+signum
    code = 128 - code if code < 0 and code != -999 else code
    return Outcome(code, (first + out).decode(errors="replace")[:2000], err.decode(errors="replace"),
                   time.perf_counter() - start)


API = """
import sys, json, asylum_kb
from datetime import date
kb = asylum_kb.load()
try:
    {call}
except asylum_kb.AsylumKbError as error:
    print("OUR-ERROR", type(error).__name__, str(error).splitlines()[0] if str(error) else "")
except asylum_kb.UnknownRuleError as error:
    print("OUR-ERROR", type(error).__name__, error)
except (ValueError, TypeError) as error:  # documented for bad arguments (not for bad facts)
    print("ARGUMENT-ERROR", type(error).__name__, error)
"""


def api(call: str) -> Callable[[Path], Outcome]:
    """A call to the Python API: it must answer, or raise one of our own errors (never a TypeError or the like)."""
    def runner(work: Path) -> Outcome:
        env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(_CACHE)}
        start = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-c", API.format(call=call)], capture_output=True, text=True,
                                  timeout=TIMEOUT, cwd=work, env=env, preexec_fn=_cap, check=False)
        except subprocess.TimeoutExpired:
            return Outcome(-999, "", "HANG", time.perf_counter() - start)
        return Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)
    return runner


CASES += [
    Case("api: evaluate a list", command(), 0, ("OUR-ERROR",), runner=api("kb.evaluate([1, 2])")),
    Case("api: evaluate None (no facts)", command(), 0, ("ANSWER undetermined",),
         runner=api("print('ANSWER', kb.evaluate(None, as_of='2025-09-15').value('asylum.eligibility'))")),
    Case("api: as_of='2025-02-30'", command(), 0, ("ARGUMENT-ERROR ValueError", "2025-02-30"),
         runner=api("kb.evaluate({}, as_of='2025-02-30')")),
    Case("api: as_of=12345", command(), 0, ("ARGUMENT-ERROR TypeError",),
         runner=api("kb.evaluate({}, as_of=12345)")),
    Case("api: wrong fact type", command(), 0, ("OUR-ERROR", "FactsError"),
         runner=api("kb.evaluate({'bars': {'persecutor': 'no'}}, as_of='2025-09-15')")),
    Case("api: Python date object as a fact value", command(), 0, ("ANSWER",),
         runner=api("r = kb.evaluate({'applicant': {'location': 'inside_us', 'last_arrival_date': date(2025, 1, 2)}}, "
                    "as_of=date(2025, 9, 15)); print('ANSWER', r.value('asylum.filing_deadline_date'))")),
    Case("api: float('nan') as a fact value", command(), 0, ("OUR-ERROR", "FactsError"),
         runner=api("kb.evaluate({'bars': {'aggravated_felony_sentence_years': float('nan')}}, as_of='2025-09-15')")),
    Case("api: True as a number fact", command(), 0, ("OUR-ERROR", "FactsError"),
         runner=api("kb.evaluate({'bars': {'aggravated_felony_sentence_years': True}}, as_of='2025-09-15')")),
    Case("api: a set as a list fact", command(), 0, ("OUR-ERROR", "FactsError"),
         runner=api("kb.evaluate({'claim': {'protected_grounds': {'race'}}}, as_of='2025-09-15')")),
    Case("api: non-string key", command(), 0, ("OUR-ERROR", "FactsError"), runner=api("kb.evaluate({1: 2}, as_of='2025-09-15')")),
    Case("api: value of an unknown rule", command(), 0, ("OUR-ERROR", "UnknownRuleError"),
         runner=api("kb.evaluate({}, as_of='2025-09-15').value('no.such.rule')")),
    Case("api: to_dict only unknown rule", command(), 0, ("ARGUMENT-ERROR ValueError", "no.such.rule"),
         runner=api("kb.evaluate({}, as_of='2025-09-15').to_dict(only=['no.such.rule'])")),
    Case("api: load a missing folder", command(), 0, ("OUR-ERROR",), runner=api("asylum_kb.load('/nonexistent/rules')")),
    Case("api: self-referencing fact document", command(), 0, ("OUR-ERROR", "FactsError"),
         runner=api("d = {'bars': {}}; d['bars']['persecutor'] = d; kb.evaluate(d, as_of='2025-09-15')")),
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Outcome, Path]]:
    """Every case run once, one at a time: run side by side, the heavy inputs slow the others past the bound."""
    runnable = [case for case in CASES if not (case.as_nobody and os.geteuid() != 0)]
    works = {case.id: tmp_path_factory.mktemp("adversarial") for case in runnable}
    run(["eval", str(EXAMPLE)], works[runnable[0].id])  # one compile fills the shared cache first
    return {case.id: (attempt(case, works[case.id]), works[case.id]) for case in runnable}


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
@pytest.mark.parametrize("case", [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True, reason=case.bug)]
                                               if case.bug else []) for case in CASES])
def test_adversarial(case: Case, outcomes: dict[str, tuple[Outcome, Path]]) -> None:
    if case.id not in outcomes:
        pytest.skip("switching to the nobody user needs root")
    outcome, work = outcomes[case.id]
    shown = outcome.stdout + outcome.stderr
    assert outcome.code == case.exit_code, shown[-1500:]
    assert all(piece in shown for piece in case.expect), shown[-1500:]
    assert not any(piece in shown for piece in case.absent), shown[-1500:]
    assert "Traceback" not in shown and "internal error" not in shown.lower(), shown[-1500:]
    assert outcome.seconds < ASSERTED_SECONDS
    if case.check:
        case.check(outcome, work)


def attempt(case: Case, work: Path) -> Outcome:
    """Set the case up in ``work`` and run it."""
    if case.runner:
        return case.runner(work)
    args, given = case.setup(work)
    cache = work / "cache" if case.cache else None
    return run(args, work, given, cache, "65534" if case.as_nobody else None)


def table() -> str:
    """Every case as a Markdown row: verdict, exit, time, first line of stderr."""
    lines = ["| case | exit | time | verdict | stderr head |", "|---|---|---|---|---|"]
    for case in CASES:
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            if case.as_nobody:
                work.chmod(0o755)
            outcome = attempt(case, work)
            verdict = _verdict(case, outcome, work)
            head = (outcome.stderr.strip().splitlines() or [""])[0].replace(scratch + "/", "").replace("|", "\\|")[:100]
            lines.append(f"| {case.id} | {outcome.code} | {outcome.seconds:.2f}s | {verdict} | {head} |")
    return "\n".join(lines)


def _verdict(case: Case, outcome: Outcome, work: Path) -> str:
    shown = outcome.stdout + outcome.stderr
    problems = []
    if outcome.code != case.exit_code:
        problems.append(f"exit {outcome.code}, want {case.exit_code}")
    problems += [f"missing {piece!r}" for piece in case.expect if piece not in shown]
    problems += [f"has {piece!r}" for piece in case.absent if piece in shown]
    if "Traceback" in shown or "internal error" in shown.lower():
        problems.append("traceback/internal error")
    if case.check and not problems:
        try:
            case.check(outcome, work)
        except (AssertionError, Exception) as error:  # noqa: BLE001 - a table row, not a test
            problems.append(f"check: {error}"[:80])
    return ("FAIL: " + "; ".join(problems) if problems else "ok") + (" (xfail)" if case.bug else "")


if __name__ == "__main__":
    print(table())
