"""How people sign in to an application, as options of ``tenantd app create`` and ``tenantd app set``, and
``tenantd app scope``: the delegated permissions an application offers as an API and the clients it trusts
with them. Over Graph v1.0; Graph's answer is the one error message."""

from __future__ import annotations

from typing import Any

import typer

from ..domain.ids import is_guid, new_guid
from .client import Client, connect
from .errors import CliError
from .output import esc, joined, say
from .resolve import Resolver

scope_app = typer.Typer(no_args_is_help=True, help="Delegated permissions (scopes) an application offers.")

WEB = typer.Option(None, "--web-redirect-uri", help="A web redirect URI (repeatable; replaces the current ones).")
SPA = typer.Option(None, "--spa-redirect-uri", help="A single-page app redirect URI (repeatable; replaces).")
PUBLIC = typer.Option(None, "--public-redirect-uri",
                      help="A desktop or mobile redirect URI, e.g. http://localhost (repeatable; replaces).")
AUDIENCE = typer.Option(None, "--sign-in-audience", help="AzureADMyOrg (default) or AzureADMultipleOrgs.")
PUBLIC_CLIENT = typer.Option(None, "--public-client/--confidential-client",
                             help="Allow public client flows without a credential (isFallbackPublicClient).")
GROUP_CLAIMS = typer.Option(None, "--group-claims", help="The groups claim: None, SecurityGroup, All, ...")
ID_TOKENS = typer.Option(None, "--id-tokens/--no-id-tokens",
                         help="Let the authorization endpoint answer with ID tokens (response_type id_token and "
                              "code id_token; web.implicitGrantSettings.enableIdTokenIssuance).")


def settings_body(web: list[str] | None, spa: list[str] | None, public: list[str] | None, audience: str | None,
                  public_client: bool | None, group_claims: str | None, id_tokens: bool | None) -> dict[str, Any]:
    """The Graph body fragment the sign-in options ask for (empty when none is given)."""
    body: dict[str, Any] = {}
    for key, uris in (("web", web), ("spa", spa), ("publicClient", public)):
        if uris:
            body[key] = {"redirectUris": list(uris)}
    if id_tokens is not None:
        body.setdefault("web", {})["implicitGrantSettings"] = {"enableIdTokenIssuance": id_tokens}
    if audience is not None:
        body["signInAudience"] = audience
    if public_client is not None:
        body["isFallbackPublicClient"] = public_client
    if group_claims is not None:
        body["groupMembershipClaims"] = group_claims
    return body


def new_scope(spec: str, admin: bool, description: str | None) -> dict[str, Any]:
    """``VALUE=Display name`` (or just ``VALUE``) -> a new permissionScope with a fresh id."""
    value, _, display = spec.partition("=")
    if not value.strip():
        raise CliError(f"A scope needs a value: VALUE=\"Display name\", not '{spec}'.")
    display = display.strip() or value.strip()
    text = description or display
    return {"id": new_guid(), "value": value.strip(), "type": "Admin" if admin else "User", "isEnabled": True,
            "adminConsentDisplayName": display, "adminConsentDescription": text,
            "userConsentDisplayName": None if admin else display, "userConsentDescription": None if admin else text}


def scope_label(scope: dict[str, Any]) -> str:
    return f"{scope.get('value')} ({scope.get('type')}{'' if scope.get('isEnabled', True) else ', disabled'})"


def _find(application: dict[str, Any], key: str) -> dict[str, Any]:
    for entry in (application.get("api") or {}).get("oauth2PermissionScopes") or []:
        if entry.get("value") == key or (is_guid(key) and entry["id"].lower() == key.lower()):
            return dict(entry)
    known = joined(scope_label(s) for s in (application.get("api") or {}).get("oauth2PermissionScopes") or [])
    raise CliError(f"'{application['displayName']}' has no scope '{key}' (its scopes: {known or 'none'}).")


def _patch_api(client: Client, application: dict[str, Any], **api: Any) -> None:
    client.graph("PATCH", f"/applications/{application['id']}", json={"api": api})


def _scopes(application: dict[str, Any]) -> list[dict[str, Any]]:
    return list((application.get("api") or {}).get("oauth2PermissionScopes") or [])


@scope_app.command("add")
def scope_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Name, appId, object id or App ID URI of the application."),
    spec: str = typer.Argument(..., metavar="VALUE[=DISPLAY NAME]", help="The scope's value and display name."),
    admin: bool = typer.Option(False, "--admin", help="Only an admin may consent (type Admin; default User)."),
    description: str = typer.Option(None, "--description", help="Consent text (default: the display name)."),
) -> None:
    """Offer a new delegated permission."""
    scope = new_scope(spec, admin, description)
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        _patch_api(client, found, oauth2PermissionScopes=[*_scopes(found), scope])
    say(f"added scope {esc(scope['value'])} ({scope['id']}) to {esc(found['displayName'])}")


def _set_enabled(ctx: typer.Context, key: str, scope: str, enabled: bool) -> None:
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        target = _find(found, scope)
        _patch_api(client, found, oauth2PermissionScopes=[
            {**s, "isEnabled": enabled} if s["id"] == target["id"] else s for s in _scopes(found)])
    say(f"{'enabled' if enabled else 'disabled'} scope {esc(target['value'])} of {esc(found['displayName'])}")


@scope_app.command("disable")
def scope_disable(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                  scope: str = typer.Argument(..., help="Scope value or id.")) -> None:
    """Disable a scope: needed before removing it."""
    _set_enabled(ctx, key, scope, False)


@scope_app.command("enable")
def scope_enable(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                 scope: str = typer.Argument(..., help="Scope value or id.")) -> None:
    """Enable a disabled scope again."""
    _set_enabled(ctx, key, scope, True)


@scope_app.command("remove")
def scope_remove(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                 scope: str = typer.Argument(..., help="Scope value or id.")) -> None:
    """Remove a scope (it must be disabled first)."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        target = _find(found, scope)
        _patch_api(client, found, oauth2PermissionScopes=[s for s in _scopes(found) if s["id"] != target["id"]])
    say(f"removed scope {esc(target['value'])} from {esc(found['displayName'])}")


@scope_app.command("pre-authorize")
def scope_pre_authorize(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The application (the API)."),
    client_key: str = typer.Argument(..., metavar="CLIENT", help="The client: appId or service principal name."),
    scopes: list[str] = typer.Argument(None, help="Scope values or ids (none: stop trusting the client)."),
) -> None:
    """Trust a client with some scopes without a consent prompt (e.g. the Azure CLI for `az account
    get-access-token`)."""
    with connect(ctx) as client:
        resolver = Resolver(client)
        found = resolver.application(key)
        app_id = client_key.lower() if is_guid(client_key) else resolver.service_principal(client_key)["appId"]
        ids = [_find(found, s)["id"] for s in scopes or []]
        current = (found.get("api") or {}).get("preAuthorizedApplications") or []
        kept = [p for p in current if p["appId"].lower() != app_id]
        _patch_api(client, found, preAuthorizedApplications=kept + ([{"appId": app_id, "delegatedPermissionIds": ids}]
                                                                    if ids else []))
    say(f"{esc(found['displayName'])} trusts {app_id} with: {joined(scopes or []) or 'nothing'}")
