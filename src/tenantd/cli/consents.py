"""``tenantd consent``: delegated permission grants (Graph's oAuth2PermissionGrant) with the client, the resource
and the user found by name, over Graph v1.0.

``tenantd consent CLIENT RESOURCE SCOPES... [--user USER]`` grants scopes as an admin does for every user
(AllPrincipals), or as USER does for herself (Principal); the scopes join those the grant already holds.
``consent list`` shows grants, ``consent revoke`` takes some scopes (or the whole grant) away. Names resolve
as ``tenantd grant``'s do, and the resolution is printed before anything is done with it.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, table
from .resolve import Resolver, literal, sp_kind

CLIENT_HELP = "The client: its name, appId, App ID URI or service principal object id."
RESOURCE_HELP = "The API: its name, appId, App ID URI or service principal object id."
USER_HELP = "The user consenting for herself (UPN or object id); without it, consent for every user."
GRANTS = "/oauth2PermissionGrants"
Obj = dict[str, Any]


class _GrantByDefault(TyperGroup):
    """``tenantd consent CLIENT ...`` is ``tenantd consent grant CLIENT ...``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["grant", *args]
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=_GrantByDefault, no_args_is_help=True, help=(
    "Delegated permission grants: what a client may do on an API for every user, or for one. "
    "`tenantd consent CLIENT RESOURCE SCOPES... [--user USER]` grants (the `grant` command)."))


def _resolve(client: Client, client_key: str, resource_key: str, user_key: str | None,
             to_stderr: bool) -> tuple[Obj, Obj, Obj | None]:
    resolver = Resolver(client)
    who, api = resolver.service_principal(client_key), resolver.service_principal(resource_key)
    user = resolver.user(user_key) if user_key is not None else None
    fields([("client", f"{who['displayName']}  ({sp_kind(who)} {who['id']})"),
            ("resource", f"{api['displayName']}  ({sp_kind(api)} {api['id']})"),
            ("for", f"{user['userPrincipalName']}  (user {user['id']})" if user else "every user (admin consent)")],
           to_stderr=to_stderr)
    return who, api, user


def _existing(client: Client, who: Obj, api: Obj, user: Obj | None) -> Obj | None:
    """The one grant of ``who`` on ``api`` for ``user`` (or every user), if there is one."""
    principal = literal(user["id"]) if user else "null"
    found = client.graph_all(GRANTS, params={"$filter": f"clientId eq {literal(who['id'])} and resourceId eq "
                                                        f"{literal(api['id'])} and principalId eq {principal}"})
    return found[0] if found else None


def _for(user: Obj | None) -> str:
    return esc(user["userPrincipalName"]) if user else "every user"


