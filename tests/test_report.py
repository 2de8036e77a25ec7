"""Case reports and training packs: content, exercise mode, template overrides, committed examples, a browser."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path

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
    assert "| Eligible for deferral of removal under the Convention Against Torture | **Eligible** |" in page
    assert "| Eligible for withholding of removal | **Not eligible** |" in page
    assert "- **Particularly serious crime (withholding), including aggravated felonies with 5 or more years**: applies" in page
    assert ("Had bars.aggravated_felony_sentence_years been at most 4 (it is 6), the answer would be “Eligible” "
            "instead of “Not eligible”.") in page
    sources = re.findall(r"^(\d+)\. (.+)$", page, re.MULTILINE)
    assert ("8 CFR 208.17" in [text for _, text in sources]) and [int(n) for n, _ in sources] == list(range(1, len(sources) + 1))
    assert "information and training aid, not legal advice" in page
    assert "As of **2025-04-01**" in page and "knowledge base `us_asylum`" in page
    assert "Not given (unknown): `entry.southwest_border`" in page


def test_report_names_unverified_rules_and_the_exception_that_saved_a_claim() -> None:
    page = report(str(EXAMPLES / "late-filing-changed-circumstances.yaml"), "--format", "md")
    assert "| One-year filing deadline | **Late, but an exception applies** |" in page
    assert "defeated by: Changed circumstances, and filed within a reasonable period" in page
    aged = report(str(EXAMPLES / "derivative-child-ages-out.yaml"), "--format", "md")
    assert "**Unverified rules were involved.**" in aged and "(`family.derivative_children`)" in aged
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


def test_training_pack_has_a_page_per_case_and_an_index(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--pack", str(EXAMPLES), "-o", str(tmp_path), "--exercise"])
    assert result.exit_code == 0, result.output
    cases = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    assert sorted(p.stem for p in tmp_path.glob("*.html") if p.stem != "index") == cases
    index = (tmp_path / "index.html").read_text()
    assert all(f'href="{name}.html"' in index for name in cases) and "answer in the case page" in index


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


def test_the_reveal_works_in_headless_chromium(tmp_path: Path) -> None:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    page = tmp_path / "exercise.html"
    page.write_text(report(str(EXAMPLES / "crime-cat-deferral-only.yaml"), "--exercise"))
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,1400"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        browser.get(page.as_uri())
        answers = browser.find_element(By.ID, "answers")
        assert not answers.is_displayed()
        browser.find_element(By.CSS_SELECTOR, "details.reveal > summary").click()
        assert answers.is_displayed() and "Eligible" in answers.text
        browser.execute_script("document.getElementById('reveal').scrollIntoView()")
        shot = Path(os.environ.get("ASYLUM_KB_SCREENSHOT_DIR", str(tmp_path))) / "exercise-revealed.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        browser.quit()


def test_a_list_of_records_with_unknown_and_empty_items_is_shown_not_a_crash() -> None:
    from datetime import date

    import asylum_kb
    from asylum_kb import report as reports

    kb = asylum_kb.load()
    children = [None, {}, {"married": False}, {"name": "Ana"}]
    result = kb.evaluate({"family": {"children": children}}, as_of=date(2025, 9, 15))
    page = reports.render_case(kb, result, "case", "md")
    assert "unknown; unknown; married: no; name: Ana" in page
