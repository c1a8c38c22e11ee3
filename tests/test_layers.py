"""The layering of DESIGN.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tenantd"

# What each part of the package may import from tenantd (besides itself).
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "metrics": set(),
    "store": {"domain", "metrics"},
    "directory": {"domain", "store"},
    "tokens": {"domain", "store", "directory", "metrics"},
    "tenantfile": {"domain", "store", "directory", "bootstrap", "runtime"},
    "runtime": {"domain", "store", "directory", "tokens"},
    "bootstrap": {"domain", "runtime"},
    "tls": {"domain", "store", "tokens"},
    "http": {"domain", "store", "directory", "tokens", "runtime", "bootstrap", "tenantfile", "metrics"},
    "server": {"domain", "http", "runtime", "tls", "tokens", "supervisor", "metrics", "logformat"},
    "logformat": set(),
    "supervisor": set(),
    "cli": {"domain", "store", "runtime", "bootstrap", "server", "tls", "tenantfile", "cli"},
    "protect": set(),
    "testing": {"domain", "runtime", "bootstrap", "server", "tls", "store", "directory", "tokens", "tenantfile"},
    "__main__": {"cli"},
    "__init__": set(),
}
# Third-party libraries only one part may import.
EXCLUSIVE = {"starlette": {"http", "protect"}, "typer": {"cli"}, "rich": {"cli"}, "click": {"cli"},
             "prometheus_client": {"metrics"}}
JOSE = {"jwt", "joserfc", "jose", "authlib"}


def _part(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    package = ["tenantd", *path.relative_to(SRC).parent.parts]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                if node.module:
                    names.append(".".join([*base, node.module]))
                else:  # `from .. import x, y` imports submodules x and y
                    names += [".".join([*base, alias.name]) for alias in node.names]
            elif node.module:
                names.append(node.module)
    return names


def violations(part: str, names: list[str], jose_allowed: bool) -> list[str]:
    found = []
    for name in names:
        top = name.split(".")[0]
        if top == "tenantd":
            target = name.split(".")[1] if "." in name else "__init__"
            if target != part and target not in ALLOWED[part]:
                found.append(f"{part} must not import {name}")
        if top in EXCLUSIVE and part not in EXCLUSIVE[top]:
            found.append(f"only {sorted(EXCLUSIVE[top])} may import {top}")
        if top in JOSE and not jose_allowed:
            found.append(f"{part} imports JOSE ({name}); tokens/jwt.py is the server's only JOSE importer")
    return found


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_follow_the_layers(path: Path) -> None:
    part = _part(path)
    assert part in ALLOWED, f"{part} has no layer rule: add it to ALLOWED"
    jose_allowed = path == SRC / "tokens" / "jwt.py" or part == "protect"
    assert violations(part, _imports(path), jose_allowed) == []


def test_the_rules_catch_violations() -> None:
    assert violations("domain", ["tenantd.store.sql"], False)
    assert violations("store", ["starlette.requests"], False)
    assert violations("http", ["jwt"], False)
    assert violations("protect", ["tenantd.domain"], True)
    assert violations("http", ["tenantd.tokens.service", "starlette.routing"], False) == []


def _module_name(path: Path) -> str:
    parts = ["tenantd", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path) -> list[str]:
    """The modules ``path`` imports when it is loaded, names imported from a package included (they may be
    its submodules); imports inside functions run later and may go anywhere."""
    tree = ast.parse(path.read_text())
    package = ["tenantd", *path.relative_to(SRC).parent.parts]
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            if node.module:
                names += [".".join([*base, node.module, alias.name]) for alias in node.names]
                names.append(".".join([*base, node.module]))
            else:
                names += [".".join([*base, alias.name]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from where the walk met it)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_module_imports_itself_through_others() -> None:
    modules = {_module_name(path): path for path in MODULES}
    graph = {name: {target for target in _top_level_imports(path) if target in modules and target != name}
             for name, path in modules.items()}
    assert import_cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


MAX_MODULE_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    """One concern per module: a module that grows past this has a second concern to move out."""
    sizes = {str(path.relative_to(SRC)): len(path.read_text().splitlines()) for path in MODULES}
    long = {name: size for name, size in sizes.items() if size > MAX_MODULE_LINES}
    assert long == {}, f"split these by concern: {long}"
