"""Reading input files: unreadable folders and files are errors, special files are never opened, sizes are bounded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import asylum_kb
import pytest
from asylum_kb.kb import files
from asylum_kb.kb.files import FileProblem, find_files, read_text
from kbfiles import RULES, write_kb


def rules_errors(rules: Path) -> list[tuple[str, str]]:
    with pytest.raises(asylum_kb.RulesError) as info:
        asylum_kb.load(rules)
    return [(d.code, d.file or "") for d in info.value.diagnostics]


@pytest.fixture
def unlistable(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Folders whose listing fails as it does without read permission (chmod does not stop root)."""
    refused: set[str] = set()
    real = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if os.fspath(path) in refused:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    yield refused


def test_an_unreadable_sub_folder_is_an_error_not_a_smaller_knowledge_base(tmp_path: Path,
                                                                          unlistable: set[str]) -> None:
    rules = write_kb(tmp_path, **{"more/extra.yaml": RULES.replace("mini.", "more.")})
    unlistable.add(str(rules / "more"))
    assert rules_errors(rules) == [("E200", "rules/more")]


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() == 0, reason="permissions do not stop root")
def test_a_folder_without_read_permission_is_an_error(tmp_path: Path) -> None:
    rules = write_kb(tmp_path, **{"more/extra.yaml": RULES.replace("mini.", "more.")})
    (rules / "more").chmod(0)
    try:
        assert rules_errors(rules) == [("E200", "rules/more")]
    finally:
        (rules / "more").chmod(0o700)


def test_an_unreadable_rule_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)
    real = os.open

    def refuse(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.fspath(path).endswith("rules.yaml"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, flags, *args)

    monkeypatch.setattr(files.os, "open", refuse)
    assert rules_errors(rules) == [("E200", "rules/rules.yaml")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_rule_file_is_refused_without_blocking(tmp_path: Path) -> None:
    rules = write_kb(tmp_path)
    os.mkfifo(rules / "waiting.yaml")  # opening it for reading would block until a writer came
    assert rules_errors(rules) == [("E200", "rules/waiting.yaml")]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    rules = write_kb(tmp_path)
    (rules / "zero.yaml").symlink_to("/dev/zero")
    assert rules_errors(rules) == [("E200", "rules/zero.yaml")]


def test_an_oversized_rule_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    rules = write_kb(tmp_path, **{"huge.yaml": "# " + "x" * 2_100_000 + "\n"})
    assert rules_errors(rules) == [("E200", "rules/huge.yaml")]


def test_bytes_that_are_not_utf8_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(FileProblem) as info:
        read_text(path, 1000)
    assert info.value.position is not None
    assert (info.value.position.line, info.value.position.column) == (2, 7)


def test_find_files_skips_hidden_entries_and_lists_a_symlinked_loop_once(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text("x: 1\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.yaml").write_text("x: 1\n")
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    found, problems = find_files(tmp_path, ".yaml")
    assert found == [tmp_path / "a" / "one.yaml"] and problems == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_scenario_folders_are_read_with_the_same_care(tmp_path: Path, unlistable: set[str]) -> None:
    from asylum_kb.tools.scenarios import load_all

    (tmp_path / "cases").mkdir()
    os.mkfifo(tmp_path / "cases" / "waiting.yaml")
    with pytest.raises(asylum_kb.RulesError) as info:
        load_all([tmp_path / "cases"])
    assert [(d.code, Path(d.file or "").name) for d in info.value.diagnostics] == [("S100", "waiting.yaml")]
    (tmp_path / "cases" / "waiting.yaml").unlink()
    (tmp_path / "cases" / "hidden").mkdir()
    unlistable.add(str(tmp_path / "cases" / "hidden"))
    with pytest.raises(asylum_kb.RulesError) as info:
        load_all([tmp_path / "cases"])
    assert [(d.code, Path(d.file or "").name) for d in info.value.diagnostics] == [("S100", "hidden")]


def test_a_looping_or_dangling_link_is_reported_by_name(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    (tmp_path / "ok.yaml").write_text("x: 1\n")
    found, problems = find_files(tmp_path, ".yaml")
    assert found == [tmp_path / "ok.yaml"]
    assert sorted(p.path.name for p in problems) == ["gone", "loop"]
