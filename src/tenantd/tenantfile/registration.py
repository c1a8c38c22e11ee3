"""An application entry's sign-in settings and delegated permissions: what the entry declares as the
directory's change set, the required access it names (resolved like assignments: applications and
built-in service principals by name or appId, permissions by value or id), and what export writes back.

A pre-authorized client's delegatedPermissionIds may name the entry's own scopes by value; required access
is resolved once every application is planned, since it may name one declared further down the file."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..directory import Directory
from ..domain import builtins, registration, scope_rules, sign_in_rules
from ..domain.ids import is_guid
from ..domain.model import Application, AppRole, PermissionScope
from .changes import call
from .document import Path
from .names import Named, NameIndex, Unresolved, resource_view
from .state import Plan, PlannedApp

_TOP = ("signInAudience", "isFallbackPublicClient", "groupMembershipClaims", "optionalClaims")
PLATFORMS = ("web", "spa", "publicClient")


def declared_settings(entry: dict[str, Any], scopes: tuple[PermissionScope, ...]) -> dict[str, Any]:
    """The entry's settings by Graph's names (required access aside); ``scopes``: those the app will offer."""
    settings = {k: entry[k] for k in _TOP if k in entry}
    for platform in PLATFORMS:
        if platform in entry:
            settings[f"{platform}.redirectUris"] = list((entry[platform] or {}).get("redirectUris") or [])
    if "web" in entry:   # the web block declares the implicit grant too: off unless it says on
        implicit = (entry["web"] or {}).get("implicitGrantSettings") or {}
        settings["web.implicitGrantSettings"] = {key: implicit.get(key) or False
                                                 for key in sign_in_rules.IMPLICIT_GRANT_FIELDS}
    api = entry.get("api") or {}
    if "oauth2PermissionScopes" in api:
        # A pasted manifest's scopes may carry "lang", which Graph's permissionScope does not have.
        settings["api.oauth2PermissionScopes"] = [{k: v for k, v in s.items() if k != "lang"}
                                                  for s in api["oauth2PermissionScopes"]]
    if "preAuthorizedApplications" in api:
        by_value = {s.value: s.id for s in scopes}
        settings["api.preAuthorizedApplications"] = [
            {**client, "delegatedPermissionIds": [by_value.get(p, p) for p in client.get("delegatedPermissionIds", [])]}
            for client in api["preAuthorizedApplications"]]
    return settings


def planned_settings(plan: Plan, path: Path, entry: dict[str, Any], app: PlannedApp,
                     base: Application) -> dict[str, Any]:
    """The entry's settings by Graph's names, checked as the directory checks them against ``base`` (the
    application as it is, or a blank one); ``app`` learns the scopes it will offer and the required access
    it declares. Only the settings that would change ``base`` are returned."""
    api = entry.get("api") or {}
    scopes = base.oauth2_permission_scopes
    if "oauth2PermissionScopes" in api:
        declared = declared_settings(entry, ())["api.oauth2PermissionScopes"]
        scopes = plan.rule((*path, "api", "oauth2PermissionScopes"), scope_rules.permission_scopes, declared,
                           base.app_roles) or ()
    settings = declared_settings(entry, scopes)
    checked = plan.rule(path, registration.changed, base, settings)
    if checked is None:
        return {}
    app.scopes, app.required_access = checked.oauth2_permission_scopes, entry.get("requiredResourceAccess")
    return {key: settings[key] for key in registration.differences(base, checked)}


def plan_required_access(plan: Plan) -> None:
    """Each planned application's declared requiredResourceAccess, resolved and set when it differs."""
    index: NameIndex | None = None
    for app in plan.apps:
        declared = app.required_access
        if declared is None:
            continue
        index = index or NameIndex(_resources(plan))
        path = (*app.path, "requiredResourceAccess")
        resolved = [_resolve(plan, index, (*path, j), item) for j, item in enumerate(declared)]
        if any(r is None for r in resolved):
            continue
        needed = plan.rule(path, scope_rules.required_resource_access, resolved)
        current = app.existing.required_resource_access if app.existing else ()
        if needed is not None and needed != current:
            plan.add("application", f"update application '{app.name}': requiredResourceAccess",
                     call(Directory.update_application, plan.tenant_id, app.id, {"requiredResourceAccess": resolved}))


