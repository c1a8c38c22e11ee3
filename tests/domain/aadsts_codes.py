"""Every AADSTS code tenantd's source can emit, found by reading the source (not a list kept by hand): the
code argument of each ``OAuthError(...)``, an int literal or a module constant, and when it is a parameter
of the function that builds the error, that parameter's default and what the function's callers pass for it;
and the ``code=`` of a sign-in log entry (``signins.refused``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "tenantd"


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def _constants(trees: list[ast.Module]) -> dict[str, int]:
    """Module-level ``NAME = <int>`` of every module (tenantd's names for its codes are unique)."""
    found: dict[str, int] = {}
    for tree in trees:
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant) and type(node.value.value) is int):
                found[node.targets[0].id] = node.value.value
    return found


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _code_arg(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[position] if len(call.args) > position else None


def emitted_codes() -> dict[int, list[str]]:
    """AADSTS code -> where in the source it is emitted (``file:line``)."""
    modules = list(_modules())
    constants = _constants([tree for _, tree in modules])
    codes: dict[int, list[str]] = {}
    parameters: dict[str, tuple[str, int]] = {}   # builder function -> (its code parameter, its position)

    def add(value: ast.expr | None, where: str) -> bool:
        if isinstance(value, ast.Constant) and type(value.value) is int:
            codes.setdefault(value.value, []).append(where)
            return True
        name = _name(value) if value is not None else None
        if name in constants:
            codes.setdefault(constants[name], []).append(where)
            return True
        return False

    for path, tree in modules:
        rel = path.relative_to(SOURCE)
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            params = [a.arg for a in func.args.args]
            defaults = dict(zip(params[len(params) - len(func.args.defaults):], func.args.defaults, strict=True))
            for call in ast.walk(func):
                if not (isinstance(call, ast.Call) and _name(call.func) == "OAuthError"):
                    continue
                value = _code_arg(call, 2, "aadsts")
                where = f"{rel}:{call.lineno}"
                if add(value, where):
                    continue
                name = _name(value) if value is not None else None
                if name in params:   # the builder takes the code: its default, and what its callers pass
                    parameters[func.name] = (name, params.index(name))
                    if name in defaults:
                        add(defaults[name], where)
                    continue
                raise AssertionError(f"{where}: an OAuthError whose AADSTS code this test cannot read")
    for path, tree in modules:
        rel = path.relative_to(SOURCE)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            called = _name(call.func)
            if called in parameters:
                name, position = parameters[called]
                add(_code_arg(call, position, name), f"{rel}:{call.lineno}")
            elif called == "refused":
                add(_code_arg(call, 99, "code"), f"{rel}:{call.lineno}")
    return codes