@app.command("grant")
def grant(
    ctx: typer.Context,
    client_key: str = typer.Argument(..., metavar="CLIENT", help=CLIENT_HELP),
    resource_key: str = typer.Argument(..., metavar="RESOURCE", help=RESOURCE_HELP),
    scopes: list[str] = typer.Argument(..., metavar="SCOPE", help="Scope values the API offers."),
    user_key: str = typer.Option(None, "--user", help=USER_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Let CLIENT use RESOURCE's SCOPES for every user, or for --user (added to what it already holds)."""
    with connect(ctx) as client:
        who, api, user = _resolve(client, client_key, resource_key, user_key, to_stderr=as_json)
        found = _existing(client, who, api, user)
        if found is None:
            result = client.graph("POST", GRANTS, json={
                "clientId": who["id"], "resourceId": api["id"], "scope": " ".join(scopes),
                "consentType": "Principal" if user else "AllPrincipals", "principalId": user["id"] if user else None})
        else:
            held = found["scope"].split()
            wanted = held + [s for s in scopes if s.casefold() not in {h.casefold() for h in held}]
            client.graph("PATCH", f"{GRANTS}/{found['id']}", json={"scope": " ".join(wanted)})
            result = client.graph("GET", f"{GRANTS}/{found['id']}")
    if as_json:
        emit_json(result)
        return
    say(f"{esc(who['displayName'])} holds {esc(result['scope'] or 'nothing')} on {esc(api['displayName'])} for "
        f"{_for(user)} (grant {esc(result['id'])})")


@app.command("list")
def list_(
    ctx: typer.Context,
    client_key: str = typer.Option(None, "--client", help=CLIENT_HELP),
    resource_key: str = typer.Option(None, "--resource", help=RESOURCE_HELP),
    user_key: str = typer.Option(None, "--user", help="Only this user's own grants (UPN or object id)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List delegated permission grants (of one client, on one API, of one user)."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        terms = [f"{prop} eq {literal(found['id'])}" for prop, found in (
            ("clientId", resolver.service_principal(client_key) if client_key else None),
            ("resourceId", resolver.service_principal(resource_key) if resource_key else None),
            ("principalId", resolver.user(user_key) if user_key else None)) if found is not None]
        grants = client.graph_all(GRANTS, params={"$filter": " and ".join(terms)} if terms else None)
        if as_json:
            emit_json(grants)
            return
        names = _Names(client)
        rows = [(names.sp(g["clientId"]), names.sp(g["resourceId"]),
                 names.user(g["principalId"]) if g["principalId"] else "every user", g["scope"], g["id"])
                for g in grants]
    table(["CLIENT", "RESOURCE", "FOR", "SCOPES", "ID"], rows, empty="no delegated permission grants")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    client_key: str = typer.Argument(..., metavar="CLIENT", help=CLIENT_HELP),
    resource_key: str = typer.Argument(..., metavar="RESOURCE", help=RESOURCE_HELP),
    scopes: list[str] = typer.Argument(None, metavar="SCOPE",
                                       help="Scopes to take away; without any, the whole grant goes."),
    user_key: str = typer.Option(None, "--user", help="The user whose own grant it is (UPN or object id)."),
) -> None:
    """Take SCOPES (or every scope) of RESOURCE away from CLIENT, for every user or for --user."""
    with connect(ctx) as client:
        who, api, user = _resolve(client, client_key, resource_key, user_key, to_stderr=False)
        found = _existing(client, who, api, user)
        if found is None:
            raise CliError(f"{who['displayName']} holds no grant on {api['displayName']} for "
                           f"{user['userPrincipalName'] if user else 'every user'}; nothing to revoke.")
        held = found["scope"].split()
        gone = {s.casefold() for s in scopes or ()}
        missing = [s for s in scopes or () if s.casefold() not in {h.casefold() for h in held}]
        if missing:
            raise CliError(f"The grant does not hold {', '.join(missing)} (it holds: {' '.join(held) or 'nothing'}).")
        kept = [h for h in held if h.casefold() not in gone] if scopes else []
        if kept:
            client.graph("PATCH", f"{GRANTS}/{found['id']}", json={"scope": " ".join(kept)})
        else:
            client.graph("DELETE", f"{GRANTS}/{found['id']}")
    taken = esc(" ".join(scopes)) if scopes else "every scope"
    say(f"revoked {taken} of {esc(api['displayName'])} from {esc(who['displayName'])} for {_for(user)}"
        + (f"; it keeps {esc(' '.join(kept))}" if kept else " (grant deleted)"))


class _Names:
    """Display names of the objects grants name, each read once."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.found: dict[str, str] = {}

    def sp(self, object_id: str) -> str:
        if object_id not in self.found:
            sp = self.client.graph_optional(f"/servicePrincipals/{object_id}")
            self.found[object_id] = sp["displayName"] if sp else object_id
        return self.found[object_id]

    def user(self, object_id: str) -> str:
        if object_id not in self.found:
            user = self.client.graph_optional(f"/users/{object_id}")
            self.found[object_id] = user["userPrincipalName"] if user else object_id
        return self.found[object_id]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="consent")