def _resources(plan: Plan) -> list[Named]:
    """What required access may name: the file's applications, the tenant's others (unless pruned) and the
    built-in service principals, each with the roles and scopes it will offer."""
    claimed = {a.id for a in plan.apps}
    pool = [_named(plan.tenant_id, a.name, a.id, a.app_id, a.roles, a.scopes) for a in plan.apps]
    if not plan.prune:
        pool += [_named(plan.tenant_id, a.display_name, a.id, a.app_id, a.app_roles, a.oauth2_permission_scopes)
                 for a in plan.snap.applications if a.id not in claimed and not plan.snap.is_admin_app(a)]
    for sp in plan.snap.builtin_sps:
        builtin = builtins.BUILTIN_BY_APP_ID.get(sp.app_id)
        scopes = builtin.scopes if builtin else sp.oauth2_permission_scopes   # the table: older tenants lack some
        pool.append(_named(plan.tenant_id, sp.display_name, sp.id, sp.app_id, sp.app_roles, scopes))
    return pool


def _named(tenant_id: str, name: str, object_id: str, app_id: str, roles: tuple[AppRole, ...],
           scopes: tuple[PermissionScope, ...]) -> Named:
    view = replace(resource_view(tenant_id, object_id, app_id, name, roles), oauth2_permission_scopes=scopes)
    return Named("application", name, app_id, frozenset({object_id, app_id}), "ServicePrincipal", view)


def _resolve(plan: Plan, index: NameIndex, path: Path, item: dict[str, Any]) -> dict[str, Any] | None:
    try:
        resource = index.resolve(item["resourceAppId"], "application or service principal")
    except Unresolved as exc:
        plan.problem((*path, "resourceAppId"), str(exc))
        return None
    assert resource.resource is not None
    offered = resource.resource
    accesses = []
    for k, access in enumerate(item["resourceAccess"]):
        text, kind = access["id"], access["type"]
        if is_guid(text):
            accesses.append({"id": text.lower(), "type": kind})
            continue
        pool = ([s for s in offered.oauth2_permission_scopes if s.value == text] if kind == "Scope"
                else [r for r in offered.app_roles if r.value == text])
        if not pool:
            what = "delegated permission (scope)" if kind == "Scope" else "app role"
            plan.problem((*path, "resourceAccess", k, "id"), f"'{resource.name}' offers no {what} '{text}'")
            return None
        accesses.append({"id": pool[0].id, "type": kind})
    return {"resourceAppId": offered.app_id, "resourceAccess": accesses}


def exported(app: Application) -> dict[str, Any]:
    """The settings an export writes: each one that differs from a new application's."""
    entry: dict[str, Any] = {}
    if app.sign_in_audience != "AzureADMyOrg":
        entry["signInAudience"] = app.sign_in_audience
    for key, value in (("isFallbackPublicClient", app.is_fallback_public_client),
                       ("groupMembershipClaims", app.group_membership_claims),
                       ("optionalClaims", app.optional_claims)):
        if value is not None:
            entry[key] = value
    for platform, uris in (("web", app.web_redirect_uris), ("spa", app.spa_redirect_uris),
                           ("publicClient", app.public_client_redirect_uris)):
        if uris:
            entry[platform] = {"redirectUris": list(uris)}
    if not app.implicit_grant_settings.off:
        entry.setdefault("web", {})["implicitGrantSettings"] = app.implicit_grant_settings.to_graph()
    api: dict[str, Any] = {}
    if app.oauth2_permission_scopes:
        api["oauth2PermissionScopes"] = [s.to_graph() for s in app.oauth2_permission_scopes]
    if app.pre_authorized_applications:
        api["preAuthorizedApplications"] = [p.to_graph() for p in app.pre_authorized_applications]
    if api:
        entry["api"] = api
    if app.required_resource_access:
        entry["requiredResourceAccess"] = [r.to_graph() for r in app.required_resource_access]
    return entry
