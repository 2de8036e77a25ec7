"""``asylum-kb interview``: the interview loop with click prompts, saving the fact document as it goes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click
from asylum_kb import KnowledgeBase

from . import interview

QUIT, SKIP, BACK = "q", "?", "<"


class Quit(Exception):
    """The user asked to stop; the answers so far are kept."""


class Control:
    """An answer that is not a value: go back, or "I don't know"."""

    def __init__(self, key: str):
        self.key = key


SKIPPED, WENT_BACK = Control(SKIP), Control(BACK)


def set_fact(document: dict[str, Any], fact: str, value: Any) -> None:
    """Put a fact into a nested fact document (``a.b.c`` → ``{"a": {"b": {"c": value}}}``)."""
    *sections, leaf = fact.split(".")
    node = document
    for section in sections:
        node = node.setdefault(section, {})
    node[leaf] = value


def drop_fact(document: dict[str, Any], fact: str) -> None:
    *sections, leaf = fact.split(".")
    node: Any = document
    for section in sections:
        node = node.get(section, {}) if isinstance(node, dict) else {}
    if isinstance(node, dict):
        node.pop(leaf, None)


def run(kb: KnowledgeBase, document: dict[str, Any], as_of: date | None, goals: tuple[str, ...],
        words: interview.Localizer, save: Path | None) -> dict[str, Any]:
    """Ask until the goals are decided or the user quits; returns the last step."""
    skipped: set[str] = set()
    asked: list[str] = []
    click.echo(f"{words.word('intro')}\n{words.word('aid')}\n"
               f"('{SKIP}' = {words.word('dont_know')}, '{BACK}' = {words.word('back')}, '{QUIT}' = quit)\n")
    while True:
        state = interview.step(kb, document, as_of, goals, skipped, words)
        _show(state)
        question = state["question"]
        if question is None:
            click.echo(words.word("done"))
            break
        try:
            answer = _ask(question, words)
        except Quit:
            break
        if answer is WENT_BACK:
            if asked:
                previous = asked.pop()
                drop_fact(document, previous)
                skipped.discard(previous)
            continue
        asked.append(question["fact"])
        if answer is SKIPPED:
            skipped.add(question["fact"])
        else:
            set_fact(document, question["fact"], answer)
        if save is not None:
            write(save, document)
    if save is not None:
        write(save, document)
    for reason in state["see_a_lawyer"] if state["done"] else []:
        click.echo(f"! {words.word('lawyer_heading')}: {reason['text']}")
    return state


def write(path: Path, document: dict[str, Any]) -> None:
    """The fact document, as YAML for .yaml/.yml files and JSON otherwise."""
    if path.suffix in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    else:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _show(state: dict[str, Any]) -> None:
    click.echo("")
    for entry in state["determinations"]:
        click.echo(f"  {entry['title']}: {entry['label']}")
    click.echo(f"  [{state['answered']} answered, ~{state['remaining']} to go]\n")


def _ask(question: dict[str, Any], words: interview.Localizer) -> Any:
    click.echo(question["question"])
    if question["help"]:
        click.echo(f"  ({question['help']})")
    kind = question["type"]
    if kind == "list" and question.get("items") == "record":
        return _ask_records(question, words)
    choices = question.get("choices")
    if choices:
        for number, choice in enumerate(choices, start=1):
            click.echo(f"  {number}. {choice['label']}")
    while True:
        text = click.prompt(">", prompt_suffix=" ").strip()
        if text == QUIT:
            raise Quit
        if text == SKIP:
            return SKIPPED
        if text == BACK:
            return WENT_BACK
        try:
            return _convert(kind, text, choices, question)
        except ValueError as problem:
            click.echo(f"  {problem}")


def _convert(kind: str, text: str, choices: list[dict[str, str]] | None, question: dict[str, Any]) -> Any:
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("y", "yes", "s", "si", "sí", "true"):
            return True
        if lowered in ("n", "no", "false"):
            return False
        raise ValueError("y or n")
    if kind == "date":
        return date.fromisoformat(text).isoformat()
    if kind in ("number", "integer", "money"):
        number = float(text) if kind != "integer" else int(text)
        return int(number) if float(number).is_integer() else number
    if kind == "enum" and choices:
        return _choice(text, choices)
    if kind == "list" and choices:
        return [_choice(part.strip(), choices) for part in text.split(",") if part.strip()]
    return text


def _choice(text: str, choices: list[dict[str, str]]) -> str:
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1]["value"]
    if text in [c["value"] for c in choices]:
        return text
    raise ValueError(f"a number from 1 to {len(choices)}")


def _ask_records(question: dict[str, Any], words: interview.Localizer) -> Any:
    count = click.prompt(">", type=click.IntRange(0, question.get("max_items", 100)), prompt_suffix=" ")
    records = []
    for index in range(count):
        record: dict[str, Any] = {}
        for field in question["fields"]:
            while True:
                text = click.prompt(f"  {index + 1}. {field['question']}", default="", show_default=False).strip()
                if text in ("", SKIP):
                    break
                try:
                    record[field["name"]] = _convert(field["type"], text, None, field)
                    break
                except ValueError as problem:
                    click.echo(f"  {problem}")
        records.append(record)
    return records
