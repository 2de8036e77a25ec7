"""asylum-kb impact and synth: the command line, population input errors, and load-time refusals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import asylum_kb
import pytest

duckdb = pytest.importorskip("duckdb", reason="the impact extra (duckdb, pyarrow) is not installed")
pq = pytest.importorskip("pyarrow.parquet", reason="the impact extra (duckdb, pyarrow) is not installed")

from asylum_kb.cli.main import main
from asylum_kb.impact.dialect import DIALECTS
from asylum_kb.impact.sqlgen import compile_rules
from click.testing import CliRunner
from kbfiles import PARAMETERS, RULES, write_kb


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "pop.parquet"
    code, _, err = run("synth", "400", "-o", str(path), "--seed", "5")
    assert code == 0, err
    return path


def test_synth_is_seeded_and_has_an_id_and_a_column_per_fact(population: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.parquet"
    assert run("synth", "400", "-o", str(again), "--seed", "5")[0] == 0
    first, second = pq.read_table(population), pq.read_table(again)
    assert first.equals(second)
    assert first.num_rows == 400
    assert set(first.column_names) == {"id"} | set(asylum_kb.load().catalog.facts)
    other = tmp_path / "other.parquet"
    assert run("synth", "400", "-o", str(other), "--seed", "6")[0] == 0
    assert not pq.read_table(other).equals(first)


def test_impact_counts_every_case_in_each_transition_table(population: Path) -> None:
    code, out, err = run("impact", str(population), "--as-of", "2025-07-01", "--as-of", "2026-03-01",
                         "--format", "json", "--sample", "20")
    assert code == 0, err
    data = json.loads(out)
    assert data["cases"] == 400
    assert [v["as_of"] for v in data["variants"]] == ["2025-07-01", "2026-03-01"]
    for rule_id, entry in data["determinations"].items():
        if not entry["per_item"]:
            assert sum(t["count"] for t in entry["transitions"]) == 400, rule_id
    # The work-permit fee took effect with the 2025 law: every case moves from 0 to the FY2026 amount.
    fee = data["determinations"]["fees.ead_initial"]
    assert fee["changed"] == 400 and fee["transitions"][0]["from"] == "0"
    assert data["rules_applied"]["refugee.admissions_suspended"] == [400, 400]
    assert data["facts_needed"]["sample"] == 20


def test_impact_writes_per_case_results_with_the_case_id(population: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.parquet"
    code, _, err = run("impact", str(population), "--as-of", "2025-09-15", "-o", str(output), "--sample", "0")
    assert code == 0, err
    table = pq.read_table(output)
    assert table.column("id").to_pylist()[:2] == ["case-1", "case-2"]
    assert "asylum.eligibility" in table.column_names
    assert set(table.column("asylum.eligibility").to_pylist()) <= {"eligible", "ineligible", "undetermined"}


def test_impact_reports_in_markdown_and_html_with_a_chart(population: Path, tmp_path: Path) -> None:
    for suffix in ("md", "html"):
        report = tmp_path / f"summary.{suffix}"
        code, _, err = run("impact", str(population), "--as-of", "2025-07-01", "--as-of", "2026-03-01",
                           "--report", str(report), "--sample", "0")
        assert code == 0, err
        text = report.read_text(encoding="utf-8")
        assert "fees.ead_initial" in text and "not legal advice" in text
        if suffix == "html":
            assert text.count("<svg") == len(asylum_kb.load().determinations)
        else:
            assert "| 0 | 560 | 400 |" in text


def test_csv_and_jsonl_give_the_same_answers_as_parquet(population: Path, tmp_path: Path) -> None:
    answers = []
    for suffix in ("parquet", "csv", "jsonl"):
        source = tmp_path / f"pop.{suffix}"
        assert run("synth", "400", "-o", str(source), "--seed", "5")[0] == 0
        output = tmp_path / f"out-{suffix}.parquet"
        code, _, err = run("impact", str(source), "--as-of", "2025-09-15", "-o", str(output), "--sample", "0")
        assert code == 0, err
        answers.append(pq.read_table(output).to_pylist())
    assert answers[0] == answers[1] == answers[2]


def test_two_rule_sets_compared_on_one_date(tmp_path: Path) -> None:
    old = write_kb(tmp_path / "old")
    new = write_kb(tmp_path / "new", **{"parameters.yaml": PARAMETERS.replace("value: 100", "value: 250")})
    source = tmp_path / "cases.csv"
    source.write_text("id,person.filed,person.location\na,2025-08-01,inside\nb,2024-01-01,inside\nc,,outside\n",
                      encoding="utf-8")
    code, out, err = run("impact", str(source), "--rules", str(old), "--rules", str(new), "--as-of", "2025-09-01",
                         "--format", "json", "--sample", "0")
    assert code == 0, err
    fee = json.loads(out)["determinations"]["mini.fee"]
    assert fee["changed"] == 1
    assert {"from": "100", "to": "250", "count": 1} in fee["transitions"]


@pytest.mark.parametrize(("content", "code"), [
    ("id,applicant.locaton\n1,inside_us\n", "F310"),
    ("id,applicant.location\n1,mars\n", "F312"),
    ("id,applicant.last_arrival_date\n1,not a date\n", "F311"),
    ("id,bars.aggravated_felony_sentence_years\n1,500\n", "F312"),
], ids=["unknown-column", "enum-value", "not-a-date", "over-the-maximum"])
def test_bad_population_is_a_facts_error_with_our_code(tmp_path: Path, content: str, code: str) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    exit_code, out, err = run("impact", str(source), "--as-of", "2025-09-15", "--sample", "0")
    assert exit_code == 3
    assert f"error {code}" in err and "bad.csv" in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("args", [[], ["--as-of", "2025-01-01"] * 3, ["--as-of", "2025-13-01"],
                                  ["--as-of", "2025-01-01", "-o", "/no/such/folder/out.parquet"],
                                  ["--as-of", "2025-01-01", "--report", "summary.pdf"]],
                         ids=["no-date", "three-dates", "bad-date", "output-folder-missing", "report-type"])
def test_impact_usage_errors_exit_2(population: Path, args: list[str]) -> None:
    assert run("impact", str(population), *args)[0] == 2


def test_population_file_type_is_checked(tmp_path: Path) -> None:
    source = tmp_path / "cases.xlsx"
    source.write_text("x", encoding="utf-8")
    code, _, err = run("impact", str(source), "--as-of", "2025-09-15")
    assert code == 3 and "error F311" in err


def test_a_rule_sql_cannot_express_is_refused_at_load_naming_the_rule(tmp_path: Path) -> None:
    rules = RULES + """\
  - id: mini.ratio
    title: A ratio
    kind: outcome
    value: person.age / 3
    citations: ["Statute 6"]
