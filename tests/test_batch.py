"""Batches: streamed JSON Lines and folders, bad cases reported by line while the rest go on,
worker processes giving exactly the one-by-one results, text blocks, ids, progress and closed pipes."""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asylum_kb
import pytest
import yaml
from asylum_kb.batch import runner as batch
from asylum_kb.cli.main import main
from asylum_kb.cli.progress import Progress
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2025-09-15"


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def examples() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted((ROOT / "examples").glob("*.yaml"))]


def varied_cases(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Realistic cases: the examples, each with some sections left out (unknown), and an id."""
    rng = random.Random(seed)
    base = [{k: v for k, v in json.loads(json.dumps(e, default=str)).items() if k != "as_of"} for e in examples()]
    cases = []
    for number in range(count):
        case = dict(rng.choice(base))
        for section in list(case):
            if rng.random() < 0.25:
                del case[section]
        cases.append({"id": f"c{number}", **case})
    return cases


def one_by_one(kb: asylum_kb.KnowledgeBase, case: dict[str, Any]) -> str:
    return json.dumps(kb.evaluate(case, as_of=AS_OF).to_dict(), ensure_ascii=False) + "\n"


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_bad_lines_are_reported_by_line_and_column_and_the_batch_goes_on(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", [
        '{"id": "a", "bars": {"persecutor": true}}',
        '{"id": "b", "bars": {"persecutor": "no"}}',
        "",
        "{not json",
        '{"id": "d", "applicant": {"location": "outside_us"}, "zzz": 1}',
        '{"id": "e", "applicant": {"location": "outside_us"}}',
    ])
    code, out, err = run("eval", str(cases), "--as-of", AS_OF, "--jobs", "1")
    assert code == 3
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "e"]
    assert f"{cases}:2:36: error F301" in err
    assert f"{cases}:4:2: error F304" in err
    assert f"{cases}:5:61: error F300" in err
    assert err.rstrip().endswith("3 of 5 cases failed; the other 2 were evaluated")


def test_a_batch_without_bad_lines_exits_0_and_prints_nothing_on_stderr(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", [json.dumps(c) for c in varied_cases(5)])
    code, out, err = run("eval", str(cases), "--as-of", AS_OF)
    assert code == 0 and err == "" and len(out.splitlines()) == 5


def test_line_separator_characters_inside_a_line_are_text_not_line_breaks(tmp_path: Path) -> None:
    case = {"id": "sep\u2028id", "family": {"children": [{"name": "Ana\u2028Maria\u2029", "date_of_birth": "2010-01-01"}]}}
    cases = write_jsonl(tmp_path / "cases.jsonl", [json.dumps(case, ensure_ascii=False), '{"id": 2}'])
    code, out, _ = run("eval", str(cases), "--as-of", AS_OF)
    results = [json.loads(line) for line in out.split("\n") if line]
    assert code == 0 and [r["id"] for r in results] == ["sep\u2028id", 2]
    assert results[0]["determinations"]["family.derivative_children"]["value"][0]["name"] == "Ana\u2028Maria\u2029"


def test_an_over_long_line_is_one_failed_case_and_the_next_line_is_read(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}', '{"id": "' + "x" * 500 + '"}', '{"id": 3}'])
    read = list(batch.read_jsonl(cases, limit=100))
    assert [(c.line, c.problem.code if c.problem else None) for c in read] == [(1, None), (2, "F303"), (3, None)]
    assert read[-1].text == '{"id": 3}' and read[-1].bytes_read == cases.stat().st_size


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf16_or_utf32_batch_is_refused_once_at_its_start(tmp_path: Path, encoding: str) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes('{"id": 1}\n{"id": 2}\n'.encode(encoding))
    code, out, err = run("eval", str(cases), "--as-of", AS_OF)
    assert code == 3 and out == "" and err.startswith(f"{cases}:1:1: error F304: the file is UTF-") and err.count("F304") == 1


def test_a_bad_byte_on_a_line_is_placed_by_characters(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes('{"id": 1}\n{"id": "é\xff"}\n'.encode().replace(b"\xc3\xbf", b"\xff"))
    code, _, err = run("eval", str(cases), "--as-of", AS_OF)
    assert code == 3 and err.startswith(f"{cases}:2:10: error F304: byte 0xff is not UTF-8 text")


def test_a_line_that_is_not_utf8_is_one_failed_case(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_bytes(b'{"id": 1}\n{"id": "\xff"}\n{"id": 3}\n')
    code, out, err = run("eval", str(cases), "--as-of", AS_OF)
    assert code == 3 and len(out.splitlines()) == 2 and f"{cases}:2:9: error F304" in err


@pytest.mark.parametrize("jobs", [1, 2])
def test_batch_results_are_exactly_the_one_by_one_results_in_input_order(
        kb: asylum_kb.KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    monkeypatch.setattr(batch, "CHUNK_SIZE", 7)  # many chunks, so order across workers is exercised
    documents = varied_cases(120)
    cases = write_jsonl(tmp_path / "cases.jsonl", [json.dumps(c) for c in documents])
    options = batch.Options(as_of=asylum_kb.kb.knowledge_base.as_date(AS_OF, "as_of"))
    outputs = [outcome.output for _, outcome in batch.run(kb, batch.read_jsonl(cases), options, jobs)]
    assert outputs == [one_by_one(kb, c) for c in documents]


def test_the_cli_with_two_jobs_writes_what_one_job_writes(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", [json.dumps(c) for c in varied_cases(40)] + ['{"bad": 1}'])
    one = run("eval", str(cases), "--as-of", AS_OF, "--jobs", "1")
    two = run("eval", str(cases), "--as-of", AS_OF, "--jobs", "2")
    assert one == two and one[0] == 3 and len(one[1].splitlines()) == 40


def test_workers_read_ahead_only_a_bounded_number_of_cases(kb: asylum_kb.KnowledgeBase,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_SIZE", 5)
    taken = 0

    def endless() -> Iterator[batch.Case]:
        nonlocal taken
        for number in itertools.count(1):
            taken += 1
            yield batch.Case("endless.jsonl", number, '{"bars": {"persecutor": true}}')

    results = batch.run(kb, endless(), batch.Options(), jobs=2)
    first = list(itertools.islice(results, 12))
    results.close()  # type: ignore[attr-defined]  # a generator: closing it stops the workers
    assert [case.line for case, _ in first] == list(range(1, 13))
    assert taken <= 5 * (2 * batch.CHUNKS_IN_FLIGHT_PER_JOB + 3)


def _grandchildren(pid: int) -> list[int]:
    """The processes two levels below ``pid`` (the fork server's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        children.setdefault(parent, []).append(int(stat.parent.name))
    return [grandchild for child in children.get(pid, []) for grandchild in children.get(child, [])]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_a_worker_that_dies_stops_the_batch_with_error_b100_instead_of_waiting(kb: asylum_kb.KnowledgeBase) -> None:
    cases = (batch.Case("endless.jsonl", number, '{"bars": {"persecutor": true}}') for number in itertools.count(1))
    results = batch.run(kb, cases, batch.Options(), jobs=2)
    assert next(results)[0].line == 1
    workers = _grandchildren(os.getpid())
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(batch.WorkerDied) as raised:
        for _ in range(100_000):  # the results already computed come first; then the error, not a hang
            next(results)
    diagnostic = raised.value.diagnostics[0]
    assert diagnostic.code == "B100" and diagnostic.file == "endless.jsonl" and diagnostic.position is not None
    assert raised.value.exit_code == 1


def test_text_format_gives_one_block_per_case_headed_by_its_id_or_line(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": "maria", "bars": {"persecutor": true}}', "",
                                                    '{"bars": {"persecutor": true}}'])
    code, out, _ = run("eval", str(cases), "--format", "text", "--as-of", AS_OF)
    assert code == 0
    assert out.startswith("── case maria (line 1) ──\nasylum-kb ")
    assert "\n── line 3 ──\nasylum-kb " in out
    assert out.count("asylum.eligibility ") == 2 and "{" not in out


def test_a_folder_of_fact_files_is_a_batch_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "b.json").write_text('{"id": "from-json", "bars": {"persecutor": true}}')
    (folder / "a.yaml").write_text("id: from-yaml\napplicant:\n  location: outside_us\n")
    (folder / "c.yaml").write_text("applicant:\n  location: mars\n")
    (folder / "notes.txt").write_text("not a case")
    code, out, err = run("eval", str(folder), "--as-of", AS_OF)
    assert code == 3 and [json.loads(line)["id"] for line in out.splitlines()] == ["from-yaml", "from-json"]
    assert f"{folder / 'c.yaml'}:2:13: error F302" in err and "1 of 3 cases failed" in err


