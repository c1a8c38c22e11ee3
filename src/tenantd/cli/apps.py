"""``tenantd app``: application registrations, their secrets and app roles, over Graph v1.0."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from ..domain.ids import is_guid, new_guid
from . import app_settings, credentials
from .app_settings import AUDIENCE, GROUP_CLAIMS, ID_TOKENS, PUBLIC, PUBLIC_CLIENT, SPA, WEB, settings_body
from .client import Client, connect
from .errors import CliError
from .output import JSON_OPTION, emit_json, esc, fields, joined, say, section, table
from .resolve import Resolver, role_label

app = typer.Typer(no_args_is_help=True, help="Application registrations, their secrets and app roles.")
secret_app = typer.Typer(no_args_is_help=True, help="Client secrets (password credentials).")
role_app = typer.Typer(no_args_is_help=True, help="App roles an application defines.")
app.add_typer(secret_app, name="secret")
app.add_typer(role_app, name="role")
app.add_typer(app_settings.scope_app, name="scope")

MEMBER_TYPES = ("Application", "User")


def member_types(text: str) -> list[str]:
    """``Application,User`` -> a manifest allowedMemberTypes list, checked here for a clear message."""
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    canonical = {t.lower(): t for t in MEMBER_TYPES}
    if not chosen or any(t.lower() not in canonical for t in chosen):
        raise CliError(f"Member types must be a comma-separated list of Application and User, not '{text}'.")
    return sorted({canonical[t.lower()] for t in chosen})


def new_role(spec: str, types: list[str], description: str | None = None) -> dict[str, Any]:
    """``VALUE=Display name`` (or just ``VALUE``) -> a new manifest appRoles entry with a fresh id."""
    value, _, display = spec.partition("=")
    if not value.strip():
        raise CliError(f"A role needs a value: --role VALUE=\"Display name\", not '{spec}'.")
    display = display.strip() or value
    return {"allowedMemberTypes": types, "description": description or display, "displayName": display,
            "id": new_guid(), "isEnabled": True, "value": value.strip()}


def add_secret(client: Client, application: dict[str, Any], name: str | None, years: float | None) -> dict[str, Any]:
    credential: dict[str, Any] = {"displayName": name}
    if years is not None:
        credential["endDateTime"] = (datetime.now(UTC) + timedelta(days=round(365.25 * years))).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    added: dict[str, Any] = client.graph("POST", f"/applications/{application['id']}/addPassword",
                                         json={"passwordCredential": credential})
    return added


def show_secret(added: dict[str, Any]) -> None:
    say(f"client secret  {esc(added.get('secretText'))}")
    say(f"[yellow]Copy it now: it will not be shown again.[/yellow] (keyId {added.get('keyId')}, "
        f"expires {added.get('endDateTime')})")


def redirect_uris(application: dict[str, Any]) -> list[str]:
    return [f"{uri} ({platform})" for platform in ("web", "spa", "publicClient")
            for uri in (application.get(platform) or {}).get("redirectUris") or []]


def id_token_issuance(application: dict[str, Any]) -> bool:
    return bool(((application.get("web") or {}).get("implicitGrantSettings") or {}).get("enableIdTokenIssuance"))


def token_version(application: dict[str, Any]) -> object:
    return (application.get("api") or {}).get("requestedAccessTokenVersion")


@app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Display name."),
    identifier_uris: list[str] = typer.Option(None, "--identifier-uri", help="App ID URI, e.g. api://things."),
    roles: list[str] = typer.Option(None, "--role", help='An app role: VALUE="Display name" (repeatable).'),
    role_member_types: str = typer.Option("Application", "--role-member-types",
                                          help="Who the --role roles are for: Application, User or both."),
    version: int = typer.Option(None, "--token-version", min=1, max=2, help="Access token version to issue."),
    scopes: list[str] = typer.Option(None, "--scope", help='A delegated permission: VALUE="Display name" '
                                                           "(repeatable; type User)."),
    web: list[str] = WEB, spa: list[str] = SPA, public: list[str] = PUBLIC, audience: str = AUDIENCE,
    public_client: bool = PUBLIC_CLIENT, group_claims: str = GROUP_CLAIMS, id_tokens: bool = ID_TOKENS,
    secret: bool = typer.Option(False, "--secret", help="Add a client secret and print it once."),
    no_sp: bool = typer.Option(False, "--no-sp", help="Do not create the service principal."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register an application (and its service principal unless --no-sp)."""
    types = member_types(role_member_types)
    body: dict[str, Any] = {"displayName": name, "identifierUris": list(identifier_uris or []),
                            "appRoles": [new_role(spec, types) for spec in roles or []],
                            **settings_body(web, spa, public, audience, public_client, group_claims, id_tokens)}
    api: dict[str, Any] = {"requestedAccessTokenVersion": version} if version is not None else {}
    if scopes:
        api["oauth2PermissionScopes"] = [app_settings.new_scope(spec, False, None) for spec in scopes]
    if api:
        body["api"] = api
    with connect(ctx) as client:
        created = client.graph("POST", "/applications", json=body)
        try:
            sp = None if no_sp else client.graph("POST", "/servicePrincipals", json={"appId": created["appId"]})
            added = add_secret(client, created, None, None) if secret else None
        except CliError:
            with contextlib.suppress(CliError):  # all or nothing: the first error is the one to report
                client.graph("DELETE", f"/applications/{created['id']}")
            raise
    if as_json:
        emit_json({"application": created, "servicePrincipal": sp, "passwordCredential": added})
        return
    say(f"created application [bold]{esc(name)}[/bold]")
    fields([("appId", created["appId"]), ("object id", created["id"]),
            ("service principal", sp["id"] if sp else "none (--no-sp)"),
            ("identifier URIs", joined(created.get("identifierUris") or [])),
            ("app roles", joined(f"{r['value']} ({r['id']})" for r in created.get("appRoles") or [])),
            ("scopes", joined(f"{s['value']} ({s['id']})" for s in created["api"]["oauth2PermissionScopes"])),
            ("redirect URIs", joined(redirect_uris(created)))])
    if added:
        show_secret(added)


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List applications."""
    with connect(ctx) as client:
        apps = client.graph_all("/applications")
    if as_json:
        emit_json(apps)
        return
    table(["NAME", "APP ID", "IDENTIFIER URIS", "ROLES"],
          [(a["displayName"], a["appId"], joined(a.get("identifierUris") or []),
            joined(role_label(r) for r in a.get("appRoles") or [])) for a in apps], empty="no applications")


@app.command("show")
def show(ctx: typer.Context, key: str = typer.Argument(..., help="Name, appId, object id or App ID URI."),
         as_json: bool = JSON_OPTION) -> None:
    """Show one application with its roles and secrets."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
    if as_json:
        emit_json(found)
        return
    say(f"[bold]{esc(found['displayName'])}[/bold]")
    fields([("appId", found["appId"]), ("object id", found["id"]),
            ("identifier URIs", joined(found.get("identifierUris") or [])),
            ("token version", token_version(found) or "1 (default)"), ("created", found.get("createdDateTime")),
            ("sign-in audience", found.get("signInAudience")),
            ("public client", "yes" if found.get("isFallbackPublicClient") else "no"),
            ("group claims", found.get("groupMembershipClaims") or "none"),
            ("ID tokens from authorize", "yes" if id_token_issuance(found) else "no"),
            ("redirect URIs", joined(redirect_uris(found)) or "none")])
    section("app roles")
    table(["VALUE", "DISPLAY NAME", "ID", "FOR", "ENABLED"],
          [(r.get("value"), r.get("displayName"), r["id"], joined(r.get("allowedMemberTypes") or []),
            "yes" if r.get("isEnabled", True) else "no") for r in found.get("appRoles") or []], empty="  none")
    section("secrets")
    table(["KEY ID", "NAME", "HINT", "EXPIRES"],
          [(c["keyId"], c.get("displayName"), c.get("hint"), c.get("endDateTime"))
           for c in found.get("passwordCredentials") or []], empty="  none")
    section("scopes")
    api = found.get("api") or {}
    trusted = {s: [p["appId"] for p in api.get("preAuthorizedApplications") or [] if s in p["delegatedPermissionIds"]]
               for s in (scope["id"] for scope in api.get("oauth2PermissionScopes") or [])}
    table(["VALUE", "TYPE", "ID", "ENABLED", "PRE-AUTHORIZED"],
          [(s["value"], s["type"], s["id"], "yes" if s.get("isEnabled", True) else "no", joined(trusted[s["id"]]))
           for s in api.get("oauth2PermissionScopes") or []], empty="  none")


