"""``tenantd grant`` / ``revoke``: app role assignments with the three ids found by name, over Graph v1.0.

Graph's call is ``POST /servicePrincipals/{resource}/appRoleAssignedTo {principalId, resourceId,
appRoleId}``; what people know are names. Resolution is printed before acting so a wrong match shows.
"""

from __future__ import annotations

from typing import Any

import typer

from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, pretty_json, say
from .resolve import Principal, Resolver, role, role_label, sp_kind

PRINCIPAL_HELP = "Who gets the role: app or managed identity name, group name, appId, object id or UPN."
RESOURCE_HELP = "The API: its name, appId, App ID URI or service principal object id."
ROLE_HELP = "Role value or id (00000000-0000-0000-0000-000000000000 for default access)."


def _resolve(client: Client, principal: str, resource: str, role_key: str,
             to_stderr: bool) -> tuple[Principal, dict[str, Any], dict[str, Any]]:
    """The principal, resource and role, shown before anything is done with them."""
    resolver = Resolver(client)
    who = resolver.principal(principal)
    api = resolver.service_principal(resource)
    app_role = role(api, role_key)
    fields([("principal", f"{who.name}  ({who.kind} {who.id})"),
            ("resource", f"{api['displayName']}  ({sp_kind(api)} {api['id']})"),
            ("role", f"{role_label(app_role)}  ({app_role['id']})")], to_stderr=to_stderr)
    return who, api, app_role


def grant(
    ctx: typer.Context,
    principal: str = typer.Argument(..., help=PRINCIPAL_HELP),
    resource: str = typer.Argument(..., help=RESOURCE_HELP),
    role_key: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the Graph request instead of sending it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Assign an app role of RESOURCE to PRINCIPAL."""
    with connect(ctx) as client:
        who, api, app_role = _resolve(client, principal, resource, role_key, to_stderr=as_json)
        path = f"/servicePrincipals/{api['id']}/appRoleAssignedTo"
        body = {"principalId": who.id, "resourceId": api["id"], "appRoleId": app_role["id"]}
        if dry_run:
            request = {"method": "POST", "url": f"{client.conn.url}/v1.0{path}", "body": body}
            if as_json:
                emit_json(request)
            else:
                say(f"dry run, nothing sent. The request would be:\nPOST {esc(request['url'])}\n"
                    f"{esc(pretty_json(body))}")
            return
        created = client.graph("POST", path, json=body)
    if as_json:
        emit_json(created)
        return
    say(f"granted {esc(role_label(app_role))} on {esc(api['displayName'])} to {esc(who.name)} "
        f"(assignment {created['id']})")


def revoke(
    ctx: typer.Context,
    principal: str = typer.Argument(..., help=PRINCIPAL_HELP),
    resource: str = typer.Argument(..., help=RESOURCE_HELP),
    role_key: str = typer.Argument(..., metavar="ROLE", help=ROLE_HELP),
) -> None:
    """Remove PRINCIPAL's assignment of an app role of RESOURCE."""
    with connect(ctx) as client:
        who, api, app_role = _resolve(client, principal, resource, role_key, to_stderr=False)
        path = f"/servicePrincipals/{api['id']}/appRoleAssignedTo"
        found = [a for a in client.graph_all(path)
                 if a["principalId"] == who.id and a["appRoleId"].lower() == app_role["id"].lower()]
        if not found:
            raise CliError(f"{who.name} has no assignment of {role_label(app_role)} on {api['displayName']}; "
                           "nothing to revoke.")
        for assignment in found:
            client.graph("DELETE", f"{path}/{assignment['id']}")
    say(f"revoked {esc(role_label(app_role))} on {esc(api['displayName'])} from {esc(who.name)}")


def register(root: typer.Typer) -> None:
    root.command("grant")(grant)
    root.command("revoke")(revoke)