@pytest.mark.parametrize("args", [["--format", "yaml"], ["--jobs", "0"]])
def test_batch_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}'])
    assert run("eval", str(cases), *args)[0] == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_only_on_a_terminal() -> None:
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(stream, total_bytes=1000)
        progress.update(250, 500, force=True)
        progress.close()
    assert terminal.getvalue() == "\r         250 cases   50%  " + terminal.getvalue().split("50%  ")[1]
    assert terminal.getvalue().endswith(" cases/s \n")
    assert pipe.getvalue() == ""


def _with_closed_stdout(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with stdout a pipe nobody reads any more: the first write fails as under `| head`."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "asylum_kb.cli.main", *args], check=False, stdout=write_end,
                              stderr=subprocess.PIPE, env={**os.environ, "ASYLUM_KB_CACHE_DIR": ""}, timeout=120)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", [["facts"], ["eval", "{cases}"], ["eval", "{cases}", "--jobs", "2"],
                                     ["eval", str(ROOT / "examples" / "affirmative-grant.yaml")]])
def test_a_closed_output_pipe_ends_quietly_with_exit_0(tmp_path: Path, command: list[str]) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", [json.dumps(c) for c in varied_cases(30)])
    finished = _with_closed_stdout(*[part.format(cases=cases) for part in command])
    assert (finished.returncode, finished.stderr) == (0, b"")


