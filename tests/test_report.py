"""Case reports and training packs: content, exercise mode, template overrides, committed examples, a browser."""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from asylum_kb.cli.main import main
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", "")


def report(*args: str) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_markdown_report_shows_answers_reasoning_counterfactuals_and_numbered_sources() -> None:
    page = report(str(EXAMPLES / "crime-cat-deferral-only.yaml"), "--format", "md")
    assert "- **Eligible for deferral of removal under the Convention Against Torture**: every criterion is met.\n" in page
    assert ("- **Not eligible for withholding of removal**: Particularly serious crime (withholding), including "
            "aggravated felonies with 5 or more years.\n  - Decided by an immigration judge") in page
    assert ("- **Not eligible for asylum**: One-year filing deadline missed, no exception applies; "
            "Aggravated felony (a particularly serious crime for asylum).") in page
    assert "- **Particularly serious crime (withholding), including aggravated felonies with 5 or more years**: applies" in page
    assert ("Had bars.aggravated_felony_sentence_years been at most 4 (it is 6), the answer would be “Eligible” "
            "instead of “Not eligible”.") in page
    sources = re.findall(r"^(\d+)\. (.+)$", page, re.MULTILINE)
    assert ("8 CFR 208.17(a)" in [text for _, text in sources]) and [int(n) for n, _ in sources] == list(range(1, len(sources) + 1))
    assert "information and training aid, not legal advice" in page
    assert "As of **2025-04-01**" in page and "knowledge base `us_asylum`" in page
    assert "Not given (unknown): `entry.southwest_border`" in page


def test_report_names_unverified_rules_and_the_exception_that_saved_a_claim() -> None:
    page = report(str(EXAMPLES / "late-filing-changed-circumstances.yaml"), "--format", "md")
    assert ("| One-year filing deadline | **Late, but an exception applies**: One-year filing deadline missed, but an "
            "exception applies: Changed circumstances, and filed within a reasonable period |") in page
    assert ("- **Eligible for asylum**: One-year filing deadline missed, but an exception applies: Changed circumstances, "
            "and filed within a reasonable period.\n  - Decided by the USCIS asylum office") in page
    assert "defeated by: Changed circumstances, and filed within a reasonable period" in page
    # branches an answer did not take are not its reasons
    assert "| **Affirmative (USCIS asylum office)** |" in page and "| **none** |" in page
    assert "not met: Not filed by the as-of date" not in page
    # what did not apply is one short line, not a subtree
    assert "- *did not apply:* Extraordinary circumstances, and filed within a reasonable period; Unaccompanied" in page
    assert "**Extraordinary circumstances, and filed within a reasonable period**" not in page
    aged = report(str(EXAMPLES / "derivative-child-ages-out.yaml"), "--format", "md")
    border = report(str(EXAMPLES / "border-crossing-2024.yaml"), "--format", "md")
    assert "**Unverified rules were involved.**" in border and "(`asylum.border.securing_the_border_covered`)" in border
    assert "Nadia: Can be included, Omar: Cannot be included" in aged


def test_html_report_is_self_contained_accessible_and_printable() -> None:
    page = report(str(EXAMPLES / "affirmative-grant.yaml"))
    assert page.startswith("<!doctype html>") and 'lang="en"' in page and '<main id="main">' in page
    assert not re.search(r'<(link|script|img)[^>]+(href|src)="https?:', page) and "@import" not in page
    assert "@media print" in page and 'name="viewport"' in page and 'scope="col"' in page
    assert '<li id="source-1">' in page and 'href="#source-1"' in page


def test_exercise_mode_hides_answers_behind_a_reveal() -> None:
    page = report(str(EXAMPLES / "affirmative-grant.yaml"), "--exercise")
    reveal = page.index('<details class="reveal" id="reveal">')
    assert reveal < page.index('id="answers"') < page.index("</details>", page.index('id="why-title"'))
    assert page.index('id="facts-title"') < reveal


def test_templates_can_be_overridden_by_name(tmp_path: Path) -> None:
    (tmp_path / "case.md.j2").write_text("Org report for {{ report.name }}: {{ report.groups['Asylum'][1].text }}\n")
    assert report(str(EXAMPLES / "affirmative-grant.yaml"), "--format", "md", "--templates", str(tmp_path)) == \
        "Org report for affirmative-grant: Eligible\n"


