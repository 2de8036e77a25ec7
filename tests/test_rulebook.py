"""asylum-kb docs: the rulebook's content in both formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asylum_kb.cli.main import main
from click.testing import CliRunner


@pytest.fixture(scope="module")
def rulebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rulebook")
    result = CliRunner().invoke(main, ["docs", "-o", str(out)], env={"ASYLUM_KB_CACHE_DIR": ""})
    assert result.exit_code == 0, result.output
    return out


def test_one_page_per_ruleset_plus_index_parameters_and_eras(rulebook: Path) -> None:
    names = {p.name for p in rulebook.iterdir()}
    assert {"index.md", "index.html", "parameters.md", "eras.html", "asylum.one_year_deadline.md",
            "asylum.bars.html", "checks.facts.md"} <= names and len(names) == 28


def test_ruleset_page_has_titles_conditions_exceptions_dates_and_sources(rulebook: Path) -> None:
    page = (rulebook / "asylum.one_year_deadline.md").read_text()
    assert "## One-year filing deadline missed" in page
    assert "```\nasylum.filed_after_deadline\n```" in page
    assert "**Defeated by:** [Changed circumstances, and filed within a reasonable period]" \
           "(asylum.one_year_deadline.md#asylum.exception.changed_circumstances)" in page
    assert "in force from 2009-03-23" in page and "- TVPRA 2008, P.L. 110-457 §235(d)(7) (enacted Dec 23 2008)" in page
    assert '<a id="asylum.exception.changed_circumstances"></a>' in page


def test_ruleset_page_says_who_decides(rulebook: Path) -> None:
    page = (rulebook / "asylum.eligibility.md").read_text()
    assert ("**Decided by:**\n- the USCIS asylum office (an asylum officer decides an affirmative application) "
            "(where asylum.procedure is affirmative): 8 CFR 208.2(a); 8 CFR 208.14(b)\n") in page
    html = (rulebook / "protection.withholding_and_cat.html").read_text()
    assert "<h3>Decided by</h3>\n<ul><li>an immigration judge, in removal proceedings; the asylum office does not " \
           "grant it: 8 CFR 208.16(a); 8 CFR 1208.2(b). An asylum officer" in html


def test_parameters_page_tables_every_dated_value(rulebook: Path) -> None:
    page = (rulebook / "parameters.md").read_text()
    assert "| 2025-07-22 | 100 | 90 FR 34511 (July 22 2025): fees apply to filings postmarked on or after July 22 2025 |" in page
    assert "| 2026-01-01 | 102 | 90 FR 52693 (Nov 21 2025) |" in page
    assert "**unverified.** EOIR applied the fee by policy memorandum" in page


def test_html_is_self_contained_accessible_and_escaped(rulebook: Path) -> None:
    page = (rulebook / "asylum.bars.html").read_text()
    assert "<style>" in page and not re.search(r'<(link|script)[^>]+(href|src)="https?:', page)
    assert '<main id="main">' in page and 'lang="en"' in page and "@media print" in page
    assert "not legal advice" in page
    assert "19 I&amp;N Dec. 439" in (rulebook / "asylum.refugee_definition.html").read_text()
    assert '<span class="unverified">unverified</span>' in (rulebook / "refugee.usrap.html").read_text()


def test_rules_and_eras_show_their_court_rulings(rulebook: Path) -> None:
    border = (rulebook / "asylum.border.md").read_text()
    assert ("- Las Americas Immigrant Advocacy Center v. DHS, No. 1:24-cv-01702 (D.D.C. 2025-05-09): vacated, under appeal"
            in border)
    eras = (rulebook / "eras.md").read_text()
    assert "| 2024-06-05 | 2025-05-09 |" in eras and "Court rulings on Securing the Border limitation" in eras
    assert "<h3>Court rulings</h3>" in (rulebook / "asylum.border.html").read_text()
