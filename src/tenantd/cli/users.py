"""``tenantd user``: users, over Graph v1.0."""

from __future__ import annotations

from typing import Any

import typer

from ..domain import passwords
from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, say, section, table
from .resolve import Resolver
from .sps import granted

app = typer.Typer(no_args_is_help=True, help="Users.")

KEY_HELP = "userPrincipalName or object id."
PASSWORD_HELP = "The password (8-256 characters, three of: lower case, upper case, digits, symbols); default: a \
generated one."


@app.command("create")
def create(
    ctx: typer.Context,
    upn: str = typer.Argument(..., help="userPrincipalName, e.g. alice@contoso.test."),
    name: str = typer.Option(None, "--name", help="Display name (default: the part before @)."),
    password: str = typer.Option(None, "--password", help=PASSWORD_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user who signs in with a password (printed once when generated)."""
    local, at, domain = upn.partition("@")
    if not (local and at and domain) or "@" in domain:
        raise CliError(f"'{upn}' is not a user principal name: it must look like name@domain.")
    chosen = password or passwords.generate()
    body: dict[str, Any] = {"accountEnabled": True, "displayName": name or local, "mailNickname": local,
                            "userPrincipalName": upn, "passwordProfile": {"password": chosen}}
    with connect(ctx) as client:
        created = client.graph("POST", "/users", json=body)
    if as_json:
        emit_json(created | ({} if password else {"password": chosen}))
        return
    say(f"created user [bold]{esc(created['userPrincipalName'])}[/bold] ({created['id']})")
    if not password:
        say(f"password  {esc(chosen)}  (shown once; tenantd stores only its hash)")


@app.command("password")
def set_password(
    ctx: typer.Context,
    key: str = typer.Argument(..., help=KEY_HELP),
    password: str = typer.Option(None, "--password", help=PASSWORD_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set a user's password (printed once when generated)."""
    chosen = password or passwords.generate()
    with connect(ctx) as client:
        user = Resolver(client).user(key)
        client.graph("PATCH", f"/users/{user['id']}", json={"passwordProfile": {"password": chosen}})
    if as_json:
        emit_json({"id": user["id"], "userPrincipalName": user["userPrincipalName"]}
                  | ({} if password else {"password": chosen}))
        return
    say(f"set the password of {esc(user['userPrincipalName'])}")
    if not password:
        say(f"password  {esc(chosen)}  (shown once; tenantd stores only its hash)")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List users."""
    with connect(ctx) as client:
        users = client.graph_all("/users")
    if as_json:
        emit_json(users)
        return
    table(["USER PRINCIPAL NAME", "DISPLAY NAME", "OBJECT ID"],
          [(u["userPrincipalName"], u.get("displayName"), u["id"]) for u in users], empty="no users")


@app.command("show")
def show(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP), as_json: bool = JSON_OPTION) -> None:
    """Show a user and the app roles assigned to them directly."""
    with connect(ctx) as client:
        user = Resolver(client).user(key)
        rows = [] if as_json else granted(client, f"/users/{user['id']}")
    if as_json:
        emit_json(user)
        return
    say(f"[bold]{esc(user['userPrincipalName'])}[/bold]")
    fields([("display name", user.get("displayName")), ("object id", user["id"]),
            ("enabled", None if "accountEnabled" not in user else "yes" if user["accountEnabled"] else "no")])
    section("granted")
    table(["RESOURCE", "ROLE", "ASSIGNMENT ID"], rows, empty="  none")


@app.command("revoke-sessions")
def revoke_sessions(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """End a user's refresh tokens and browser sessions everywhere (Graph's revokeSignInSessions); access
    tokens already issued live until they expire."""
    with connect(ctx) as client:
        user = Resolver(client).user(key)
        client.graph("POST", f"/users/{user['id']}/revokeSignInSessions")
    say(f"revoked the sign-in sessions of {esc(user['userPrincipalName'])}")


@app.command("delete")
def delete(ctx: typer.Context, key: str = typer.Argument(..., help=KEY_HELP)) -> None:
    """Delete a user (their group memberships and assignments go with them)."""
    with connect(ctx) as client:
        user = Resolver(client).user(key)
        client.graph("DELETE", f"/users/{user['id']}")
    say(f"deleted user {esc(user['userPrincipalName'])} ({user['id']})")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
