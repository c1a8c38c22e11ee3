"""``tenantd identity``: managed identities (a client id and a service principal, no application), over
tenantd's admin API: Graph has no call that creates them."""

from __future__ import annotations

from typing import Any

import typer

from ..domain.ids import is_guid
from . import credentials
from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, section, table
from .resolve import managed_identity
from .sps import granted

app = typer.Typer(no_args_is_help=True, help="Managed identities (system- and user-assigned).")

KEY_HELP = "Name, object (principal) id, client id or resource id."


def _guid(value: str | None, option: str) -> str | None:
    if value is not None and not is_guid(value):
        raise CliError(f"{option} must be a GUID, not '{value}'.")
    return value.lower() if value else None


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The identity's name (its service principal's display name)."),
    host: str = typer.Option(None, "--host", help="System-assigned: the resource id of the host it belongs to."),
    user_assigned: bool = typer.Option(False, "--user-assigned", help="Create a user-assigned identity."),
    resource_id: str = typer.Option(None, "--resource-id", help="User-assigned: its own resource id."),
    object_id: str = typer.Option(None, "--id", help="Pin the service principal's object id."),
    client_id: str = typer.Option(None, "--client-id", help="Pin the client id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a system-assigned (--host RESOURCE_ID) or user-assigned (--user-assigned) identity."""
    if user_assigned == (host is not None):
        raise CliError("Give either --host RESOURCE_ID (system-assigned) or --user-assigned.")
    if resource_id is not None and not user_assigned:
        raise CliError("--resource-id is for --user-assigned identities; a system-assigned one takes --host.")
    body: dict[str, Any] = {"name": name, "type": "UserAssigned" if user_assigned else "SystemAssigned"}
    for field, value in (("host", host), ("resourceId", resource_id), ("id", _guid(object_id, "--id")),
                         ("clientId", _guid(client_id, "--client-id"))):
        if value is not None:
            body[field] = value
    with connect(ctx) as client:
        created = client.admin("POST", "/identities", json=body)
    if as_json:
        emit_json(created)
        return
    say(f"created {created['type']} managed identity [bold]{esc(created['name'])}[/bold]")
    _fields(created)


def _fields(identity: dict[str, Any]) -> None:
    fields([("principal id", identity["id"]), ("client id", identity["clientId"]),
            ("resource id", identity.get("resourceId")), ("hosts", ", ".join(identity.get("hosts") or []) or "none")])


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List managed identities."""
    with connect(ctx) as client:
        identities = client.admin("GET", "/identities")["value"]
    if as_json:
        emit_json(identities)
        return
    table(["NAME", "TYPE", "CLIENT ID", "PRINCIPAL ID", "RESOURCE ID"],
          [(i["name"], i["type"], i["clientId"], i["id"], i.get("resourceId")) for i in identities],
          empty="no managed identities")


@app.command("show")
def show(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP), as_json: bool = JSON_OPTION) -> None:
    """Show a managed identity and the roles it has been granted."""
    with connect(ctx) as client:
        identity = managed_identity(client, key)
        rows = [] if as_json else granted(client, f"/servicePrincipals/{identity['id']}")
    if as_json:
        emit_json(identity)
        return
    say(f"[bold]{esc(identity['name'])}[/bold] ({identity['type']} managed identity)")
    _fields(identity)
    section("granted")
    table(["RESOURCE", "ROLE", "ASSIGNMENT ID"], rows, empty="  none")


@app.command("delete")
def delete(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """Delete a managed identity, its service principal and its assignments."""
    with connect(ctx) as client:
        identity = managed_identity(client, key)
        client.admin("DELETE", f"/identities/{identity['id']}")
    say(f"deleted managed identity {esc(identity['name'])} ({identity['id']})")


@app.command("attach")
def attach(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=KEY_HELP),
    host: str = typer.Option(..., "--host", help="Resource id of the host (App Service site, VM ...)."),
) -> None:
    """Attach a user-assigned identity to a host, so processes of that host may use it."""
    with connect(ctx) as client:
        identity = managed_identity(client, key)
        client.admin("POST", f"/identities/{identity['id']}/hosts", json={"host": host})
    say(f"attached managed identity {esc(identity['name'])} to {esc(host)}")


@app.command("detach")
def detach(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=KEY_HELP),
    host: str = typer.Option(..., "--host", help="Resource id of the host."),
) -> None:
    """Detach a user-assigned identity from a host."""
    with connect(ctx) as client:
        identity = managed_identity(client, key)
        client.admin("DELETE", f"/identities/{identity['id']}/hosts", params={"host": host})
    say(f"detached managed identity {esc(identity['name'])} from {esc(host)}")


def register(root: typer.Typer) -> None:
    credentials.add_identity_commands(app)
    root.add_typer(app, name="identity")