def test_report_of_a_jsonl_file_points_to_a_pack(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}'])
    code, _, err = run("report", str(cases))
    assert code == 2 and f"report --pack {cases} -o FOLDER" in err


def test_a_jsonl_training_pack_has_a_page_per_case_named_by_id_and_ids_in_the_index(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", [
        '{"id": "maria/1", "bars": {"persecutor": true}}', '{"bars": {"persecutor": true}}',
        '{"id": "maria/1", "applicant": {"location": "outside_us"}}', '{"id": "x|<b>[y](z)", "bars": {}}'])
    out = tmp_path / "pack"
    code, _, stderr = run("report", "--pack", str(cases), "-o", str(out), "--format", "both", "--as-of", AS_OF)
    assert code == 0, stderr
    pages = sorted(p.name for p in out.glob("*.md"))
    assert pages == ["index.md", "line-2.md", "maria-1-line-3.md", "maria-1.md", "x-b-y-z.md"]
    index_md = (out / "index.md").read_text()
    assert "| [maria-1](maria-1.md) | maria/1 | 2025-09-15 |" in index_md
    assert "| [line-2](line-2.md) |  | 2025-09-15 |" in index_md
    assert r"x\|&lt;b&gt;\[y\](z)" in index_md  # escaped by the Markdown filter
    assert "<td>x|&lt;b&gt;[y](z)</td>" in (out / "index.html").read_text()


def test_a_bad_case_in_a_jsonl_pack_stops_it_at_its_line(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}', '{"id": 2, "bars": {"persecutor": "no"}}'])
    code, _, err = run("report", "--pack", str(cases), "-o", str(tmp_path / "pack"))
    assert code == 3 and err.startswith(f"{cases}:2:34: error F301")


