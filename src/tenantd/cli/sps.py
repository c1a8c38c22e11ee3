"""``tenantd sp``: service principals (applications' and managed identities'), over Graph v1.0."""

from __future__ import annotations

from typing import Any

import typer

from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, joined, say, section, table
from .resolve import Resolver, role_label, sp_kind

app = typer.Typer(no_args_is_help=True, help="Service principals: the tenant's instances of applications.")

KEY_HELP = "Name, appId, object id or App ID URI."


def granted(client: Client, principal_path: str) -> list[tuple[str, str, str]]:
    """(resource name, role, assignment id) for each app role assigned to a principal."""
    assignments = client.graph_all(f"{principal_path}/appRoleAssignments")
    resources: dict[str, dict[str, Any]] = {}
    rows = []
    for a in assignments:
        resource = resources.get(a["resourceId"])
        if resource is None:
            resource = resources[a["resourceId"]] = client.graph_optional(f"/servicePrincipals/{a['resourceId']}") or {}
        role = next((r for r in resource.get("appRoles") or [] if r["id"] == a["appRoleId"]), None)
        rows.append((a.get("resourceDisplayName") or a["resourceId"],
                     role_label(role) if role else a["appRoleId"], a["id"]))
    return rows


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List service principals, managed identities and the built-in ones included."""
    with connect(ctx) as client:
        sps = client.graph_all("/servicePrincipals")
    if as_json:
        emit_json(sps)
        return
    table(["NAME", "TYPE", "APP ID", "OBJECT ID", "ENABLED"],
          [(sp["displayName"], sp_kind(sp), sp["appId"], sp["id"], "yes" if sp.get("accountEnabled", True) else "no")
           for sp in sps], empty="no service principals")


@app.command("show")
def show(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP), as_json: bool = JSON_OPTION) -> None:
    """Show a service principal, its app roles and the roles it has been granted."""
    with connect(ctx) as client:
        sp = Resolver(client).service_principal(key)
        rows = [] if as_json else granted(client, f"/servicePrincipals/{sp['id']}")
    if as_json:
        emit_json(sp)
        return
    say(f"[bold]{esc(sp['displayName'])}[/bold] ({sp_kind(sp)})")
    fields([("object id", sp["id"]), ("appId", sp["appId"]), ("enabled", "yes" if sp.get("accountEnabled") else "no"),
            ("assignment required", "yes" if sp.get("appRoleAssignmentRequired") else "no"),
            ("names", joined(sp.get("servicePrincipalNames") or []))])
    section("app roles")
    table(["VALUE", "ID", "FOR", "ENABLED"],
          [(r.get("value"), r["id"], joined(r.get("allowedMemberTypes") or []), "yes" if r.get("isEnabled") else "no")
           for r in sp.get("appRoles") or []], empty="  none")
    section("granted")
    table(["RESOURCE", "ROLE", "ASSIGNMENT ID"], rows, empty="  none")


@app.command("delete")
def delete(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """Delete a service principal and its app role assignments (the application stays)."""
    with connect(ctx) as client:
        sp = Resolver(client).service_principal(key)
        client.graph("DELETE", f"/servicePrincipals/{sp['id']}")
    say(f"deleted {sp_kind(sp)} {esc(sp['displayName'])} ({sp['id']})")


@app.command("update")
def update(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=KEY_HELP),
    required: bool = typer.Option(None, "--assignment-required/--no-assignment-required",
                                  help="Only principals with an assignment get tokens for it."),
    enabled: bool = typer.Option(None, "--enabled/--disabled", help="A disabled principal gets no tokens."),
) -> None:
    """Change whether assignment is required, or enable/disable a service principal."""
    changes: dict[str, Any] = {}
    if required is not None:
        changes["appRoleAssignmentRequired"] = required
    if enabled is not None:
        changes["accountEnabled"] = enabled
    if not changes:
        raise CliError("Nothing to change: give --assignment-required/--no-assignment-required or "
                       "--enabled/--disabled.")
    with connect(ctx) as client:
        sp = Resolver(client).service_principal(key)
        client.graph("PATCH", f"/servicePrincipals/{sp['id']}", json=changes)
    say(f"updated {esc(sp['displayName'])}: " + ", ".join(f"{k}={str(v).lower()}" for k, v in changes.items()))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="sp")
