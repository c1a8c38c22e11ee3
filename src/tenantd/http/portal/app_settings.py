"""The forms of an app registration's page that change its settings: redirect URIs by platform, the token
version, App ID URIs, exposed scopes, pre-authorized clients and app roles. Each form becomes the body of
Graph's ``PATCH /applications/{id}`` and goes through the same checks (graph/application_body.py, then the
directory's rules), decided as that PATCH is for her (Application and Cloud Application Administrators, or
an owner)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...domain import user_permissions as can
from ...domain.errors import BadRequest, GraphError
from ...domain.ids import new_guid
from ...domain.model import Application
from ..graph import acts, application_body
from ..graph.access import APPLICATION_WRITE
from ..graph.acts import Act
from .apps import app_page, failed, registration
from .guard import Handler, Visitor, portal_page

UPDATE = Act(can.APPS_UPDATE, acts.application)
Body = Callable[[Application, dict[str, str]], dict[str, Any]]


def patch(build: Body) -> Handler:
    """A route that turns her form into a PATCH body (from the registration as it is now) and saves it."""
    @portal_page
    async def route(visitor: Visitor) -> Response:
        form = await visitor.form()
        directory = await visitor.require(UPDATE, APPLICATION_WRITE)
        app = await registration(visitor, directory)
        try:
            changes = application_body.changes(build(app, form))
            await run_in_threadpool(directory.update_application, visitor.tenant.id, app.id, changes)
        except GraphError as exc:
            return failed(visitor, exc, f"{visitor.base}/apps/{app.id}")
        return app_page(visitor, app)
    route.__name__ = build.__name__
    return route


def _field(form: dict[str, str], name: str, label: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise BadRequest(f"{label} is required.")
    return value


def _platform(form: dict[str, str]) -> str:
    platform = form.get("platform", "")
    if platform not in ("web", "spa", "publicClient"):
        raise BadRequest("Choose the platform: web, spa or publicClient.")
    return platform


def _redirects(app: Application, platform: str) -> list[str]:
    return list({"web": app.web_redirect_uris, "spa": app.spa_redirect_uris,
                 "publicClient": app.public_client_redirect_uris}[platform])


def add_redirect(app: Application, form: dict[str, str]) -> dict[str, Any]:
    platform = _platform(form)
    return {platform: {"redirectUris": [*_redirects(app, platform), _field(form, "uri", "The redirect URI")]}}


def remove_redirect(app: Application, form: dict[str, str]) -> dict[str, Any]:
    platform = _platform(form)
    return {platform: {"redirectUris": [u for u in _redirects(app, platform) if u != form.get("uri")]}}


def token_version(app: Application, form: dict[str, str]) -> dict[str, Any]:
    chosen = form.get("version", "")
    if chosen not in ("", "1", "2"):
        raise BadRequest("The access token version is 1, 2 or the default.")
    return {"api": {"requestedAccessTokenVersion": int(chosen) if chosen else None}}


def add_identifier_uri(app: Application, form: dict[str, str]) -> dict[str, Any]:
    uri = form.get("uri", "").strip() or f"api://{app.app_id}"
    return {"identifierUris": [*app.identifier_uris, uri]}


def remove_identifier_uri(app: Application, form: dict[str, str]) -> dict[str, Any]:
    return {"identifierUris": [u for u in app.identifier_uris if u != form.get("uri")]}


def _scopes(app: Application) -> list[dict[str, Any]]:
    return [s.to_graph() for s in app.oauth2_permission_scopes]


def add_scope(app: Application, form: dict[str, str]) -> dict[str, Any]:
    scope = {"id": new_guid(), "value": _field(form, "value", "The scope's value"),
             "type": "Admin" if form.get("type") == "Admin" else "User",
             "adminConsentDisplayName": _field(form, "adminConsentDisplayName", "The admin consent display name"),
             "adminConsentDescription": _field(form, "adminConsentDescription", "The admin consent description"),
             "userConsentDisplayName": form.get("userConsentDisplayName", "").strip() or None,
             "userConsentDescription": form.get("userConsentDescription", "").strip() or None, "isEnabled": True}
    return {"api": {"oauth2PermissionScopes": [*_scopes(app), scope]}}


def _enabled(form: dict[str, str]) -> bool:
    if form.get("enabled") not in ("true", "false"):
        raise BadRequest("Choose whether it is enabled.")
    return form["enabled"] == "true"


def enable_scope(app: Application, form: dict[str, str]) -> dict[str, Any]:
    on = _enabled(form)
    return {"api": {"oauth2PermissionScopes": [
        {**s, "isEnabled": on} if s["id"] == form.get("scope") else s for s in _scopes(app)]}}


def remove_scope(app: Application, form: dict[str, str]) -> dict[str, Any]:
    return {"api": {"oauth2PermissionScopes": [s for s in _scopes(app) if s["id"] != form.get("scope")]}}


def _pre_authorized(app: Application) -> list[dict[str, Any]]:
    return [p.to_graph() for p in app.pre_authorized_applications]


def add_pre_authorized(app: Application, form: dict[str, str]) -> dict[str, Any]:
    client, scope = _field(form, "appId", "The client's application (client) id").lower(), form.get("scope", "")
    entries = _pre_authorized(app)
    for entry in entries:
        if entry["appId"] == client:
            entry["delegatedPermissionIds"] = sorted({*entry["delegatedPermissionIds"], scope})
            break
    else:
        entries.append({"appId": client, "delegatedPermissionIds": [scope]})
    return {"api": {"preAuthorizedApplications": entries}}


def remove_pre_authorized(app: Application, form: dict[str, str]) -> dict[str, Any]:
    return {"api": {"preAuthorizedApplications": [p for p in _pre_authorized(app) if p["appId"] != form.get("appId")]}}


def _roles(app: Application) -> list[dict[str, Any]]:
    return [r.to_graph() for r in app.app_roles]


def add_role(app: Application, form: dict[str, str]) -> dict[str, Any]:
    members = [kind for kind in ("User", "Application") if form.get(f"allow{kind}") == "on"]
    if not members:
        raise BadRequest("Choose who the role is for: users and groups, applications, or both.")
    role = {"id": new_guid(), "displayName": _field(form, "displayName", "The role's display name"),
            "value": form.get("value", "").strip() or None, "isEnabled": True, "allowedMemberTypes": members,
            "description": _field(form, "description", "The role's description")}
    return {"appRoles": [*_roles(app), role]}


def enable_role(app: Application, form: dict[str, str]) -> dict[str, Any]:
    on = _enabled(form)
    return {"appRoles": [{**r, "isEnabled": on} if r["id"] == form.get("role") else r for r in _roles(app)]}


def remove_role(app: Application, form: dict[str, str]) -> dict[str, Any]:
    return {"appRoles": [r for r in _roles(app) if r["id"] != form.get("role")]}


def routes(prefix: str) -> list[BaseRoute]:
    app = prefix + "/apps/{id}"
    forms: dict[str, Body] = {
        "/redirects": add_redirect, "/redirects/remove": remove_redirect, "/token-version": token_version,
        "/identifier-uris": add_identifier_uri, "/identifier-uris/remove": remove_identifier_uri,
        "/scopes": add_scope, "/scopes/enabled": enable_scope, "/scopes/remove": remove_scope,
        "/pre-authorized": add_pre_authorized, "/pre-authorized/remove": remove_pre_authorized,
        "/roles": add_role, "/roles/enabled": enable_role, "/roles/remove": remove_role,
    }
    return [Route(app + path, patch(build), methods=["POST"]) for path, build in forms.items()]
