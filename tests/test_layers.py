"""The engine's layers import only downward, and no two modules import each other (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1] / "engine"
# A layer may import the layers of lower rank; layers of equal rank stay apart.
RANK = {"language": 0, "kb": 1, "report": 2, "tools": 2, "batch": 3, "impact": 3, "": 4}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ENGINE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """The engine modules a file imports (relative imports resolved; ``asylum_kb.x`` read as engine ``x``)."""
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    package = [part for part in package if part]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
            elif node.module and node.module.split(".")[0] == "asylum_kb":
                base = []
                node = ast.ImportFrom(module=".".join(node.module.split(".")[1:]) or None, names=node.names, level=1)
            else:
                continue
            target = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                candidate = ".".join([*target, alias.name])
                found.add(candidate if _exists(candidate) else ".".join(target))
    return {name for name in found if _exists(name)}


def _exists(name: str) -> bool:
    relative = Path(*name.split(".")) if name else Path()
    return (ENGINE / relative.with_suffix(".py")).is_file() if name else True


def layer(name: str) -> str:
    head = name.split(".")[0]
    return head if "." in name else ""


def engine_modules() -> dict[str, set[str]]:
    return {module_name(path): imported_modules(path) for path in ENGINE.rglob("*.py")}


def test_every_module_is_in_a_layer_and_imports_only_lower_layers() -> None:
    wrong = []
    for name, imports in engine_modules().items():
        assert layer(name) in RANK, f"{name} is in no layer"
        for target in imports:
            if layer(target) != layer(name) and not RANK[layer(target)] < RANK[layer(name)]:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_two_modules_import_each_other_through_any_chain() -> None:
    graph = engine_modules()
    state: dict[str, str] = {}
    circles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                circles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_check_sees_a_relative_import_across_layers() -> None:
    """Guard against a check that passes because it reads nothing."""
    imports = imported_modules(ENGINE / "kb" / "knowledge_base.py")
    assert {"kb.catalog", "language.codegen", "language.values"} <= imports