def test_a_warm_cache_evaluation_imports_no_schema_template_parser_or_yaml_library(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"applicant": {"location": "inside_us"}}')
    probe = ("import sys\nfrom asylum_kb.cli.main import main\nsys.argv = ['asylum-kb', 'eval', sys.argv[1]]\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'jsonschema', 'jinja2', 'lark', 'ruamel', 'yaml'}),"
             " file=sys.stderr)")
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": str(tmp_path / "cache")}
    cold = subprocess.run([sys.executable, "-c", probe, str(case)], env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", probe, str(case)], env=env, capture_output=True, text=True, check=True)
    assert "lark" in cold.stderr  # the first run compiled the rules: the probe sees imports
    assert warm.stderr.strip() == "[]" and "asylum.eligibility" in warm.stdout


def test_the_readme_batch_example_is_what_the_command_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ cat cases.jsonl\n", 1)[1].split("```", 1)[0]
    cases_text, rest = block.split("$ asylum-kb eval cases.jsonl --as-of 2025-09-15 --jobs 2 > results.jsonl\n", 1)
    errors, rest = rest.split("$ cut -c1-60 results.jsonl\n", 1)
    cut, text_head = rest.split("$ asylum-kb eval cases.jsonl --as-of 2025-09-15 --format text 2>/dev/null | head -4\n")
    monkeypatch.chdir(tmp_path)
    Path("cases.jsonl").write_text(cases_text, encoding="utf-8")
    code, out, err = run("eval", "cases.jsonl", "--as-of", AS_OF, "--jobs", "2")
    assert code == 3 and err == errors
    assert "".join(line[:60] + "\n" for line in out.splitlines()) == cut
    assert "".join(run("eval", "cases.jsonl", "--as-of", AS_OF, "--format", "text")[1].splitlines(True)[:4]) == text_head


def test_a_duplicate_key_on_a_line_is_located_on_that_line(tmp_path: Path) -> None:
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}', '{"bars": {"persecutor": true, "persecutor": false}}'])
    code, out, err = run("eval", str(cases), "--as-of", AS_OF)
    assert code == 3 and len(out.splitlines()) == 1 and err.startswith(f"{cases}:2:31: error F304")


def test_an_internal_error_in_one_case_loses_no_other_result_and_exits_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate = asylum_kb.kb.knowledge_base.KnowledgeBase.evaluate

    def failing_on_boom(self: asylum_kb.KnowledgeBase, facts: Any = None, **options: Any) -> Any:
        if isinstance(facts, dict) and facts.get("id") == "boom":
            raise RuntimeError("a bug")
        return evaluate(self, facts, **options)

    monkeypatch.setattr(asylum_kb.kb.knowledge_base.KnowledgeBase, "evaluate", failing_on_boom)
    cases = write_jsonl(tmp_path / "cases.jsonl", ['{"id": 1}', '{"id": "boom"}', '{"id": 3}'])
    code, out, err = run("eval", str(cases), "--as-of", AS_OF, "--jobs", "1")
    assert code == 1 and [json.loads(line)["id"] for line in out.splitlines()] == [1, 3]
    assert f"{cases}:2: internal error: RuntimeError: a bug" in err and "Traceback" not in err
    assert isinstance(CliRunner().invoke(main, ["eval", str(cases), "--jobs", "1", "--debug"]).exception, RuntimeError)


@pytest.mark.parametrize("target", ["missing.jsonl", "/dev/zero"])
def test_a_batch_input_that_cannot_be_read_is_a_facts_error_not_a_crash(tmp_path: Path, target: str) -> None:
    path = str(tmp_path / "missing.jsonl")
    if target == "/dev/zero":  # a device would be read forever
        (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
        path = str(tmp_path / "zero.jsonl")
    code, out, err = run("eval", path)
    assert (code, out) == (3, "") and err.startswith(f"{path}: error F304: cannot read facts")


def test_a_pipe_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "cases.jsonl"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf '%s\\n' '{{\"id\": 1}}' '{{\"id\": 2}}' > {fifo}"])
    try:
        code, out, _ = run("eval", str(fifo), "--as-of", AS_OF, "--jobs", "1")
    finally:
        writer.wait(timeout=30)
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == [1, 2]
