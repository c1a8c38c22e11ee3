"""``tenantd domain``: the tenant's verified domains, over Graph v1.0."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import typer

from .client import connect
from .output import JSON_OPTION, emit_json, esc, say, table

app = typer.Typer(no_args_is_help=True, help="Verified domains (a user principal name's domain finds its tenant).")

NAME_HELP = "A domain name, e.g. contoso.test."


def _flags(domain: dict[str, Any]) -> str:
    return ", ".join(flag for flag, key in (("initial", "isInitial"), ("default", "isDefault")) if domain.get(key))


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the tenant's domains."""
    with connect(ctx) as client:
        domains = client.graph_all("/domains")
    if as_json:
        emit_json(domains)
        return
    table(["NAME", "VERIFIED", "FLAGS"], [(d["id"], "yes" if d.get("isVerified") else "no", _flags(d))
                                          for d in domains], empty="no domains")


@app.command("add")
def add(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP), as_json: bool = JSON_OPTION) -> None:
    """Add a domain, verified at once (tenantd has no DNS to check); another tenant's domain is refused."""
    with connect(ctx) as client:
        added = client.graph("POST", "/domains", json={"id": name})
    if as_json:
        emit_json(added)
        return
    say(f"added domain [bold]{esc(added['id'])}[/bold] (verified)")


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Remove a custom domain (not the initial one, nor one a user principal name still uses)."""
    with connect(ctx) as client:
        client.graph("DELETE", f"/domains/{quote(name, safe='')}")
    say(f"removed domain {esc(name.lower())}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="domain")
