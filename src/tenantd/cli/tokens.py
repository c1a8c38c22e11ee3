"""``tenantd token`` (mint a token as an app or managed identity) and ``tenantd decode`` (read one)."""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any

import typer

from ..domain.ids import is_guid
from . import token_preview
from .client import connect
from .errors import CliError
from .login import person_token
from .output import JSON_OPTION, emit_json, pretty_json
from .resolve import Resolver, looks_like_uri


def unverified_parts(token: str) -> dict[str, Any]:
    """A JWS's header and claims, read without checking the signature (for people, never for decisions)."""
    parts = token.strip().removeprefix("Bearer ").strip().split(".")
    if len(parts) == 5:
        raise CliError("This is an encrypted token (JWE): it cannot be read without its key.")
    if len(parts) != 3:
        raise CliError(f"Not a JWT: expected 3 dot-separated parts, found {len(parts)}.")
    decoded = []
    for name, part in (("header", parts[0]), ("payload", parts[1])):
        try:
            value = json.loads(base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True))
        except (ValueError, binascii.Error):
            raise CliError(f"Not a JWT: its {name} is not base64url-encoded JSON.") from None
        if not isinstance(value, dict):
            raise CliError(f"Not a JWT: its {name} is not a JSON object.")
        decoded.append(value)
    return {"header": decoded[0], "claims": decoded[1]}


def _print_parts(parts: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(parts)
    else:
        sys.stdout.write(pretty_json(parts) + "\n")


def token(
    ctx: typer.Context,
    principal: str = typer.Option(None, "--as", help="An application, managed identity (name, appId or id) or a "
                                  "user (userPrincipalName or id); without it, the person `tenantd login` signed in."),
    resource: str = typer.Option(None, "--resource", help="The API: App ID URI, appId or name."),
    decode: bool = typer.Option(False, "--decode", help="Print the token's header and claims instead."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Get an access token as PRINCIPAL for RESOURCE, with the roles assigned to PRINCIPAL (a user's token
    also carries its groups' roles, and comes through Azure CLI's client id, as `az account get-access-token`).
    Without --as, the signed-in person's own token (`tenantd login`), by her refresh token: RESOURCE is then
    an App ID URI or appId. `tenantd token preview` shows what a token would carry and why; `tenantd token
    decode` checks one against the tenant's keys."""
    if ctx.invoked_subcommand is not None:
        return
    if resource is None:
        raise CliError("Missing option '--resource': the API to get a token for (App ID URI, appId or name).")
    issued = person_token(ctx, resource) if principal is None else _minted(ctx, principal, resource)
    if decode:
        _print_parts(unverified_parts(issued["access_token"]), as_json)
    elif as_json:
        emit_json(issued)
    else:
        sys.stdout.write(issued["access_token"] + "\n")


def _minted(ctx: typer.Context, principal: str, resource: str) -> dict[str, Any]:
    """A token the admin API mints as ``principal`` (an audited admin power)."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        who = resolver.principal(principal)
        if who.kind == "group":
            raise CliError(f"'{principal}' is a group: --as takes an application, a managed identity or a user.")
        target = resource.removesuffix("/.default")
        if not (looks_like_uri(target) or is_guid(target)):
            target = resolver.service_principal(target)["appId"]
        issued: dict[str, Any] = client.admin("POST", "/token", json={"principalId": who.id, "resource": target})
    return issued


def decode(
    value: str = typer.Argument(..., metavar="TOKEN", help="The token, or - to read it from stdin."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print a token's header and claims, WITHOUT verifying its signature."""
    _print_parts(unverified_parts(sys.stdin.read() if value == "-" else value), as_json)


def register(root: typer.Typer) -> None:
    group = typer.Typer(invoke_without_command=True)
    group.callback()(token)
    group.command("preview")(token_preview.preview)
    group.command("decode")(token_preview.decode)
    root.add_typer(group, name="token")
    root.command("decode")(decode)