@app.command("delete")
def delete(ctx: typer.Context, key: str = typer.Argument(..., help="Name, appId, object id or App ID URI.")) -> None:
    """Delete an application (its service principal and assignments go with it)."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        client.graph("DELETE", f"/applications/{found['id']}")
    say(f"deleted application {esc(found['displayName'])} ({found['appId']})")


@app.command("set")
def set_(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Name, appId, object id or App ID URI."),
    version: int = typer.Option(None, "--token-version", min=1, max=2, help="Access token version to issue."),
    identifier_uris: list[str] = typer.Option(None, "--identifier-uri",
                                              help="App ID URIs (replace the current ones; repeatable)."),
    name: str = typer.Option(None, "--name", help="New display name."),
    web: list[str] = WEB, spa: list[str] = SPA, public: list[str] = PUBLIC, audience: str = AUDIENCE,
    public_client: bool = PUBLIC_CLIENT, group_claims: str = GROUP_CLAIMS, id_tokens: bool = ID_TOKENS,
) -> None:
    """Change an application's token version, App ID URIs, name or sign-in settings."""
    changes: dict[str, Any] = settings_body(web, spa, public, audience, public_client, group_claims, id_tokens)
    if version is not None:
        changes["api"] = {"requestedAccessTokenVersion": version}
    if identifier_uris:
        changes["identifierUris"] = list(identifier_uris)
    if name is not None:
        changes["displayName"] = name
    if not changes:
        raise CliError("Nothing to change: give --token-version, --identifier-uri, --name or a sign-in option "
                       "(see --help).")
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        client.graph("PATCH", f"/applications/{found['id']}", json=changes)
    say(f"updated application {esc(found['displayName'])}: {', '.join(changes)}")


