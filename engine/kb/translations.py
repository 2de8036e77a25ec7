"""Translations of the facts catalog's questions, help and choices: gettext PO files beside facts.yaml.

One file per language, ``facts.<lang>.po`` in the rules directory. Each entry's context names what it
translates (``applicant.location.question``, ``value.inside_us``) and its msgid holds the English
text it was translated from, so an English text edited after translation shows up as stale (the
gettext convention, which translators' tools understand); a ``fuzzy`` flag marks it stale too.
English is the source language of questions and help; its file ``facts.en.po`` holds only the
display labels of enum values, whose msgid is the value's identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..language.diagnostics import Diagnostic, Position, RulesError
from .catalog import Catalog
from .factspec import FactSpec

SOURCE_LANGUAGE = "en"
INTERFACE = "interface."  # contexts of the interview's own words, not the catalog's


@dataclass(frozen=True)
class Entry:
    english: str
    text: str
    fuzzy: bool
    line: int


@dataclass(frozen=True)
class Translation:
    language: str
    name: str  # the language's own name, for a language menu
    note: str  # shown beside translated text: it is a translation, the English is authoritative
    entries: dict[str, Entry]
    file: str

    def text(self, context: str, english: str) -> str | None:
        """The translation of ``english`` under ``context``, or None when it is missing or stale."""
        entry = self.entries.get(context)
        if entry is None or entry.fuzzy or entry.english != english or not entry.text:
            return None
        return entry.text


def catalog_texts(catalog: Catalog, language: str = "es") -> dict[str, str]:
    """Every text of the catalog that a translation into ``language`` covers, by its context.

    For enum values the source text is the value's identifier; English translates only those.
    """
    texts: dict[str, str] = {}
    for spec in catalog.facts.values():
        _spec_texts(spec, spec.name, texts)
    if language == SOURCE_LANGUAGE:
        return {context: text for context, text in texts.items() if context.startswith("value.")}
    return texts


def _spec_texts(spec: FactSpec, path: str, texts: dict[str, str]) -> None:
    if spec.question:
        texts[f"{path}.question"] = spec.question
    if spec.help:
        texts[f"{path}.help"] = spec.help
    for value in spec.values:
        texts[f"value.{value}"] = value
    if spec.items is not None:
        for value in spec.items.values:
            texts[f"value.{value}"] = value
        for field in spec.items.fields:
            _spec_texts(field, f"{path}.{field.name}", texts)


def load(rules_dir: str | Path) -> dict[str, Translation]:
    """Every ``facts.<lang>.po`` file of a rules directory, by language code."""
    import polib

    out: dict[str, Translation] = {}
    root = Path(rules_dir)
    for path in sorted(root.glob("facts.*.po")):
        language = path.name.split(".")[1]
        name = str(path.relative_to(root.parent))
        try:
            po = polib.pofile(str(path), encoding="utf-8")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            # polib names the line in its message only: "Syntax error in po file PATH (line N)".
            line = re.search(r"\(line (\d+)\)", str(exc))
            raise RulesError([Diagnostic("E230", "cannot read the translation file: it is not a valid PO file",
                                         file=name, position=Position(int(line.group(1)), 1) if line else None,
                                         hint="a gettext PO file: msgctxt, msgid and msgstr entries")]) from None
        entries = {e.msgctxt: Entry(e.msgid, e.msgstr, "fuzzy" in e.flags, e.linenum or 1)
                   for e in po if e.msgctxt and not e.obsolete}
        out[language] = Translation(language, po.metadata.get("X-Language-Name", language),
                                    po.metadata.get("X-Translation-Note", ""), entries, name)
    return out


def _declared_at(context: str, positions: Mapping[str, Position | None]) -> Position | None:
    """Where the fact behind a context is declared: a record's field is located at its list fact."""
    parts = context.split(".")[:-1]
    while parts:
        found = positions.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def problems(translation: Translation, texts: Mapping[str, str], catalog_file: str | None = None,
             positions: Mapping[str, Position | None] | None = None) -> Iterator[Diagnostic]:
    """Missing (L020), stale (L021) and orphaned (L022) translations of ``texts``.

    ``texts`` are either the catalog's (orphans are looked for outside the interface's contexts) or
    the interface's (orphans are looked for inside them).
    """
    positions = positions or {}
    interface = any(context.startswith(INTERFACE) for context in texts)
    for context, english in texts.items():
        entry = translation.entries.get(context)
        if entry is None or not entry.text:
            yield Diagnostic("L020", f"no {translation.language} translation of '{context}'", "warning",
                             catalog_file or translation.file, _declared_at(context, positions),
                             hint=f"add msgctxt \"{context}\" with msgid \"{english}\" to {Path(translation.file).name}")
        elif entry.fuzzy or entry.english != english:
            yield Diagnostic("L021", f"the {translation.language} translation of '{context}' is stale: the English "
                             "text changed after it was translated", "warning", translation.file,
                             Position(entry.line, 1), hint=f"translate the current text: \"{english}\"")
    for context, entry in translation.entries.items():
        if context not in texts and context.startswith(INTERFACE) == interface:
            yield Diagnostic("L022", f"the {translation.language} translation of '{context}' translates nothing "
                             "the catalog has", "warning", translation.file, Position(entry.line, 1),
                             hint="remove it, or check the fact's name")
