"""The compiled-knowledge-base cache: keyed on content, verified before use, never trusted from others."""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from asylum_kb.kb import cache
from kbfiles import write_kb

FACTS = {"person": {"filed": "2025-09-01", "arrived": "2025-01-01"}}


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", str(directory))
    return directory


def fee(rules: Path) -> Any:
    return cache.load_cached(rules).evaluate(FACTS, as_of=date(2025, 9, 1)).value("mini.fee")


def entry_of(rules: Path, directory: Path) -> Path:
    key = cache.fingerprint(rules)
    assert key is not None
    return directory / f"{key[:40]}.kb"


def plant(entry: Path, payload: bytes) -> None:
    entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    entry.write_bytes(cache._MAGIC + cache._checksum(payload) + b"\n" + payload)


def _raise_the_fee_keeping_size_and_modification_time(rules: Path) -> None:
    """Edit parameters.yaml (100 → 900) and set its modification time back: only its content and change time differ."""
    parameters = rules / "parameters.yaml"
    before = parameters.stat()
    parameters.write_text(parameters.read_text().replace("value: 100", "value: 900"))
    os.utime(parameters, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (parameters.stat().st_size, parameters.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return open, (str(self.marker), "w")


def test_an_edit_keeping_size_and_modification_time_is_not_served_from_the_cache(tmp_path: Path,
                                                                                cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    assert fee(rules) == 100
    _raise_the_fee_keeping_size_and_modification_time(rules)
    assert fee(rules) == 900


def test_the_cache_is_used_when_nothing_changed(tmp_path: Path, cache_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)
    assert fee(rules) == 100
    monkeypatch.setattr(cache, "_load", lambda root: pytest.fail("compiled again although the entry is current"))
    assert fee(rules) == 100


@pytest.mark.parametrize("where", [0, 30, 80, 200, -500, -1])
def test_a_corrupted_byte_means_a_rebuild_and_a_replaced_entry(tmp_path: Path, cache_dir: Path, where: int) -> None:
    rules = write_kb(tmp_path)
    fee(rules)
    entry = entry_of(rules, cache_dir)
    data = bytearray(entry.read_bytes())
    data[where] ^= 0x55
    entry.write_bytes(bytes(data))
    assert fee(rules) == 100
    assert cache._read_entry(entry) is not None  # rewritten, so later runs hit it again


def test_a_truncated_or_foreign_entry_is_rebuilt(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    entry = entry_of(rules, cache_dir)
    for content in (b"", cache._MAGIC[:10], b"not a cache entry at all\n" * 10):
        plant(entry, b"")
        entry.write_bytes(content)
        assert fee(rules) == 100


def test_an_empty_folder_in_an_entrys_place_is_replaced_by_the_entry(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    entry = entry_of(rules, cache_dir)
    entry.mkdir(parents=True)
    assert fee(rules) == 100
    assert entry.is_file() and cache._read_entry(entry) is not None


def test_a_full_folder_in_an_entrys_place_is_left_alone_and_the_rules_compiled(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    entry = entry_of(rules, cache_dir)
    (entry / "keep").mkdir(parents=True)
    assert fee(rules) == 100
    assert (entry / "keep").is_dir()


def test_a_planted_entry_writable_by_others_is_never_unpickled(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    marker = tmp_path / "code-ran"
    entry = entry_of(rules, cache_dir)
    plant(entry, pickle.dumps(_RunsCode(marker)))
    entry.chmod(0o666)
    assert fee(rules) == 100
    assert not marker.exists()


def test_an_entry_owned_by_another_user_is_never_unpickled(tmp_path: Path, cache_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)
    marker = tmp_path / "code-ran"
    entry = entry_of(rules, cache_dir)
    plant(entry, pickle.dumps(_RunsCode(marker)))
    entry.chmod(0o600)
    owner = entry.stat().st_uid
    monkeypatch.setattr(cache.os, "getuid", lambda: owner + 1)  # as if another user had written the folder
    assert fee(rules) == 100
    assert not marker.exists()


def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    cache_dir.mkdir()
    cache_dir.chmod(0o777)
    marker = tmp_path / "code-ran"
    entry = entry_of(rules, cache_dir)
    plant(entry, pickle.dumps(_RunsCode(marker)))
    entry.chmod(0o600)
    assert fee(rules) == 100
    assert not marker.exists()
    assert entry.read_bytes().endswith(pickle.dumps(_RunsCode(marker)))  # left alone, not replaced either


def test_a_symlinked_entry_is_not_followed(tmp_path: Path, cache_dir: Path) -> None:
    rules = write_kb(tmp_path)
    fee(rules)
    entry = entry_of(rules, cache_dir)
    elsewhere = tmp_path / "elsewhere.kb"
    entry.rename(elsewhere)
    entry.symlink_to(elsewhere)
    assert cache._read_entry(entry) is None
    assert fee(rules) == 100
    assert not entry.is_symlink()  # replaced by a real entry


def test_new_cache_folders_are_private(tmp_path: Path, cache_dir: Path) -> None:
    fee(write_kb(tmp_path))
    assert cache_dir.stat().st_mode & 0o077 == 0
    assert all(path.stat().st_mode & 0o077 == 0 for path in cache_dir.iterdir())


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as settled (as if edited long ago), so the stamp index is written at once."""
    monkeypatch.setattr(cache, "SETTLED_SECONDS", -3600)


def test_settled_unchanged_rules_are_found_by_their_stamps_without_hashing_them(
        tmp_path: Path, cache_dir: Path, settled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)
    assert fee(rules) == 100
    assert len(list(cache_dir.glob("*.index"))) == 1
    monkeypatch.setattr(cache, "fingerprint", lambda root: pytest.fail("hashed although the stamps are indexed"))
    monkeypatch.setattr(cache, "_load", lambda root: pytest.fail("compiled again although the entry is current"))
    assert fee(rules) == 100


def test_an_edit_keeping_size_and_modification_time_is_seen_through_the_index(
        tmp_path: Path, cache_dir: Path, settled: None) -> None:
    rules = write_kb(tmp_path)
    assert fee(rules) == 100
    _raise_the_fee_keeping_size_and_modification_time(rules)
    assert fee(rules) == 900


@pytest.mark.parametrize("change", ["edit", "add", "remove", "rename", "replace"])
def test_every_change_to_the_rule_files_changes_the_stamp(tmp_path: Path, change: str) -> None:
    rules = write_kb(tmp_path)
    parameters = rules / "parameters.yaml"
    before = cache.stamp(rules)
    if change == "edit":
        info = parameters.stat()
        parameters.write_text(parameters.read_text().replace("100", "900"))
        os.utime(parameters, ns=(info.st_atime_ns, info.st_mtime_ns))
    elif change == "add":
        (rules / "more.yaml").write_text("ruleset: more\n")
    elif change == "remove":
        parameters.unlink()
    elif change == "rename":
        parameters.rename(rules / "parameters2.yaml")
    else:  # an editor's save: a new file renamed over the old one
        copy = rules / ".parameters.yaml.swp"
        copy.write_text(parameters.read_text())
        copy.replace(parameters)
    assert before is not None and cache.stamp(rules) != before


def test_a_change_to_an_engine_source_file_changes_the_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path / "kb")
    engine = tmp_path / "engine"
    (engine / "language").mkdir(parents=True)
    (engine / "language" / "grammar.lark").write_text("start: NAME\n")
    (engine / "language" / "codegen.py").write_text("X = 1\n")
    monkeypatch.setattr(cache, "_ENGINE_DIR", engine)
    before = cache.stamp(rules)
    (engine / "language" / "codegen.py").write_text("X = 2\n")
    after_edit = cache.stamp(rules)
    (engine / "language" / "new.py").write_text("")
    assert before is not None and len({before, after_edit, cache.stamp(rules)}) == 3


def test_rules_edited_within_the_settling_time_get_no_index_and_are_hashed(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)  # written just now: a second edit could still keep its stamps
    assert fee(rules) == 100
    assert list(cache_dir.glob("*.index")) == []
    monkeypatch.setattr(cache, "_load", lambda root: pytest.fail("compiled again although the entry is current"))
    assert fee(rules) == 100  # found by its content key


def test_a_damaged_index_falls_back_to_the_content_key(tmp_path: Path, cache_dir: Path, settled: None) -> None:
    rules = write_kb(tmp_path)
    fee(rules)
    (index,) = cache_dir.glob("*.index")
    stamped = cache.stamp(rules)
    assert stamped is not None
    wrong_stamp, unknown_key, not_a_key = (cache._INDEX_MAGIC + key + b"\n" + stamp for key, stamp in (
        (b"0" * 64, stamped[0] + b"!"), (b"f" * 64, stamped[0]), (b"../" * 21 + b"x", stamped[0])))
    for content in (b"", wrong_stamp, unknown_key, not_a_key, b"garbage"):
        index.write_bytes(content)
        assert fee(rules) == 100


def test_a_rule_file_changed_while_it_is_compiled_leaves_no_entry_behind(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = write_kb(tmp_path)
    parameters = rules / "parameters.yaml"
    original = parameters.read_text()
    load = cache._load

    def edited_while_loading(root: Path) -> Any:
        parameters.write_text(original.replace("value: 100", "value: 900"))
        return load(root)

    monkeypatch.setattr(cache, "_load", edited_while_loading)
    assert fee(rules) == 900
    monkeypatch.setattr(cache, "_load", load)
    parameters.write_text(original)  # back to the content whose key was taken before the edit
    assert fee(rules) == 100
