"""``tenantd token preview`` (what a token for a principal to a resource would carry now, claim by claim, or
why none would be issued) and ``tenantd token decode`` (a token read from stdin, checked against the tenant's
keys like jwt.ms), over the admin API's /token/preview and /token/decode."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from ..domain.ids import is_guid
from .client import connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, pretty_json, say, section, table
from .resolve import Resolver, looks_like_uri


def preview(
    ctx: typer.Context,
    principal: str = typer.Option(..., "--as", help="An application, managed identity (name, appId or id) or a "
                                  "user (userPrincipalName or id)."),
    resource: str = typer.Option(..., "--resource", help="The API: App ID URI, appId or name."),
    client_app: str = typer.Option(None, "--client", help="For a user: the client she signs in through (name or "
                                   "appId; default the Azure CLI)."),
    scopes: list[str] = typer.Option(None, "--scope", help="For a user: a scope value to ask for (repeatable; "
                                     "default .default, everything held)."),
    host: str = typer.Option(None, "--host", help="For a managed identity: the resource id of the host asking "
                             "(a user-assigned identity's token then names it in xms_az_rid)."),
    mint: bool = typer.Option(False, "--mint", help="Also mint the token (impersonation: needs Tenantd.Impersonate)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what an access token for PRINCIPAL to RESOURCE would carry now, with where each claim comes from,
    or the AADSTS error the token endpoint would answer instead (exit 1). Nothing is signed without --mint."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        who = resolver.principal(principal)
        if who.kind == "group":
            raise CliError(f"'{principal}' is a group: --as takes an application, a managed identity or a user.")
        body: dict[str, Any] = {"principal": who.id, "resource": _resource(resolver, resource), "mint": mint}
        if client_app is not None:
            if who.kind != "user":
                raise CliError("--client is for a user's token; an application's token has no other client.")
            body["client"] = client_app if is_guid(client_app) else resolver.service_principal(client_app)["appId"]
        if host is not None:
            if who.kind != "managed identity":
                raise CliError("--host is for a managed identity's token.")
            body["host"] = host
        if scopes:
            if who.kind != "user":
                raise CliError("--scope is for a user's token; an application's token carries roles, not scopes.")
            body["scopes"] = list(scopes)
        answer: dict[str, Any] = client.admin("POST", "/token/preview", json=body)
    if as_json:
        emit_json(answer)
    else:
        _show_preview(answer, who.name)
    if answer["refusal"] is not None:
        raise typer.Exit(1)


def _resource(resolver: Resolver, resource: str) -> str:
    target = resource.removesuffix("/.default")
    return target if looks_like_uri(target) or is_guid(target) else str(resolver.service_principal(target)["appId"])


def _show_preview(answer: dict[str, Any], name: str) -> None:
    refusal = answer["refusal"]
    if refusal is not None:
        code = f"AADSTS{refusal['aadsts']}" if refusal["aadsts"] else refusal["error"]
        say(f"[red]no token[/red] for {esc(name)}: the token endpoint would answer {esc(code)} "
            f"({esc(refusal['error'])})")
        fields([("why", refusal["explanation"]), ("description", refusal["description"])])
        return
    shape = {"app": "app-only (client credentials)", "managed": "app-only (managed identity)",
             "user": "delegated (a user through a client)"}[answer["shape"]]
    section(f"a v{answer['version']}.0 {shape} token for {name}")
    table(["CLAIM", "VALUE", "WHY"], [(c["name"], _value(c["value"]), c["explanation"]) for c in answer["claims"]])
    if "access_token" in answer:
        sys.stdout.write(answer["access_token"] + "\n")


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def decode(
    ctx: typer.Context,
    audience: str = typer.Option(None, "--audience", help="The audience your API expects (checked when given)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Decode a token read from stdin and check it against this tenant's signing keys, as a validator would:
    its header and claims, and every reason it would be refused (exit 1 when it would be)."""
    if sys.stdin.isatty():
        say("Paste the token, then Ctrl-D:", to_stderr=True)
    token = sys.stdin.read().strip()
    if not token:
        raise CliError("No token on stdin: pipe one in, for example `tenantd token --as NAME --resource URI | "
                       "tenantd token decode`.")
    body: dict[str, Any] = {"token": token}
    if audience is not None:
        body["audience"] = audience
    with connect(ctx) as client:
        answer: dict[str, Any] = client.admin("POST", "/token/decode", json=body)
    if as_json:
        emit_json(answer)
    else:
        _show_decoded(answer)
    if not answer["valid"]:
        raise typer.Exit(1)


def _show_decoded(answer: dict[str, Any]) -> None:
    for title, part in (("header", answer["header"]), ("payload", answer["payload"])):
        if part is not None:
            section(title)
            sys.stdout.write(pretty_json(part) + "\n")
    if answer["times"]:
        fields(list(answer["times"].items()))
    key = answer["key"]
    if answer["valid"]:
        say(f"[green]valid[/green]: signed by this tenant's {esc(key['status'])} key {esc(key['kid'])}")
        return
    say("[red]a validator of this tenant would refuse it[/red]:")
    for reason in answer["reasons"]:
        say(f"  - {esc(reason['code'])}: {esc(reason['message'])}")
