"""``tenantd apply`` / ``export`` / ``schema``: the declarative tenant file.

The file is read and validated here first, so its problems are reported with their lines before anything
is sent; the server validates the document again and applies it in one transaction. Export reads the
server's stream of entries and writes each as it arrives (text identical to dumping the whole document).
Both show their progress on a terminal (cli/progress.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import typer

from ..domain import builtins
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, say
from .progress import counting, working

SECTIONS = ("applications", "managedIdentities", "users", "groups", "assignments", "consents")
LONG_REQUEST = httpx.Timeout(30.0, read=900.0)   # a large apply or export may take minutes


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

    with working(f"checking {file.name}", quiet=as_json) as step:
        try:
            doc = load_file(file)
        except TenantFileError as exc:
            if len(exc.problems) == 1:
                raise CliError(exc.problems[0]) from None
            raise CliError(f"{file} has {len(exc.problems)} problems; nothing was applied:\n"
                           + "\n".join(f"  {p}" for p in exc.problems)) from None
        step(f"{'planning' if dry_run else 'applying'} {file.name}")
        with connect(ctx) as client:
            client.http.timeout = LONG_REQUEST
            result: dict[str, Any] = client.admin("POST", "/apply",
                                                  json=doc.request_body(prune=prune, dry_run=dry_run))
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
    writer = _JsonWriter() if as_json else _YamlWriter()
    with connect(ctx) as client, _destination(output) as out:
        entries = _export_stream(client)
        estimate = next(entries)[1]
        # Not while the document itself is printed on the terminal: the bar would be drawn between its lines.
        with counting("exporting", quiet=as_json or (output is None and sys.stdout.isatty())) as progress:
            done = 0
            for done, (section, value) in enumerate(entries, 1):
                out.write(writer.write(section, value))
                progress(done, max(estimate, done))
            progress(done, done)   # the server's total is an estimate: the bar ends at the real count
        out.write(writer.close())
    if output is not None:
        say(f"wrote the tenant file to {esc(output)}", to_stderr=True)


def _export_stream(client: Client) -> Iterator[tuple[str, Any]]:
    """("total", n), ("tenant", {...}), then (section, entry) in document order, as the server sends them."""
    headers = {"Authorization": f"Bearer {client.token(builtins.TENANTD_RESOURCE)}", "Accept": "application/x-ndjson"}
    try:
        with client.http.stream("GET", "/_tenantd/export", headers=headers, timeout=LONG_REQUEST) as response:
            if response.status_code != 200:
                response.read()
                raise CliError(f"Export failed: {_message(response)} (HTTP {response.status_code})")
            for line in response.iter_lines():
                if line:
                    section, value = json.loads(line)
                    yield section, value
    except httpx.HTTPError as exc:
        raise CliError(f"Request to tenantd failed: {exc}") from None


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except ValueError:
        return response.reason_phrase
    return str(error.get("message") if isinstance(error, dict) else error or response.reason_phrase)


@contextlib.contextmanager
def _destination(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    try:
        with output.open("w", encoding="utf-8") as handle:
            yield handle
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {exc.strerror or exc}") from None


class _YamlWriter:
    """The document's YAML, one entry at a time: each entry dumped as a one-item section, its key line cut."""

    def __init__(self) -> None:
        self.pending = list(SECTIONS)
        self.current: str | None = None

    @staticmethod
    def dump(data: dict[str, Any]) -> str:
        from ..tenantfile.export import as_yaml  # the tenant file package is only needed here
        return as_yaml(data)

    def write(self, section: str, value: Any) -> str:
        if section == "tenant":
            return self.dump({"tenant": value})
        text = ""
        if section != self.current:
            while self.pending[0] != section:
                text += self.dump({self.pending.pop(0): []})
            self.pending.pop(0)
            self.current = section
            text += f"{section}:\n"
        return text + self.dump({section: [value]}).split("\n", 1)[1]

    def close(self) -> str:
        return "".join(self.dump({name: []}) for name in self.pending)


class _JsonWriter:
    """``json.dumps(document, indent=2)`` written one entry at a time."""

    def __init__(self) -> None:
        self.pending = list(SECTIONS)
        self.current: str | None = None

    @staticmethod
    def dump(value: Any, depth: int) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)

    def write(self, section: str, value: Any) -> str:
        if section == "tenant":
            return '{\n  "tenant": ' + self.dump(value, 1)
        if section == self.current:
            return ",\n    " + self.dump(value, 2)
        text = "\n  ]" if self.current else ""
        while self.pending[0] != section:
            text += f',\n  "{self.pending.pop(0)}": []'
        self.pending.pop(0)
        self.current = section
        return text + f',\n  "{section}": [\n    ' + self.dump(value, 2)

    def close(self) -> str:
        text = "\n  ]" if self.current else ""
        return text + "".join(f',\n  "{name}": []' for name in self.pending) + "\n}\n"


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
