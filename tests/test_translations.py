"""Translation files beside the catalog: complete as shipped; lint finds missing, stale and orphaned entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import asylum_kb
import pytest
from asylum_kb import RulesError
from asylum_kb.kb import translations
from asylum_kb.tools.lint import lint

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", folder)
    return folder


def translation_codes(folder: Path) -> list[tuple[str, str | None]]:
    """Translation findings in a changed copy of the rules, beyond those the shipped rules already have."""
    shipped = {(d.code, d.message) for d in lint(asylum_kb.load()) if d.code.startswith("L02")}
    return [(d.code, d.file) for d in lint(asylum_kb.load(folder))
            if d.code.startswith("L02") and (d.code, d.message) not in shipped]


def test_shipped_translations_are_nearly_complete_current_and_name_only_known_texts() -> None:
    # A new or reworded question is a lint warning (shown in English until translated), not a failure here:
    # the catalog grows on other branches. Orphans are typos in a PO file, and never acceptable.
    kb = asylum_kb.load()
    findings = [d for d in lint(kb) if d.code.startswith("L02")]
    assert [d for d in findings if d.code == "L022"] == []
    loaded = translations.load(kb.directory)
    assert set(loaded) == {"en", "es"} and loaded["es"].note
    texts = translations.catalog_texts(kb.catalog, "es")
    current = [c for c, english in texts.items() if loaded["es"].text(c, english) is not None]
    assert len(current) >= 0.9 * len(texts)


def test_the_interface_words_are_translated_into_every_language() -> None:
    # The interview's own words must be complete; rule titles (which change with the rules) fall back to English.
    from asylum_kb.service.interface import interface_texts
    from asylum_kb.service.interview import DEFAULT_GOALS

    kb = asylum_kb.load()
    texts = {c: t for c, t in interface_texts(kb, DEFAULT_GOALS).items() if not c.startswith("interface.rule.")}
    for language, translation in translations.load(kb.directory).items():
        if language != translations.SOURCE_LANGUAGE:
            assert [d for d in translations.problems(translation, texts) if d.code != "L022"] == [], language


def test_a_changed_english_question_makes_its_translation_stale(rules: Path) -> None:
    catalog = rules / "facts.yaml"
    catalog.write_text(catalog.read_text().replace("Where is the applicant now?", "Where does the applicant live now?"))
    found = translation_codes(rules)
    assert found == [("L021", "rules/facts.es.po")]
    kb = asylum_kb.load(rules)
    spanish = translations.load(rules)["es"]
    assert spanish.text("applicant.location.question", kb.catalog.facts["applicant.location"].question) is None


def test_a_fuzzy_entry_is_stale(rules: Path) -> None:
    po = rules / "facts.es.po"
    po.write_text(po.read_text().replace('msgctxt "applicant.location.question"',
                                         '#, fuzzy\nmsgctxt "applicant.location.question"'))
    assert translation_codes(rules) == [("L021", "rules/facts.es.po")]


def test_a_new_fact_without_translation_is_reported_where_it_is_declared(rules: Path) -> None:
    catalog = rules / "facts.yaml"
    catalog.write_text(catalog.read_text() + "  applicant.nickname:\n    type: string\n    question: What is the nickname?\n")
    kb = asylum_kb.load(rules)
    missing = [d for d in lint(kb) if d.code == "L020" and "nickname" in d.message]
    declared = catalog.read_text().splitlines().index("  applicant.nickname:") + 1
    assert [(d.file, d.position) for d in missing] == [("rules/facts.yaml", kb.catalog.positions["applicant.nickname"])]
    assert missing[0].position is not None and missing[0].position.line in (declared, declared + 1)


def test_a_translation_of_a_removed_fact_is_orphaned(rules: Path) -> None:
    po = rules / "facts.es.po"
    po.write_text(po.read_text() + '\nmsgctxt "applicant.shoe_size.question"\nmsgid "Shoe size?"\nmsgstr "¿Talla?"\n')
    assert translation_codes(rules) == [("L022", "rules/facts.es.po")]


def test_a_broken_translation_file_is_a_rules_error(rules: Path) -> None:
    (rules / "facts.es.po").write_text('msgid "a"\nmsgstr "b"\ngarbage here\n')
    with pytest.raises(RulesError) as caught:
        translations.load(rules)
    [problem] = caught.value.diagnostics
    assert (problem.code, problem.file, problem.position.line if problem.position else None) == (
        "E230", "rules/facts.es.po", 3)


def test_a_missing_translation_of_a_record_field_is_located_at_its_list_fact() -> None:
    kb = asylum_kb.load()
    spanish = translations.load(kb.directory)["es"]
    partial = translations.Translation("es", "Español", "", {c: e for c, e in spanish.entries.items()
                                                               if c != "family.children.name.question"}, spanish.file)
    texts = translations.catalog_texts(kb.catalog, "es")
    [missing] = [d for d in translations.problems(partial, texts, kb.catalog.file, kb.catalog.positions)
                 if d.code == "L020" and "family.children.name.question" in d.message]
    assert missing.position == kb.catalog.positions["family.children"] and missing.position is not None
