"""The command line: outputs, formats, stdin, batches, and exit codes for every kind of bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from asylum_kb.cli.main import main
from click.testing import CliRunner
from kbfiles import write_kb

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "affirmative-grant.yaml")


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_eval_text_lists_every_determination_and_the_disclaimer() -> None:
    code, out, _ = run("eval", EXAMPLE)
    assert code == 0
    assert "asylum.eligibility" in out and "eligible" in out
    assert re.search(r"^  fees\.asylum_application +100$", out, re.MULTILINE)
    assert "not legal advice" in out


def test_eval_explain_prints_reasons_and_sources() -> None:
    code, out, _ = run("eval", EXAMPLE, "--explain")
    assert code == 0
    assert "Why asylum.eligibility = eligible:" in out
    assert 'applicant.location in ["inside_us", "at_port_of_entry"] → yes   (applicant.location = inside_us)' in out
    assert "sources: INA 208(a)(1), 8 U.S.C. 1158(a)(1)" in out


def test_eval_json_follows_the_contract() -> None:
    code, out, _ = run("eval", EXAMPLE, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["as_of"] == "2025-09-15" and data["kb_version"]
    assert data["determinations"]["asylum.eligibility"]["value"] == "eligible"
    assert data["determinations"]["family.derivative_children"]["value"] == [
        {"name": "Ana", "value": "included"}, {"name": "Luis", "value": "not_eligible"}]
    # The anniversary of the 2024-11-02 arrival is a Sunday: the last day moves to Monday (8 CFR 208.4(a)(2)(ii)).
    assert data["determinations"]["asylum.filing_deadline_date"]["value"] == "2025-11-03"


def test_as_of_option_overrides_the_document() -> None:
    data = json.loads(run("eval", EXAMPLE, "--format", "json", "--as-of", "2026-02-01")[1])
    assert data["as_of"] == "2026-02-01" and data["determinations"]["fees.ead_initial"]["value"] == 560


def test_eval_yaml_format() -> None:
    code, out, _ = run("eval", EXAMPLE, "--format", "yaml")
    assert code == 0 and yaml.safe_load(out)["determinations"]["asylum.procedure"]["value"] == "affirmative"


def test_eval_reads_stdin_json() -> None:
    code, out, _ = run("eval", "-", "--format", "json", "--as-of", "2025-09-15",
                       input='{"bars": {"persecutor": true}, "applicant": {"location": "inside_us"}}')
    assert code == 0 and json.loads(out)["determinations"]["asylum.eligibility"]["value"] == "ineligible"


def test_batch_jsonl_gives_one_result_per_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"bars": {"persecutor": true}}\n\n{"applicant": {"location": "outside_us"}}\n')
    code, out, _ = run("eval", str(cases), "--as-of", "2025-09-15")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 2
    assert lines[1]["determinations"]["asylum.procedure"]["value"] == "not_applicable"


@pytest.mark.parametrize("text,location,words", [
    ('{"applicant": {"location": "mars"}}', "<stdin>", "must be one of inside_us"),
    ('{"applicant": {"locaton": "inside_us"}}', "<stdin>", "did you mean 'applicant.location'"),
    ('{"applicant": {"location": "inside_us",}}', "<stdin>:1:40", "invalid JSON"),
    ("applicant:\n  location: [inside_us\n", "<stdin>:3:1", "YAML syntax error"),
    ('{"a":' * 5000 + "1" + "}" * 5000, "<stdin>:1:501: error F303", "nested too deeply"),
    ('{"bars": {"aggravated_felony_sentence_years": NaN}}', "<stdin>:1:47: error F304", "NaN is not a number"),
])
def test_invalid_facts_exit_3_with_location_and_no_traceback(text: str, location: str, words: str) -> None:
    code, out, err = run("eval", "-", input=text)
    assert code == 3 and out == ""
    assert err.startswith(location) and words in err and "Traceback" not in err


def test_json_lines_on_stdin_are_a_batch_with_each_line_located() -> None:
    lines = ['{"id": "a", "applicant": {"location": "inside_us"}}', "", '{"id": "b", "bars": {"persecutor": "no"}}',
             '{"id": "c"}']
    code, out, err = run("eval", "-", "--as-of", "2025-09-15", input="\n" + "\n".join(lines) + "\n")
    assert code == 3 and [json.loads(line)["id"] for line in out.splitlines()] == ["a", "c"]
    assert err.startswith("<stdin>:4:36: error F301") and "1 of 3 cases failed" in err


@pytest.mark.parametrize("text", [
    '{"id": "x",\n "applicant": {"location": "inside_us"}}\n',  # one JSON document over two lines
    '{"id": "x", "applicant": {"location": "inside_us"}}\n\n',  # one line: one document
    'id: x\napplicant: {location: inside_us}\n',  # YAML
    '{"id": "x", "applicant": {"location": "inside_us"}\n}\n',  # the first line is not a whole object
])
def test_one_document_on_stdin_is_never_taken_for_a_batch(text: str) -> None:
    code, out, _ = run("eval", "-", "--as-of", "2025-09-15", "--format", "json", input=text)
    assert code == 0 and json.loads(out)["id"] == "x"


def test_jsonl_error_names_the_line(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"bars": {"persecutor": true}}\n{"bars": {"persecutor": "no"}}\n')
    code, _, err = run("eval", str(cases))
    assert code == 3 and f"{cases}:2" in err and "must be true or false" in err


def test_missing_facts_file_exits_3() -> None:
    code, _, err = run("eval", "no-such-file.yaml")
    assert code == 3 and "cannot read facts" in err


def test_invalid_rules_exit_4_with_location(tmp_path: Path) -> None:
    rules = write_kb(tmp_path)
    (rules / "rules.yaml").write_text((rules / "rules.yaml").read_text().replace("person.persecutor", "person.persecuter", 1))
    code, _, err = run("eval", EXAMPLE, "--rules", str(rules))
    assert code == 4 and "rules.yaml:20:11: error E120 [mini.persecutor]: unknown name 'person.persecuter'" in err
    code, out, _ = run("validate", str(rules), "--format", "json")
    assert code == 4 and json.loads(out)[0]["code"] == "E120" and json.loads(out)[0]["line"] == 20


def test_usage_errors_exit_2() -> None:
    assert run("eval")[0] == 2
    assert run("eval", EXAMPLE, "--as-of", "tomorrow")[0] == 2
    assert run("eval", EXAMPLE, "--format", "xml")[0] == 2
    assert run("frobnicate")[0] == 2


def test_validate_the_shipped_rules() -> None:
    code, out, _ = run("validate")
    assert code == 0 and out.startswith("ok: ") and "rules in" in out


def test_facts_lists_questions() -> None:
    code, out, _ = run("facts")
    assert code == 0 and "applicant.last_arrival_date: date\n    When did the applicant last arrive" in out


def test_facts_lists_the_fields_of_child_records_with_their_types() -> None:
    code, out, _ = run("facts")
    assert code == 0 and "family.children: list of records, each with the fields below\n" in out
    assert "family.children[].date_of_birth: date\n    The child's date of birth." in out
    assert "family.children[].us_citizen: boolean\n" in out and "family.children[].name: string\n" in out


def test_committed_facts_schema_is_up_to_date() -> None:
    code, _, err = run("schema", "--check", str(ROOT / "schemas" / "facts.schema.json"))
    assert code == 0, err


def test_the_cli_answers_differently_after_a_new_era_and_fee_written_in_yaml_only(tmp_path: Path) -> None:
    rules = write_kb(tmp_path)
    facts = tmp_path / "case.json"
    facts.write_text(json.dumps({"person": {"filed": "2027-02-01"}}))

    def fee(as_of: str) -> object:
        code, out, err = run("eval", str(facts), "--rules", str(rules), "--format", "json", "--as-of", as_of)
        assert code == 0, err
        data = json.loads(out)
        return data["determinations"]["mini.fee"]["value"], data["eras"]

    assert fee("2027-03-01") == (100, ["fees.paid"])
    (rules / "eras.yaml").write_text((rules / "eras.yaml").read_text().replace(
        '        from: 2025-07-22\n        citations: ["Law B"]',
        '        from: 2025-07-22\n        to: 2027-01-01\n        citations: ["Law B"]\n'
        '      - id: fees.raised\n        title: Raised fee\n        from: 2027-01-01\n        citations: ["Law C"]'))
    with (rules / "parameters.yaml").open("a") as handle:
        handle.write("      - era: fees.raised\n        value: 150\n        citations: [\"Law C\"]\n")
    assert fee("2027-03-01") == (150, ["fees.raised"])
    assert fee("2026-12-31") == (150, ["fees.paid"])  # the fee follows the filing date; the era the as-of date


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.yaml")))
def test_every_example_evaluates_with_a_readable_explanation(example: str) -> None:
    code, out, err = run("eval", str(ROOT / "examples" / example), "--explain")
    assert code == 0, err
    assert "Why asylum.eligibility = " in out and "sources: " in out and "not legal advice" in out


def test_committed_editor_schema_is_up_to_date_and_validates_every_rule_file() -> None:
    import jsonschema
    from asylum_kb.kb.yamlsource import load as load_yaml

    path = ROOT / "schemas" / "rule-file.schema.json"
    code, _, err = run("schema", "--editor", "--check", str(path))
    assert code == 0, err
    validator = jsonschema.Draft202012Validator(json.loads(path.read_text()))
    for rule_file in (ROOT / "rules").rglob("*.yaml"):
        data = load_yaml(str(rule_file), rule_file.read_text()).data
        assert list(validator.iter_errors(data)) == [], rule_file
    broken = {"ruleset": {"id": "x", "title": "X", "version": "1.0.0"},
              "rules": [{"id": "a.b", "title": "Title", "kind": "bar", "whne": "x", "citations": ["Source"]}]}
    messages = [e.message for e in validator.iter_errors(broken)]
    assert any("whne" in m for m in messages)


def test_examples_validate_against_the_facts_schema() -> None:
    import jsonschema
    from asylum_kb.kb.yamlsource import load as load_yaml

    schema = json.loads((ROOT / "schemas" / "facts.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for example in (ROOT / "examples").glob("*.yaml"):
        assert list(validator.iter_errors(load_yaml(str(example), example.read_text()).data)) == [], example
    assert list(validator.iter_errors({"applicant": {"locaton": "inside_us"}}))


def test_eval_values_only_and_only_select_what_is_computed(tmp_path: Path) -> None:
    code, out, _ = run("eval", EXAMPLE, "--format", "json", "--values-only", "--only", "asylum.eligibility",
                       "--only", "fees.ead_initial")
    assert code == 0
    data = json.loads(out)
    office = "the USCIS asylum office (an asylum officer decides an affirmative application)"
    assert data["determinations"] == {"asylum.eligibility": {"value": "eligible", "status": "determined", "facts_needed": [],
                                                             "decided_by": [{"authority": office, "settled": True}]},
                                      "fees.ead_initial": {"value": 550, "status": "determined", "facts_needed": []}}
    batch = tmp_path / "cases.jsonl"
    batch.write_text(json.dumps({"applicant": {"location": "outside_us"}}) + "\n")
    code, out, _ = run("eval", str(batch), "--values-only", "--as-of", "2025-09-15")
    assert code == 0
    line = json.loads(out)
    assert line["determinations"]["asylum.procedure"]["value"] == "not_applicable" and "disclaimer" not in line
    code, out, _ = run("eval", EXAMPLE, "--only", "asylum.eligibility", "--explain")
    assert code == 0 and "Why asylum.eligibility" in out and "fees.ead_initial" not in out


def test_eval_only_an_unknown_determination_is_a_usage_error() -> None:
    code, _, err = run("eval", EXAMPLE, "--only", "asylum.eligibilty")
    assert code == 2
    assert "'asylum.eligibilty' is not a determination; did you mean 'asylum.eligibility'" in err


@pytest.mark.parametrize("args", [
    ("report", EXAMPLE, "-o", "{missing}/page.html"),
    ("report", "--pack", str(ROOT / "examples"), "-o", "{file}/pack"),
    ("schema", "-o", "{missing}/facts.schema.json"),
    ("docs", "-o", "{file}/book"),
], ids=["report", "report-pack", "schema", "docs"])
def test_an_output_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "a-file").write_text("")
    paths = {"missing": str(tmp_path / "missing"), "file": str(tmp_path / "a-file")}
    code, _, err = run(*(arg.format(**paths) for arg in args))
    assert code == 2
    assert str(tmp_path) in err and "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("name,text,location,code", [
    ("case.json", '{"applicant": {"location": "mars"},\n "bars": {"persecutor": "no"}}', "case.json:1:28", "F302"),
    ("case.json", '{"family": {"children": [{"name": "A"}, {"name": "B", "bron": "x"}]}}', "case.json:1:63", "F300"),
    ("case.yaml", "applicant:\n  location: inside_us\nbars:\n  persecutor: 'no'\n", "case.yaml:4:15", "F301"),
    ("case.yaml", "application:\n  ead_clock_delay_days: 2.5\n", "case.yaml:2:25", "F301"),
    ("case.yaml", "id: [1]\n", "case.yaml:1:5", "F301"),
])
def test_fact_errors_in_a_file_carry_line_and_column(tmp_path: Path, name: str, text: str, location: str,
                                                     code: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    exit_code, out, err = run("eval", str(path))
    assert exit_code == 3 and out == ""
    assert err.startswith(f"{path.parent}/{location}: error {code}")
    assert "Decimal" not in err and "Traceback" not in err


def test_did_you_mean_never_suggests_the_opposite_value() -> None:
    code, _, err = run("eval", "-", input="application: {status: filed}\n")
    assert code == 3 and "error F302" in err and "did you mean" not in err
    code, _, err = run("eval", "-", input="application: {status: pendin}\n")
    assert code == 3 and "did you mean 'pending'?" in err


@pytest.mark.parametrize("typed,known,hint", [
    ("filed", ["not_filed", "pending"], None),
    ("eligible", ["not_eligible", "uneligible", "eligible_now"], "did you mean 'eligible_now'?"),
    ("lawful", ["unlawful", "lawfull"], "did you mean 'lawfull'?"),
    ("not_filed", ["filed", "not_file"], "did you mean 'not_file'?"),
    ("applies", ["non_applies", "was_no_applies"], None),
])
def test_suggestions_leave_out_negated_forms_of_the_typed_text(typed: str, known: list[str], hint: str | None) -> None:
    from asylum_kb.language.diagnostics import suggest

    assert suggest(typed, known) == hint
