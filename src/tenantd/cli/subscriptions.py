"""``tenantd subscription``: the Azure subscriptions tenantd's Resource Manager lists to the Azure CLI, and who
sees each, over tenantd's admin API (Graph has no subscriptions). Viewers are named as ``tenantd grant`` names
principals: a user principal name, an application's or managed identity's name, or an id."""

from __future__ import annotations

import uuid
from typing import Any

import typer

from ..domain.ids import is_guid
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, say, table
from .resolve import Resolver

app = typer.Typer(no_args_is_help=True, help="Azure subscriptions that az login and az account list show.")

KEY_HELP = "The subscription's id or display name."
Obj = dict[str, Any]


def _all(client: Client) -> list[Obj]:
    return list(client.admin("GET", "/subscriptions")["value"])


def _find(subs: list[Obj], key: str) -> Obj:
    found = [s for s in subs if s["id"] == key.lower()] if is_guid(key) else \
        [s for s in subs if s["displayName"] == key]
    if len(found) > 1:
        listed = "; ".join(f"{s['displayName']} ({s['id']})" for s in found)
        raise CliError(f"'{key}' is ambiguous, it names {len(found)} subscriptions: {listed}. Use its id instead.")
    if not found:
        raise CliError(f"No subscription '{key}' in this tenant (tenantd subscription list shows them).")
    return found[0]


def _viewer_name(client: Client, object_id: str) -> str:
    user = client.graph_optional(f"/users/{object_id}")
    if user is not None:
        return str(user.get("userPrincipalName") or object_id)
    sp = client.graph_optional(f"/servicePrincipals/{object_id}")
    return str(sp.get("displayName") or object_id) if sp is not None else object_id


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the tenant's subscriptions and who sees each."""
    with connect(ctx) as client:
        subs = _all(client)
        if as_json:
            emit_json(subs)
            return
        rows = [(s["displayName"], s["id"], "everyone" if s["visibleToAll"] else
                 ", ".join(_viewer_name(client, v) for v in s["viewers"]) or "no one") for s in subs]
    table(["NAME", "ID", "VISIBLE TO"], rows, empty="no subscriptions")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The subscription's display name."),
    visible_to: list[str] = typer.Option([], "--visible-to", help="A user, application or managed identity that "
                                         "sees it (name, user principal name or id); repeat for more."),
    everyone: bool = typer.Option(False, "--everyone", help="Every user and service principal of the tenant "
                                                            "sees it."),
    sub_id: str = typer.Option(None, "--id", help="The subscription id (a GUID; generated when absent). An "
                                                  "existing id is declared again with these settings."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Declare a subscription and who sees it (visibility is declared, never derived from roles)."""
    if everyone and visible_to:
        raise CliError("Give either --everyone or --visible-to, not both.")
    if sub_id is not None and not is_guid(sub_id):
        raise CliError(f"--id must be a GUID, not '{sub_id}'.")
    key = (sub_id or str(uuid.uuid4())).lower()
    with connect(ctx) as client:
        resolver = Resolver(client)
        viewers = list(dict.fromkeys(resolver.role_holder(who).id for who in visible_to))
        saved = client.admin("PUT", f"/subscriptions/{key}", json={
            "displayName": name, "visibleToAll": everyone, "viewers": viewers})
    if as_json:
        emit_json(saved)
        return
    shown = "everyone" if everyone else ", ".join(visible_to) or "no one yet (--visible-to adds viewers)"
    say(f"subscription [bold]{esc(saved['displayName'])}[/bold] ({saved['id']}), visible to {esc(shown)}")


@app.command("remove")
def remove(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """Remove a subscription (az sees it no more after its next az login or az account list --refresh)."""
    with connect(ctx) as client:
        found = _find(_all(client), key)
        client.admin("DELETE", f"/subscriptions/{found['id']}")
    say(f"removed subscription {esc(found['displayName'])} ({found['id']})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="subscription")
