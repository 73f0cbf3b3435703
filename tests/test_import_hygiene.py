"""The dependency arrow, checked in fresh interpreters: headless layers import no UI toolkit and no Azure SDK."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HEAVY = ("textual", "prompt_toolkit", "azure", "rich")


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level package names in sys.modules after running `code` in a new interpreter."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          env=env or dict(os.environ))
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ["vmss_tui.commands", "vmss_tui.backends", "vmss_tui.domain", "vmss_tui.config",
                                    "vmss_tui.cli", "vmss_tui.backends.emulator.backend",
                                    "vmss_tui.arm.compute"])
def test_headless_modules_import_no_ui_toolkit_and_no_azure(module: str) -> None:
    loaded = loaded_after(f"import {module}")
    assert not loaded & set(HEAVY), f"{module} pulled in {sorted(loaded & set(HEAVY))}"


def test_a_one_shot_list_on_the_emulator_imports_no_azure_textual_or_prompt_toolkit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    code = ("import io, contextlib\nfrom vmss_tui.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    assert main(['list', '-o', 'json', '--db', {str(tmp_path / 'db')!r}, '--speed', 'instant']) == 0")
    loaded = loaded_after(code, env)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert "yaml" not in loaded


def test_the_repl_is_the_package_that_brings_prompt_toolkit() -> None:
    assert "prompt_toolkit" in loaded_after("import vmss_tui.repl")
    assert "textual" not in loaded_after("import vmss_tui.repl")


# --- The import graph, read from the source -------------------------------------------------------
#
# What counts as an import edge (decided here, checked below):
# - every `import vmss_tui...` / `from ... import ...` statement that can run: at module level and inside
#   functions alike. A function-level ("lazy") import only postpones the dependency to the first call;
#   the two modules still depend on each other, so a lazy import that closes a loop is a cycle too.
# - not the ones under `if TYPE_CHECKING:`: they never run (annotations only).
# - `from pkg import name` is an edge to `pkg.name` when that is a module, else to `pkg` (its __init__).
#   Importing `a.b.c` is an edge to `a.b.c` only, not to the packages above it that Python loads first;
#   a module that imports its own package's facade (`from .. import x`) gets that edge explicitly.
#
# Two rules: no cycle between modules, and a room (a top-level package or module of vmss_tui) imports
# only the rooms its layer sits on: domain <- backends <- commands <- {repl, tui}, with the CLI on top.

PACKAGE = "vmss_tui"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

ROOM_MAY_IMPORT: dict[str, frozenset[str]] = {
    "vmss_tui": frozenset(),  # the package itself: the version string, nothing else
    "domain": frozenset({"vmss_tui"}),
    "arm": frozenset({"vmss_tui", "domain"}),  # Azure's JSON shapes: one codec per resource
    "config": frozenset({"vmss_tui", "domain"}),
    "compile_cache": frozenset({"vmss_tui"}),  # the start-up's compiled dataclass functions: stdlib only
    "backends": frozenset({"vmss_tui", "domain", "arm"}),
    "commands": frozenset({"vmss_tui", "domain", "arm", "backends"}),
    "armserver": frozenset({"vmss_tui", "domain", "arm", "backends"}),
    "admin": frozenset({"vmss_tui", "domain", "config", "backends", "commands"}),
    "repl": frozenset({"vmss_tui", "domain", "config", "backends", "commands"}),
    "tui": frozenset({"vmss_tui", "domain", "config", "backends", "commands", "compile_cache"}),
    "cli": frozenset({"vmss_tui", "domain", "config", "backends", "commands", "armserver", "admin", "repl",
                      "tui", "compile_cache"}),
    "__main__": frozenset({"cli"}),
}
"""Which rooms each room may import (lazily or not). A new room must be placed here first."""


@dataclass(frozen=True)
class ImportEdge:
    importer: str
    imported: str
    line: int
    lazy: bool
    """Inside a function: runs at the first call, not when the module loads."""

    def where(self) -> str:
        return f"{self.importer}:{self.line}{' (lazy)' if self.lazy else ''}"


def module_files(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__)."""
    found: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_edges(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> list[ImportEdge]:
    """Every import of one of the package's modules by another, as the source spells it."""
    modules = module_files(package_dir, package)
    edges: list[ImportEdge] = []
    for name, path in modules.items():
        own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]

        def visit(node: ast.AST, lazy: bool, name: str = name, own_package: str = own_package) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child.test):
                    for statement in child.orelse:
                        visit_statement(statement, lazy, name, own_package)
                    continue
                visit_statement(child, lazy, name, own_package)

        def visit_statement(child: ast.AST, lazy: bool, name: str, own_package: str) -> None:
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == package or alias.name.startswith(package + "."):
                        edges.append(ImportEdge(name, _nearest_module(alias.name, modules), child.lineno, lazy))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = own_package.split(".")[: len(own_package.split(".")) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target == package or target.startswith(package + "."):
                    for alias in child.names:
                        submodule = f"{target}.{alias.name}"
                        imported = submodule if submodule in modules else _nearest_module(target, modules)
                        edges.append(ImportEdge(name, imported, child.lineno, lazy))
            visit(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

        visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), False)
    return [edge for edge in edges if edge.imported != edge.importer]


