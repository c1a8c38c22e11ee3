"""``tenantd role``: Entra's directory roles (Global Administrator ...) and who holds them, over Graph v1.0's
unified RBAC (``/roleManagement/directory``). A role is named by its display name (any case) or template id;
its holder as ``grant`` names principals. What was resolved is shown before anything is done with it."""

from __future__ import annotations

from typing import Any

import typer

from ..domain.ids import is_guid
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, table
from .resolve import Principal, Resolver, literal

app = typer.Typer(no_args_is_help=True, help="Directory roles (Global Administrator ...) and who holds them.")

DEFINITIONS = "/roleManagement/directory/roleDefinitions"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"
ROLE_HELP = "The role: its display name (e.g. 'Application Administrator') or template id."
PRINCIPAL_HELP = "Who holds it: a user (UPN, display name or id), an app or managed identity (name, appId or id)."
Obj = dict[str, Any]


def role_definition(client: Client, key: str) -> Obj:
    """A built-in role by display name (any case) or template id."""
    roles = client.graph_all(DEFINITIONS)
    match = [r for r in roles if (r["templateId"] == key.lower() if is_guid(key)
                                  else r["displayName"].casefold() == key.casefold())]
    if not match:
        known = ", ".join(r["displayName"] for r in roles)
        raise CliError(f"No directory role '{key}' (the roles: {known}).")
    return match[0]


def _resolve(client: Client, role_key: str, principal: str, *, to_stderr: bool = False) -> tuple[Obj, Principal]:
    role = role_definition(client, role_key)
    who = Resolver(client).role_holder(principal)
    fields([("role", f"{role['displayName']}  ({role['templateId']})"),
            ("principal", f"{who.name}  ({who.kind} {who.id})")], to_stderr=to_stderr)
    return role, who


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the directory roles and how many principals hold each."""
    with connect(ctx) as client:
        roles = client.graph_all(DEFINITIONS)
        held = client.graph_all(ASSIGNMENTS)
    if as_json:
        emit_json(roles)
        return
    counts = {r["templateId"]: sum(1 for a in held if a["roleDefinitionId"] == r["templateId"]) for r in roles}
    table(["NAME", "TEMPLATE ID", "MEMBERS"], [(r["displayName"], r["templateId"], counts[r["templateId"]])
                                               for r in roles], empty="no roles")


@app.command("assign")
def assign(ctx: typer.Context, role_key: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP),
           principal: str = typer.Argument(..., help=PRINCIPAL_HELP), as_json: bool = JSON_OPTION) -> None:
    """Give PRINCIPAL the directory role ROLE, tenant-wide."""
    with connect(ctx) as client:
        role, who = _resolve(client, role_key, principal, to_stderr=as_json)
        created = client.graph("POST", ASSIGNMENTS, json={
            "principalId": who.id, "roleDefinitionId": role["templateId"], "directoryScopeId": "/"})
    if as_json:
        emit_json(created)
        return
    say(f"assigned {esc(role['displayName'])} to {esc(who.name)} (assignment {esc(created['id'])})")


@app.command("unassign")
def unassign(ctx: typer.Context, role_key: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP),
             principal: str = typer.Argument(..., help=PRINCIPAL_HELP)) -> None:
    """Take the directory role ROLE from PRINCIPAL."""
    with connect(ctx) as client:
        role, who = _resolve(client, role_key, principal)
        found = client.graph_all(ASSIGNMENTS, params={
            "$filter": f"principalId eq {literal(who.id)} and roleDefinitionId eq {literal(role['templateId'])}"})
        if not found:
            raise CliError(f"{who.name} does not hold {role['displayName']}; nothing to unassign.")
        for assignment in found:
            client.graph("DELETE", f"{ASSIGNMENTS}/{assignment['id']}")
    say(f"unassigned {esc(role['displayName'])} from {esc(who.name)}")


@app.command("members")
def members(ctx: typer.Context, role_key: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP),
            as_json: bool = JSON_OPTION) -> None:
    """List who holds the directory role ROLE."""
    with connect(ctx) as client:
        role = role_definition(client, role_key)
        held = client.graph_all(ASSIGNMENTS, params={
            "$filter": f"roleDefinitionId eq {literal(role['templateId'])}", "$expand": "principal"})
    if as_json:
        emit_json(held)
        return
    rows = []
    for assignment in held:
        holder = assignment.get("principal") or {}
        name = holder.get("userPrincipalName") or holder.get("displayName") or assignment["principalId"]
        rows.append((name, _kind(holder), assignment["principalId"], assignment["id"]))
    table(["NAME", "TYPE", "OBJECT ID", "ASSIGNMENT ID"], rows, empty=f"nobody holds {role['displayName']}")


def _kind(holder: Obj) -> str:
    if holder.get("@odata.type") == "#microsoft.graph.user":
        return "user"
    return "managed identity" if holder.get("servicePrincipalType") == "ManagedIdentity" else "service principal"


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="role")
