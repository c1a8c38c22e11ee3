"""``tenantd apply`` / ``export`` / ``schema``: the declarative tenant file.

The file is read and validated here first, so its problems are reported with their lines before anything
is sent; the server validates the document again and applies it in one transaction.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
import yaml

from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, say


class _Dumper(yaml.SafeDumper):
    """Block style with list items indented under their key, as the tenant file is written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only, whatever mode a file already there had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def _write_or_print(text: str, output: Path | None, what: str) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}") from None
    say(f"wrote {what} to {esc(output)}", to_stderr=True)


def apply(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The tenant file (YAML)."),
    prune: bool = typer.Option(False, "--prune", help="Also delete what the file does not declare."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes without making them."),
    secrets_out: Path = typer.Option(None, "--secrets-out", help="Write generated secrets to this file (0600)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make the tenant what FILE declares; a second apply of the same file changes nothing."""
    from ..tenantfile import TenantFileError, load_file  # jsonschema is only needed here

    try:
        doc = load_file(file)
    except TenantFileError as exc:
        if len(exc.problems) == 1:
            raise CliError(exc.problems[0]) from None
        raise CliError(f"{file} has {len(exc.problems)} problems; nothing was applied:\n"
                       + "\n".join(f"  {p}" for p in exc.problems)) from None
    with connect(ctx) as client:
        result: dict[str, Any] = client.admin("POST", "/apply", json=doc.request_body(prune=prune, dry_run=dry_run))
    secrets = result.get("secrets") or []
    if secrets_out is not None and secrets:
        _write_private(secrets_out, json.dumps(secrets, indent=2) + "\n")
    if as_json:
        emit_json({**result, "secrets": [] if secrets_out else secrets})
        return
    changes = result.get("changes") or []
    for change in changes:
        say(f"  {esc(change)}")
    say(esc(result.get("summary") or (f"{len(changes)} changes" if changes else "no changes")))
    if secrets and secrets_out is not None:
        say(f"wrote {len(secrets)} generated secret(s) to {esc(secrets_out)} (mode 0600)")
    elif secrets:
        say("[yellow]Generated secrets (shown once: they will not be shown again):[/yellow]")
        for s in secrets:
            say(f"  {esc(s['application'])} ({s['appId']}) {esc(s.get('displayName') or s['keyId'])}: "
                f"{esc(s['secretText'])}")


def export(
    ctx: typer.Context,
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
    as_json: bool = typer.Option(False, "--json", help="Write the document as JSON instead of YAML."),
) -> None:
    """Write the tenant out as a tenant file (credential metadata only, never secrets)."""
    with connect(ctx) as client:
        document = client.admin("GET", "/export")
    if as_json:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                         width=120)
    _write_or_print(text, output, "the tenant file")


def schema(
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
) -> None:
    """Print the tenant file's JSON Schema (no server needed)."""
    from ..tenantfile import schema as tenant_schema

    _write_or_print(json.dumps(tenant_schema(), indent=2) + "\n", output, "the JSON Schema")


def register(root: typer.Typer) -> None:
    root.command("apply")(apply)
    root.command("export")(export)
    root.command("schema")(schema)
