"""Adversarial pass on the quick start, the compiled-rules cache's stat index and the record classes (issue 13).

Each finding was the compiled-rules cache answering from an entry built for another spelling of the same
folder, or missing a file the build depends on (the quick start and the click command both load through that
cache, so they agreed with each other and were both wrong). All are fixed and stay as regression tests; the
control tests pin what the findings depend on, so a regression test cannot pass for the wrong reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from asylum_kb.kb.cache import load_cached
from asylum_kb.kb.loader import load_directory
from kbfiles import write_kb

ROOT = Path(__file__).resolve().parents[1]
CASE = "person:\n  filed: 2025-09-01\n  arrived: 2025-01-01\n"
PACKAGE_PARTS = {"": "engine", "cli": "cli", "schemas": "schemas", "rules": "rules", "service": "service"}


def explained_files(args: list[str], cwd: Path, cache: str) -> list[str]:
    """The rule files a JSON ``--explain`` of the mini case names, through the click command."""
    program = "import sys; sys.argv[0] = 'asylum-kb'; from asylum_kb.cli.main import main; main()"
    env = {**os.environ, "ASYLUM_KB_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-c", program, "eval", "case.yaml", "--explain", "--format", "json",
                           "--as-of", "2025-09-01", *args], check=False, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return _files(json.loads(done.stdout))


def _files(result: object) -> list[str]:
    """Every value of a ``"file"`` key anywhere in a result, sorted and without repeats."""
    found: set[str] = set()
    pending = [result]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            found.update(value for key, value in item.items() if key == "file" and isinstance(value, str))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return sorted(found)


@pytest.fixture
def aliased(tmp_path: Path) -> Path:
    """A mini rules folder, a symbolic link ``alias`` to it, and the mini case, in ``tmp_path``."""
    write_kb(tmp_path)
    (tmp_path / "alias").symlink_to("rules")
    (tmp_path / "case.yaml").write_text(CASE)
    (tmp_path / "cache").mkdir(mode=0o700)
    return tmp_path


def test_without_the_cache_a_rules_folder_is_named_as_given(aliased: Path) -> None:
    assert explained_files(["--rules", "alias"], aliased, "") == ["alias/rules.yaml"]
    assert explained_files(["--rules", "rules"], aliased, "") == ["rules/rules.yaml"]


def test_a_symlinked_rules_folder_names_its_own_files_on_a_cached_run(aliased: Path) -> None:
    cache = str(aliased / "cache")
    assert explained_files(["--rules", "rules"], aliased, cache) == ["rules/rules.yaml"]  # fills the cache
    assert explained_files(["--rules", "alias"], aliased, cache) == ["alias/rules.yaml"]


def test_a_symlinked_rules_folder_loads_with_its_own_names_without_the_cache(aliased: Path) -> None:
    assert {rule.file for rule in load_directory(aliased / "alias").determinations} == {"alias/rules.yaml"}


def test_load_cached_through_a_symlink_matches_a_fresh_load(aliased: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", str(aliased / "cache"))
    load_cached(aliased / "rules")
    cached, fresh = load_cached(aliased / "alias"), load_directory(aliased / "alias")
    assert cached.catalog.file == fresh.catalog.file == "alias/facts.yaml"
    assert [rule.file for rule in cached.determinations] == [rule.file for rule in fresh.determinations]


def test_a_cached_knowledge_base_names_its_folder_from_the_current_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_kb(tmp_path / "project")
    (tmp_path / "project" / "rules" / "facts.es.po").write_text('msgid ""\nmsgstr ""\n')
    (tmp_path / "cache").mkdir(mode=0o700)
    monkeypatch.setenv("ASYLUM_KB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert Path(load_cached("project/rules").directory).resolve() == tmp_path / "project" / "rules"
    monkeypatch.chdir(tmp_path / "project")
    directory = Path(load_cached("rules").directory)
    assert (directory / "facts.es.po").is_file()
    assert directory.resolve() == tmp_path / "project" / "rules"


def copied_package(tmp_path: Path) -> Path:
    """The asylum_kb package laid out as an installed copy under ``tmp_path/site`` (an engine to edit)."""
    site = tmp_path / "site"
    for inside, source in PACKAGE_PARTS.items():
        shutil.copytree(ROOT / source, site / "asylum_kb" / inside, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return site


def load_with(site: Path, rules: Path, cache: str) -> str:
    """Load ``rules`` with the copied package; 'loaded' or the rules error codes it reports."""
    program = ("import asylum_kb, sys\n"
               "assert asylum_kb.__file__.startswith(sys.argv[1]), asylum_kb.__file__\n"
               "from asylum_kb.kb.cache import load_cached\n"
               "try:\n    load_cached(sys.argv[2])\nexcept asylum_kb.RulesError as error:\n"
               "    print(' '.join(sorted({d.code for d in error.diagnostics})))\nelse:\n    print('loaded')\n")
    env = {**os.environ, "PYTHONPATH": str(site), "ASYLUM_KB_CACHE_DIR": cache}
    done = subprocess.run([sys.executable, "-c", program, str(site), str(rules)], check=False, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def require_a_manifest_key(site: Path) -> None:
    """Edit the copied engine's manifest schema so that every manifest needs a key the mini one lacks."""
    schema_file = site / "asylum_kb" / "schemas" / "manifest.schema.json"
    schema = json.loads(schema_file.read_text())
    schema["properties"]["kb"]["required"].append("maintainer")
    schema_file.write_text(json.dumps(schema))


def test_an_edited_schema_rejects_the_rules_without_the_cache(tmp_path: Path) -> None:
    site, rules = copied_package(tmp_path), write_kb(tmp_path / "kb")
    assert load_with(site, rules, "") == "loaded"
    require_a_manifest_key(site)
    assert load_with(site, rules, "") != "loaded"


def test_an_edited_schema_is_not_answered_from_the_cache(tmp_path: Path) -> None:
    site, rules = copied_package(tmp_path), write_kb(tmp_path / "kb")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    assert load_with(site, rules, str(cache)) == "loaded"
    require_a_manifest_key(site)
    assert load_with(site, rules, str(cache)) != "loaded"