# -- secrets ---------------------------------------------------------------------------------------------
@secret_app.command("add")
def secret_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Name, appId, object id or App ID URI."),
    name: str = typer.Option(None, "--name", help="The secret's display name."),
    years: float = typer.Option(None, "--years", min=0.01, max=100, help="Lifetime in years (default: 2)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a client secret and print it once."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        added = add_secret(client, found, name, years)
    if as_json:
        emit_json(added)
        return
    say(f"added a secret to {esc(found['displayName'])} ({found['appId']})")
    show_secret(added)


@secret_app.command("remove")
def secret_remove(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Name, appId, object id or App ID URI."),
    key_id: str = typer.Argument(..., help="The secret's keyId (see `tenantd app show`)."),
) -> None:
    """Remove a client secret."""
    if not is_guid(key_id):
        raise CliError(f"'{key_id}' is not a keyId: a keyId is a GUID (see `tenantd app show`).")
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        client.graph("POST", f"/applications/{found['id']}/removePassword", json={"keyId": key_id.lower()})
    say(f"removed secret {key_id.lower()} from {esc(found['displayName'])}")


# -- app roles -------------------------------------------------------------------------------------------
def _find_role(application: dict[str, Any], role: str) -> dict[str, Any]:
    for entry in application.get("appRoles") or []:
        if entry.get("value") == role or (is_guid(role) and entry["id"].lower() == role.lower()):
            return dict(entry)
    known = joined(role_label(r) for r in application.get("appRoles") or [])
    raise CliError(f"'{application['displayName']}' has no app role '{role}' (its roles: {known}).")


def _patch_roles(client: Client, application: dict[str, Any], roles: list[dict[str, Any]]) -> None:
    client.graph("PATCH", f"/applications/{application['id']}", json={"appRoles": roles})


@role_app.command("add")
def role_add(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="Name, appId, object id or App ID URI of the application."),
    spec: str = typer.Argument(..., metavar="VALUE[=DISPLAY NAME]", help="The role's value and display name."),
    types: str = typer.Option("Application", "--member-types", help="Application, User or Application,User."),
    description: str = typer.Option(None, "--description", help="Description (default: the display name)."),
) -> None:
    """Define a new app role."""
    role = new_role(spec, member_types(types), description)
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        _patch_roles(client, found, [*(found.get("appRoles") or []), role])
    say(f"added app role {esc(role['value'])} ({role['id']}) to {esc(found['displayName'])}")


def _set_enabled(ctx: typer.Context, key: str, role: str, enabled: bool) -> None:
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        target = _find_role(found, role)
        roles = [{**r, "isEnabled": enabled} if r["id"] == target["id"] else r for r in found.get("appRoles") or []]
        _patch_roles(client, found, roles)
    say(f"{'enabled' if enabled else 'disabled'} app role {esc(role_label(target))} of {esc(found['displayName'])}")


@role_app.command("disable")
def role_disable(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                 role: str = typer.Argument(..., help="Role value or id.")) -> None:
    """Disable an app role: no new assignments, and it leaves tokens; needed before removing it."""
    _set_enabled(ctx, key, role, False)


@role_app.command("enable")
def role_enable(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                role: str = typer.Argument(..., help="Role value or id.")) -> None:
    """Enable a disabled app role again."""
    _set_enabled(ctx, key, role, True)


@role_app.command("remove")
def role_remove(ctx: typer.Context, key: str = typer.Argument(..., help="The application."),
                role: str = typer.Argument(..., help="Role value or id.")) -> None:
    """Remove an app role (it must be disabled first)."""
    with connect(ctx) as client:
        found = Resolver(client).application(key)
        target = _find_role(found, role)
        _patch_roles(client, found, [r for r in found.get("appRoles") or [] if r["id"] != target["id"]])
    say(f"removed app role {esc(role_label(target))} from {esc(found['displayName'])}")


def register(root: typer.Typer) -> None:
    credentials.add_app_commands(app)
    root.add_typer(app, name="app")