def _nearest_module(dotted: str, modules: dict[str, Path]) -> str:
    while dotted not in modules and "." in dotted:
        dotted = dotted.rpartition(".")[0]
    return dotted


def import_cycles(edges: list[ImportEdge]) -> list[list[ImportEdge]]:
    """One cycle (as the edges that close it) per strongly connected group of modules."""
    graph: dict[str, dict[str, ImportEdge]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, {}).setdefault(edge.imported, edge)
        graph.setdefault(edge.imported, {})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's algorithm; the graph is small enough to recurse
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph[module]:
            if imported not in index:
                connect(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    cycles = []
    for group in groups:
        members = set(group)
        path, seen = [group[0]], {group[0]: 0}
        while True:  # walk inside the group until a module repeats: that loop is a cycle
            following = next(m for m in sorted(graph[path[-1]]) if m in members)
            if following in seen:
                loop = path[seen[following]:] + [following]
                break
            seen[following] = len(path)
            path.append(following)
        cycles.append([graph[a][b] for a, b in zip(loop, loop[1:])])
    return cycles


def describe_cycle(cycle: list[ImportEdge]) -> str:
    chain = " -> ".join([cycle[0].importer] + [edge.imported for edge in cycle])
    return f"{chain}  [{', '.join(edge.where() for edge in cycle)}]"


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_graph_reader_sees_lazy_imports_and_cycles_and_skips_type_checking(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .a import thing\n")
    (package / "sub" / "a.py").write_text("from . import b\nthing = 1\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.top import T\n"
        "def later():\n    from ..sub.a import thing\n    return thing\n")
    (package / "top.py").write_text("import pkg.sub.b\nT = 1\n")
    edges = import_edges(package, "pkg")
    pairs = {(edge.importer, edge.imported, edge.lazy) for edge in edges}
    assert pairs == {("pkg.sub", "pkg.sub.a", False), ("pkg.sub.a", "pkg.sub.b", False),
                     ("pkg.sub.b", "pkg.sub.a", True), ("pkg.top", "pkg.sub.b", False)}
    (cycle,) = import_cycles(edges)
    assert describe_cycle(cycle) == "pkg.sub.a -> pkg.sub.b -> pkg.sub.a  [pkg.sub.a:1, pkg.sub.b:5 (lazy)]"


def test_the_import_graph_of_vmss_tui_has_no_cycles() -> None:
    edges = import_edges()
    assert ImportEdge("vmss_tui.__main__", "vmss_tui.cli", 3, False) in edges  # the reader reads this tree
    cycles = import_cycles(edges)
    assert not cycles, "import cycles (break each by moving the shared piece down a layer or passing a " \
                       "callable):\n" + "\n".join(describe_cycle(cycle) for cycle in cycles)


def test_every_room_imports_only_the_layers_below_it() -> None:
    rooms = {room_of(module) for module in module_files(PACKAGE_DIR, PACKAGE)}
    assert rooms <= set(ROOM_MAY_IMPORT), f"place these rooms in ROOM_MAY_IMPORT: {sorted(rooms - set(ROOM_MAY_IMPORT))}"
    upward = sorted(f"{edge.where()} imports {edge.imported}" for edge in import_edges()
                    if room_of(edge.imported) != room_of(edge.importer)
                    and room_of(edge.imported) not in ROOM_MAY_IMPORT[room_of(edge.importer)])
    assert not upward, "imports against the layers (domain <- backends <- commands <- {repl, tui}):\n" + \
        "\n".join(upward)


def test_the_rooms_layers_themselves_have_no_loop() -> None:
    edges = [ImportEdge(room, other, 0, False) for room, others in ROOM_MAY_IMPORT.items()
             for other in others if other != room]
    assert not import_cycles(edges)