@pytest.mark.parametrize("template,line,words", [("ok\n{% if %}\n", 2, "template syntax error"),
                                                  ("ok\n\n{{ report.no_such_part.x }}\n", 3, "no_such_part")])
def test_a_broken_template_is_a_located_usage_error(tmp_path: Path, template: str, line: int, words: str) -> None:
    (tmp_path / "case.md.j2").write_text(template)
    for args in (["report", str(EXAMPLES / "affirmative-grant.yaml"), "--format", "md"],
                 ["report", "--pack", str(EXAMPLES), "--format", "md", "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, [*args, "--templates", str(tmp_path)])
        assert result.exit_code == 2 and "internal error" not in result.stderr
        assert result.stderr.startswith(f"{tmp_path / 'case.md.j2'}:{line}:1: error T100") and words in result.stderr


def test_an_unreadable_template_is_a_usage_error_not_a_write_error(tmp_path: Path) -> None:
    (tmp_path / "case.md.j2").write_bytes(b"caf\xe9 {{ report.name }}\n")
    for args in (["report", str(EXAMPLES / "affirmative-grant.yaml"), "--format", "md"],
                 ["report", "--pack", str(EXAMPLES), "--format", "md", "-o", str(tmp_path / "out")]):
        result = CliRunner().invoke(main, [*args, "--templates", str(tmp_path)])
        assert result.exit_code == 2 and "error T100: cannot read template: not UTF-8 text" in result.stderr
        assert "cannot write" not in result.stderr


def test_training_pack_has_a_page_per_case_and_an_index(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--pack", str(EXAMPLES), "-o", str(tmp_path), "--exercise"])
    assert result.exit_code == 0, result.output
    cases = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    assert sorted(p.stem for p in tmp_path.glob("*.html") if p.stem != "index") == cases
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="{name}.html"' in index for name in cases) and "answer in the case page" in index


def test_a_pack_with_bad_cases_writes_the_good_ones_and_locates_the_bad(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "applicant": {"location": "inside_us"}}\n{"id": "b", "bars": {"persecutor": "no"}}\n'
                     '{"id": "c", "applicant": {}\n{"id": "d"}\n')
    result = CliRunner().invoke(main, ["report", "--pack", str(cases), "-o", str(tmp_path / "pack") + "/"])
    assert result.exit_code == 3
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == ["a.html", "d.html", "index.html"]
    assert f"wrote 3 files to {tmp_path / 'pack'}/\n" == result.stdout
    errors = result.stderr.splitlines()
    assert errors[0].startswith(f"{cases}:2:36: error F301") and any(e.startswith(f"{cases}:3:") and "F304" in e
                                                                     for e in errors)
    assert errors[-1] == "2 of 4 cases failed and have no page"


def test_a_folder_pack_with_a_bad_file_writes_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.yaml").write_text("applicant: {location: inside_us}\n")
    (folder / "bad.yaml").write_text("applicant:\n  location: mars\n")
    result = CliRunner().invoke(main, ["report", "--pack", str(folder), "-o", str(tmp_path / "out"), "--format", "md"])
    assert result.exit_code == 3 and result.stderr.startswith(f"{folder / 'bad.yaml'}:2:13: error F302")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.md", "index.md"]


def test_usage_errors() -> None:
    assert CliRunner().invoke(main, ["report"]).exit_code == 2
    assert CliRunner().invoke(main, ["report", "--pack", str(EXAMPLES)]).exit_code == 2
    result = CliRunner().invoke(main, ["report", "-"], input='{"applicant": {"location": "mars"}}')
    assert result.exit_code == 3 and "must be one of" in result.output


def test_committed_example_reports_are_current(tmp_path: Path) -> None:
    """Regenerate with: asylum-kb report --pack examples -o docs/examples --format both"""
    result = CliRunner().invoke(main, ["report", "--pack", str(EXAMPLES), "-o", str(tmp_path), "--format", "both"])
    assert result.exit_code == 0, result.output
    committed = ROOT / "docs" / "examples"
    comparison = filecmp.dircmp(tmp_path, committed)
    assert comparison.left_only == [] and comparison.right_only == []
    assert [n for n in comparison.common_files if (tmp_path / n).read_text() != (committed / n).read_text()] == []


def headless_chromium(tmp_path: Path, width: int, height: int) -> Any:
    """Debian's chromium through its chromedriver, or a skip saying what to install."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))


def screenshot_path(tmp_path: Path, name: str) -> Path:
    return Path(os.environ.get("ASYLUM_KB_SCREENSHOT_DIR", str(tmp_path))) / name


def test_the_outcome_is_on_the_first_screen_in_headless_chromium(tmp_path: Path) -> None:
    browser = headless_chromium(tmp_path, 1280, 2000)
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    page.write_text(report(str(EXAMPLES / "late-filing-withholding-only.yaml")))
    try:
        browser.get(page.as_uri())
        summary = browser.find_element(By.ID, "summary")
        top, bottom, screen = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight];", summary)
        assert screen >= 1800 and 0 < top and bottom <= screen  # the whole summary, unscrolled
        assert summary.is_displayed() and "Not eligible for asylum" in summary.text
        assert "Eligible for withholding of removal" in summary.text and "Decided by an immigration judge" in summary.text
        folded = browser.find_element(By.CSS_SELECTOR, "details.not-applied li")
        assert not folded.is_displayed()  # what did not apply is folded away
        shot = screenshot_path(tmp_path, "report-first-screen.png")
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        browser.quit()


def test_the_reveal_works_in_headless_chromium(tmp_path: Path) -> None:
    browser = headless_chromium(tmp_path, 900, 1400)
    from selenium.webdriver.common.by import By

    page = tmp_path / "exercise.html"
    page.write_text(report(str(EXAMPLES / "crime-cat-deferral-only.yaml"), "--exercise"))
    try:
        browser.get(page.as_uri())
        answers = browser.find_element(By.ID, "answers")
        assert not answers.is_displayed()
        browser.find_element(By.CSS_SELECTOR, "details.reveal > summary").click()
        assert answers.is_displayed() and "Eligible" in answers.text
        browser.execute_script("document.getElementById('reveal').scrollIntoView()")
        shot = screenshot_path(tmp_path, "exercise-revealed.png")
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        browser.quit()


HOSTILE_NAMES = ["<script>alert(1)</script>", "[click](javascript:alert(1))", "a | b\n# Injected heading",
                 "`code` and **bold** _em_", "line\u2028break ![img](http://example.invalid/x.png)", "1. listed"]


def hostile_case(tmp_path: Path, name: str = "case") -> Path:
    children = "".join(f"    - {{name: {json.dumps(n)}, date_of_birth: 2010-01-01, married: false}}\n" for n in HOSTILE_NAMES)
    path = tmp_path / f"{name}.yaml"
    path.write_text((EXAMPLES / "derivative-child-ages-out.yaml").read_text().split("  children:\n")[0]
                    + "  children:\n" + children)
    return path


def rendered_markdown(page: str) -> str:
    from markdown_it import MarkdownIt  # a CommonMark renderer with tables, as readers' tools render reports

    return str(MarkdownIt("commonmark", {"html": True}).enable("table").render(page))


def test_markdown_report_escapes_hostile_fact_values(tmp_path: Path) -> None:
    page = report(str(hostile_case(tmp_path)), "--format", "md")
    html = rendered_markdown(page)
    assert "<script" not in html and "javascript:" not in html.replace("(javascript:", "") and "<img" not in html
    assert "<h1>Injected heading" not in html and "<h1>" in html  # the report's own title is the only h1
    assert html.count("<h1>") == 1 and "<ol" not in html.split("<h2>Sources</h2>")[0].split("<h2>Why</h2>")[0]
    assert 'href="javascript' not in html and "<code>code</code>" not in html and "<strong>bold</strong>" not in html
    # each value stays in its own table cell: every facts-table row has exactly three cells
    facts_table = html.split("<h2>The facts</h2>")[1].split("</table>")[0]
    assert all(row.count("<td>") == 3 for row in facts_table.split("<tr>")[2:])
    # and the reader sees the text as it was given (line breaks become spaces)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "[click](javascript:alert(1))" in html
    assert "a | b # Injected heading" in html


def test_markdown_pack_escapes_a_hostile_case_name_and_headline(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    hostile_case(cases, "[x](javascript:alert(1)) <b>")
    result = CliRunner().invoke(main, ["report", "--pack", str(cases), "-o", str(tmp_path / "out"), "--format", "md"])
    assert result.exit_code == 0, result.output
    for page in (tmp_path / "out").glob("*.md"):
        html = rendered_markdown(page.read_text())
        assert 'href="javascript' not in html and "<b>" not in html


def test_html_report_escapes_hostile_fact_values(tmp_path: Path) -> None:
    page = report(str(hostile_case(tmp_path)))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript' not in page and "<img" not in page


def test_the_outcome_says_who_decides_each_form_of_protection() -> None:
    """Withholding 'eligible' beside an affirmative procedure must say that only an immigration judge grants it."""
    page = report(str(EXAMPLES / "affirmative-grant.yaml"), "--format", "md")
    outcome = page.split("## Outcome")[1].split("## Why")[0]
    assert "| Affirmative or defensive procedure | **Affirmative (USCIS asylum office)** |" in outcome
    assert ("- **Eligible for withholding of removal**: every criterion is met and no bar applies.\n"
            "  - Decided by an immigration judge, in removal proceedings; the asylum office does not grant it") in outcome
    assert ("- **Eligible for asylum**: every criterion is met and no bar applies.\n"
            "  - Decided by the USCIS asylum office (an asylum officer decides an affirmative application) [1][2].") in outcome
    assert re.search(r"^1\. 8 CFR 208\.2\(a\)$", page, re.MULTILINE) and re.search(r"^3\. 8 CFR 208\.16\(a\)$", page, re.MULTILINE)
    html = report(str(EXAMPLES / "affirmative-grant.yaml"))
    summary = html.split('id="summary"')[1].split("</ul>")[0]
    assert "Eligible for withholding of removal" in summary
    assert "Decided by an immigration judge, in removal proceedings; the asylum office does not grant it" in summary


def test_while_the_procedure_is_unknown_both_authorities_are_named() -> None:
    page = report(str(EXAMPLES / "intake-sparse.yaml"), "--format", "md")
    assert ("Decided by the USCIS asylum office (an asylum officer decides an affirmative application) [1][2] or an "
            "immigration judge (immigration court, in removal proceedings) [3][4] (which one depends on facts not yet "
            "given).") in page
    defensive = report(str(EXAMPLES / "defensive-court-case.yaml"), "--format", "md")
    assert "Decided by an immigration judge (immigration court, in removal proceedings)" in defensive
    assert "USCIS asylum office (an asylum officer" not in defensive.split("## Why")[0]


HOSTILE_CHECK = """\
ruleset:
  id: mini.checks
  title: Checks
  version: 1.0.0
rules:
  - id: mini.check.arrival_after_filing
    title: "Arrived <b>after</b> filing [x](javascript:alert(1))"
    kind: check
    plain: "person.arrived is after person.filed <script>alert(1)</script>"
    when: person.arrived > person.filed
    citations: ["Statute 6"]
"""


def warned_case(tmp_path: Path) -> tuple[Path, Path]:
    from kbfiles import write_kb

    rules = write_kb(tmp_path, **{"checks.yaml": HOSTILE_CHECK})
    case = tmp_path / "case.yaml"
    case.write_text("as_of: 2026-06-01\nperson:\n  location: inside\n  arrived: 2025-03-01\n  filed: 2025-01-01\n")
    return rules, case


def test_reports_show_warnings_first_escaped_and_placed_in_the_facts_file(tmp_path: Path) -> None:
    rules, case = warned_case(tmp_path)
    page = report(str(case), "--format", "html", "--rules", str(rules))
    assert page.index('id="warnings"') < page.index('id="answers"')
    assert "Arrived &lt;b&gt;after&lt;/b&gt; filing" in page and "<b>after" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert f"({case}:4:12)" in page and f"({case}:5:10)" in page
    markdown = report(str(case), "--format", "md", "--rules", str(rules))
    assert markdown.index("## Check these facts first") < markdown.index("## Outcome")
    html = rendered_markdown(markdown)
    assert "<b>after" not in html and 'href="javascript' not in html and "<script>alert" not in html
    assert "Arrived &lt;b&gt;after&lt;/b&gt; filing" in html and f"{case}:4:12" in html


def test_a_report_without_contradictions_has_no_warning_section() -> None:
    page = report(str(EXAMPLES / "affirmative-grant.yaml"), "--format", "html")
    assert 'id="warnings"' not in page and "Check these facts first" not in page


def test_a_list_of_records_with_unknown_and_empty_items_is_shown_not_a_crash() -> None:
    from datetime import date

    import asylum_kb
    from asylum_kb.report import case_report as reports

    kb = asylum_kb.load()
    children = [None, {}, {"married": False}, {"name": "Ana"}]
    result = kb.evaluate({"family": {"children": children}}, as_of=date(2025, 9, 15))
    page = reports.render_case(kb, result, "case", "md")
    assert "unknown; unknown; married: no; name: Ana" in page
