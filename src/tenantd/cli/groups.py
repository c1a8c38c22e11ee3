"""``tenantd group``: groups and their members, over Graph v1.0."""

from __future__ import annotations

from typing import Any

import typer

from .client import connect
from .output import JSON_OPTION, emit_json, esc, fields, say, section, table
from .resolve import Resolver
from .sps import granted

app = typer.Typer(no_args_is_help=True, help="Groups and their members.")

KEY_HELP = "Display name or object id."
MEMBER_HELP = "A user (UPN or id), service principal, managed identity or group (name or id)."
ODATA_KINDS = {"#microsoft.graph.user": "user", "#microsoft.graph.group": "group",
               "#microsoft.graph.servicePrincipal": "service principal"}


def _kind(member: dict[str, Any]) -> str:
    if member.get("servicePrincipalType") == "ManagedIdentity":
        return "managed identity"
    return ODATA_KINDS.get(str(member.get("@odata.type")), str(member.get("@odata.type", "")).rsplit(".", 1)[-1])


def _name(member: dict[str, Any]) -> str:
    return str(member.get("userPrincipalName") or member.get("displayName") or "")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Display name."),
    description: str = typer.Option(None, "--description"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a security group."""
    nickname = "".join(c for c in name if c.isalnum())[:64] or "group"
    body: dict[str, Any] = {"displayName": name, "mailEnabled": False, "mailNickname": nickname,
                            "securityEnabled": True}
    if description:
        body["description"] = description
    with connect(ctx) as client:
        created = client.graph("POST", "/groups", json=body)
    if as_json:
        emit_json(created)
        return
    say(f"created group [bold]{esc(created['displayName'])}[/bold] ({created['id']})")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List groups."""
    with connect(ctx) as client:
        groups = client.graph_all("/groups")
    if as_json:
        emit_json(groups)
        return
    table(["NAME", "OBJECT ID", "DESCRIPTION"], [(g["displayName"], g["id"], g.get("description")) for g in groups],
          empty="no groups")


@app.command("show")
def show(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP), as_json: bool = JSON_OPTION) -> None:
    """Show a group, its members and the app roles assigned to it."""
    with connect(ctx) as client:
        group = Resolver(client).group(key)
        members = [] if as_json else client.graph_all(f"/groups/{group['id']}/members")
        rows = [] if as_json else granted(client, f"/groups/{group['id']}")
    if as_json:
        emit_json(group)
        return
    say(f"[bold]{esc(group['displayName'])}[/bold]")
    fields([("object id", group["id"]), ("description", group.get("description"))])
    section("members")
    table(["NAME", "TYPE", "OBJECT ID"], [(_name(m), _kind(m), m["id"]) for m in members], empty="  none")
    section("granted (reaches direct user members)")
    table(["RESOURCE", "ROLE", "ASSIGNMENT ID"], rows, empty="  none")


@app.command("delete")
def delete(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """Delete a group and its assignments."""
    with connect(ctx) as client:
        group = Resolver(client).group(key)
        client.graph("DELETE", f"/groups/{group['id']}")
    say(f"deleted group {esc(group['displayName'])} ({group['id']})")


@app.command("add-member")
def add_member(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP),
               member: str = typer.Argument(..., help=MEMBER_HELP)) -> None:
    """Add a member to a group."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        group = resolver.group(key)
        found = resolver.principal(member)
        client.graph("POST", f"/groups/{group['id']}/members/$ref",
                     json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{found.id}"})
    say(f"added {esc(found.describe())} to {esc(group['displayName'])}")


@app.command("remove-member")
def remove_member(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP),
                  member: str = typer.Argument(..., help=MEMBER_HELP)) -> None:
    """Remove a member from a group."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        group = resolver.group(key)
        found = resolver.principal(member)
        client.graph("DELETE", f"/groups/{group['id']}/members/{found.id}/$ref")
    say(f"removed {esc(found.describe())} from {esc(group['displayName'])}")


@app.command("members")
def members(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP), as_json: bool = JSON_OPTION) -> None:
    """List a group's direct members."""
    with connect(ctx) as client:
        group = Resolver(client).group(key)
        found = client.graph_all(f"/groups/{group['id']}/members")
    if as_json:
        emit_json(found)
        return
    table(["NAME", "TYPE", "OBJECT ID"], [(_name(m), _kind(m), m["id"]) for m in found], empty="no members")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="group")
