"""Rendering: short human output through rich, or plain JSON on stdout for scripts (``--json``)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from ..domain.text import printable
from .errors import CliError

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a human summary.")

# Piped output is not wrapped or folded at 80 columns: lines stay whole for grep and cut.
_out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 10_000)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def console(to_stderr: bool = False) -> Console:
    return _err if to_stderr else _out


def say(text: str, *, to_stderr: bool = False) -> None:
    """A line for people; rich markup allowed, and anything from the directory must go through ``esc``."""
    console(to_stderr).print(text)


def esc(value: object) -> str:
    """Text from the server as literal text in rich markup (a role named ``[x]`` must not become a style),
    its control characters but line breaks replaced (a client id holding escape sequences must not redraw
    the terminal)."""
    return "\n".join(printable(line) for line in str(value).split("\n")).replace("[", "\\[")


def emit_json(data: Any) -> None:
    """JSON for scripts: plain stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def pretty_json(data: Any, indent: int = 0) -> str:
    """Indented JSON that keeps lists of plain values on one line (``"roles": ["Things.Read.All"]``)."""
    pad = "  " * (indent + 1)
    if isinstance(data, dict) and data:
        body = ",\n".join(f"{pad}{json.dumps(k, ensure_ascii=False)}: {pretty_json(v, indent + 1)}"
                          for k, v in data.items())
        return "{\n" + body + "\n" + "  " * indent + "}"
    if isinstance(data, list) and any(isinstance(v, dict | list) for v in data):
        body = ",\n".join(pad + pretty_json(v, indent + 1) for v in data)
        return "[\n" + body + "\n" + "  " * indent + "]"
    return json.dumps(data, ensure_ascii=False)


def table(columns: Sequence[str], rows: Iterable[Sequence[object]], *, empty: str = "none") -> None:
    """A borderless table, or ``empty`` when there are no rows."""
    rows = list(rows)
    if not rows:
        say(f"[dim]{esc(empty)}[/dim]")
        return
    grid = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else esc(printable(str(cell))) for cell in row))   # a cell is one line
    if _out.is_terminal:
        _out.print(grid)
        return
    with _out.capture() as captured:
        _out.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def fields(pairs: Iterable[tuple[str, object]], *, to_stderr: bool = False) -> None:
    """``label  value`` lines, labels aligned; ``None`` values are left out."""
    shown = [(label, value) for label, value in pairs if value is not None]
    width = max((len(label) for label, _ in shown), default=0)
    for label, value in shown:
        say(f"  [bold]{label.ljust(width)}[/bold]  {esc(value)}", to_stderr=to_stderr)


def section(title: str) -> None:
    say(f"[bold]{esc(title)}[/bold]")


def joined(values: Iterable[object]) -> str:
    return ", ".join(str(v) for v in values) or "-"


def variables_text(variables: dict[str, str], fmt: str, unset: Iterable[str] = ()) -> str:
    """Environment variables as ``sh`` (export lines, after ``unset`` ones), ``dotenv`` or ``json``."""
    if fmt == "json":
        return json.dumps({"set": variables, "unset": list(unset)}, indent=2)
    if fmt == "dotenv":
        return "\n".join(f"{k}={v}" for k, v in variables.items())
    if fmt == "sh":
        return "\n".join([f"unset {v}" for v in unset] + [f"export {k}={shlex.quote(v)}" for k, v in variables.items()])
    raise CliError(f"Unknown format '{fmt}': choose sh, dotenv or json.")