"""
    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": rules}))
    with pytest.raises(asylum_kb.RulesError) as caught:
        compile_rules([(kb, date(2025, 1, 1))], DIALECTS["duckdb"])
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.rule_id) == ("E250", "mini.ratio")
    assert diagnostic.file and diagnostic.file.endswith("rules.yaml") and diagnostic.position is not None
    source = tmp_path / "cases.csv"
    source.write_text("id,person.age\n1,30\n", encoding="utf-8")
    code, _, err = run("impact", str(source), "--rules", str(tmp_path / "rules"), "--as-of", "2025-01-01")
    assert code == 4 and "E250" in err and "mini.ratio" in err


def test_business_days_match_the_holiday_calendar_every_day_1980_to_2040_and_past_the_table(tmp_path: Path) -> None:
    """Inside 1970-2100 SQL reads a table made from ``holidays``; outside it, SQL computes the calendar itself."""
    from datetime import timedelta

    from asylum_kb.impact.run import Variant, run_duckdb
    from asylum_kb.language import holidays
    from impact_population import backend_answers, write_parquet

    rules = RULES + """\
  - id: mini.business
    title: Filed on a business day
    kind: outcome
    value: is_business_day(person.filed)
    citations: ["5 U.S.C. 6103"]
  - id: mini.next_business
    title: The next business day
    kind: deadline
    value: next_business_day(person.filed)
    citations: ["5 U.S.C. 6103"]
"""
    kb = asylum_kb.load(write_kb(tmp_path, **{"rules.yaml": rules}))
    def span(first: date, last: date) -> list[date]:
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    days = span(date(1968, 11, 1), date(1970, 1, 31)) + span(date(1980, 1, 1), date(2040, 12, 31)) + span(
        date(2100, 11, 1), date(2102, 1, 31))
    source = write_parquet(kb, [{"person.filed": day} for day in days], tmp_path / "days.parquet")
    output = tmp_path / "out.parquet"
    run_duckdb([Variant(kb, date(2025, 1, 1), "a")], str(source), str(output), sample=0)
    got = backend_answers(kb, output, 1)
    assert [answers[0]["mini.business"] for answers in got] == [holidays.is_business_day(day) for day in days]
    assert [answers[0]["mini.next_business"] for answers in got] == [
        holidays.next_business_day(day).isoformat() for day in days]
