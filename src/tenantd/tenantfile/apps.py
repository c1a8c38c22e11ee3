"""Planning applications: match, create or update, their service principals and their secrets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ..directory import Directory
from ..domain import builtins, rules
from ..domain.ids import new_guid
from ..domain.model import Application, PasswordCredential, ServicePrincipal
from .changes import call, new_secret
from .credentials import plan_certificates, plan_federated
from .document import Path
from .names import named_app
from .registration import planned_settings
from .state import Plan, PlannedApp


def plan_application(plan: Plan, path: Path, entry: dict[str, Any]) -> None:
    name = entry["displayName"]
    before = len(plan.problems)
    existing = _match_application(plan, path, entry)
    if len(plan.problems) > before:
        return
    if existing is None and name == builtins.ADMIN_APP_NAME:
        plan.problem((*path, "displayName"), f"'{name}' is the name of tenantd's admin application")
        return
    uris = entry.get("identifierUris")
    if uris is not None:
        uris = plan.rule((*path, "identifierUris"), rules.identifier_uris, uris)
    roles = None
    if entry.get("appRoles") is not None:
        parsed = [plan.rule((*path, "appRoles", j), rules.app_role, raw)
                  for j, raw in enumerate(entry["appRoles"])]
        roles = tuple(r for r in parsed if r is not None)
    version_declared, version = _token_version(plan, path, entry)
    sp_entry = entry.get("servicePrincipal", {})
    existing_sp = plan.snap.sp_of(existing) if existing else None
    if existing is None:
        app = PlannedApp(path, name, (entry.get("id") or new_guid()).lower(),
                         (entry.get("appId") or new_guid()).lower(), None, roles or (), uris or (), None)
        blank = Application(plan.tenant_id, app.id, app.app_id, name, app.uris, app.roles, version, "")
        settings = planned_settings(plan, path, entry, app, blank)
        if "id" in entry:
            plan.free_object_id((*path, "id"), app.id)
        if "appId" in entry:
            plan.free_app_id((*path, "appId"), app.app_id)
        plan.add("application", f"create application '{name}' (appId {app.app_id})",
                 call(Directory.create_application, plan.tenant_id, name, identifier_uris=app.uris,
                      app_roles=app.roles, requested_access_token_version=version, app_id=app.app_id,
                      object_id=app.id, settings=settings))
    else:
        app = PlannedApp(path, name, existing.id, existing.app_id, existing,
                         existing.app_roles if roles is None else roles,
                         existing.identifier_uris if uris is None else uris, None)
        settings = planned_settings(plan, path, entry, app, replace(existing, app_roles=app.roles))
        kept_version = version if version_declared else existing.requested_access_token_version
        _update_application(plan, app, existing, kept_version, settings)
    plan.apps.append(app)
    if sp_entry is False:
        if existing_sp is not None and plan.prune:
            plan.delete(existing_sp.id, f"delete service principal of application '{name}' ({existing_sp.id})",
                        call(Directory.delete_service_principal, plan.tenant_id, existing_sp.id))
        elif existing_sp is not None:
            app.sp_id = existing_sp.id
    else:
        app.sp_id = _service_principal(plan, (*path, "servicePrincipal"), sp_entry, app, existing_sp)
    if entry.get("passwordCredentials") is not None:
        _credentials(plan, path, entry["passwordCredentials"], app)
    if entry.get("keyCredentials") is not None:
        plan_certificates(plan, path, entry["keyCredentials"], app)
    if entry.get("federatedIdentityCredentials") is not None:
        plan_federated(plan, path, entry["federatedIdentityCredentials"], app.id, "application",
                       f"application '{name}'", plan.snap.federated.get(app.id, []))
    plan.named.append(named_app(plan.tenant_id, app.name, app.id, app.app_id, app.sp_id, app.roles))


def _match_application(plan: Plan, path: Path, entry: dict[str, Any]) -> Application | None:
    snap = plan.snap
    by_id = next((a for a in snap.applications if a.id == entry.get("id", "").lower()), None)
    by_app_id = next((a for a in snap.applications if a.app_id == entry.get("appId", "").lower()), None)
    for found, key in ((by_id, "id"), (by_app_id, "appId")):
        if found is not None and snap.is_admin_app(found):
            plan.problem((*path, key), "this is tenantd's admin application, which a tenant file cannot manage")
            return None
    if by_id and "appId" in entry and by_id.app_id != entry["appId"].lower():
        plan.problem((*path, "appId"), f"application {by_id.id} ('{by_id.display_name}') has appId "
                                        f"{by_id.app_id}; an appId cannot change")
        return None
    if by_app_id and "id" in entry and by_app_id.id != entry["id"].lower():
        plan.problem((*path, "id"), f"the application with appId {by_app_id.app_id} "
                                     f"('{by_app_id.display_name}') has id {by_app_id.id}; an id cannot change")
        return None
    found = by_id or by_app_id
    if found is None and "id" not in entry and "appId" not in entry:
        found = plan.by_name(path, entry["displayName"],
                             [a for a in snap.applications
                              if a.display_name == entry["displayName"] and not snap.is_admin_app(a)],
                             "applications", lambda a: f"{a.id} (appId {a.app_id})")
    if found is not None:
        plan.claimed.add(found.id)
    return found


def _token_version(plan: Plan, path: Path, entry: dict[str, Any]) -> tuple[bool, int | None]:
    """Whether the entry declares the token version (as the manifest's accessTokenAcceptedVersion or Graph's
    api.requestedAccessTokenVersion), and which."""
    api = entry.get("api") or {}
    if "accessTokenAcceptedVersion" in entry and "requestedAccessTokenVersion" in api:
        plan.problem((*path, "api", "requestedAccessTokenVersion"),
                     "give the token version once: accessTokenAcceptedVersion or api.requestedAccessTokenVersion")
    version = entry.get("accessTokenAcceptedVersion", api.get("requestedAccessTokenVersion"))
    declared = "accessTokenAcceptedVersion" in entry or "requestedAccessTokenVersion" in api
    return declared, int(version) if version is not None else None


def _update_application(plan: Plan, app: PlannedApp, existing: Application, version: int | None,
                        settings: dict[str, Any]) -> None:
    changes: dict[str, Any] = {}
    if app.name != existing.display_name:
        changes["displayName"] = app.name
    if app.uris != existing.identifier_uris:
        changes["identifierUris"] = list(app.uris)
    if app.roles != existing.app_roles:
        changes["appRoles"] = [r.to_graph() for r in app.roles]
    if version != existing.requested_access_token_version:
        changes["requestedAccessTokenVersion"] = version
    changes.update(settings)
    if changes:
        labels = ["accessTokenAcceptedVersion" if k == "requestedAccessTokenVersion" else k for k in changes]
        plan.add("application", f"update application '{app.name}': {', '.join(labels)}",
                 call(Directory.update_application, plan.tenant_id, existing.id, changes))


def _service_principal(plan: Plan, path: Path, entry: dict[str, Any], app: PlannedApp,
                           existing: ServicePrincipal | None) -> str:
    fields: dict[str, Any] = {k: entry[k] for k in ("appRoleAssignmentRequired", "accountEnabled") if k in entry}
    pinned = entry.get("id", "").lower()
    if existing is not None:
        if pinned and pinned != existing.id:
            plan.problem((*path, "id"), f"application '{app.name}' already has service principal {existing.id}; "
                                         "an id cannot change")
        changed = {k: v for k, v in fields.items()
                   if v != {"appRoleAssignmentRequired": existing.app_role_assignment_required,
                            "accountEnabled": existing.account_enabled}[k]}
        if changed:
            plan.add("application", f"update service principal of '{app.name}': {', '.join(changed)}",
                     call(Directory.update_service_principal, plan.tenant_id, existing.id, changed))
        return existing.id
    sp_id = pinned or new_guid()
    if pinned:
        plan.free_object_id((*path, "id"), sp_id)
    plan.add("application", f"create service principal for '{app.name}' ({sp_id})",
             call(Directory.create_service_principal, plan.tenant_id, app.app_id, sp_id, **fields))
    return sp_id


def _credentials(plan: Plan, path: Path, declared: list[dict[str, Any]], app: PlannedApp) -> None:
    existing: list[PasswordCredential] = list(app.existing.password_credentials) if app.existing else []
    kept: set[str] = set()
    added = 0
    for j, cred in enumerate(declared):
        where = (*path, "passwordCredentials", j)
        key_id, name = cred.get("keyId", "").lower(), cred.get("displayName")
        match = next((c for c in existing if c.key_id == key_id and c.key_id not in kept), None) if key_id else None
        if match is None and name is not None:
            match = next((c for c in existing if c.display_name == name and c.key_id not in kept), None)
        if match is not None:
            kept.add(match.key_id)
            continue
        if name is None:
            plan.problem((*where, "keyId"), f"application '{app.name}' has no credential with keyId {key_id}; "
                                             "give a displayName to generate a new secret")
            continue
        end = _end(plan, (*where, "endDateTime"), cred.get("endDateTime"))
        added += 1
        plan.add("credential", f"add password '{name}' to application '{app.name}' (secret generated)",
                 new_secret(plan.tenant_id, app.name, app.id, app.app_id, name, end))
    removed = [c for c in existing if c.key_id not in kept] if plan.prune else []
    for gone in removed:
        label = gone.display_name or gone.key_id
        plan.add("uncredential", f"remove password '{label}' ({gone.key_id}) from application '{app.name}'",
                 call(Directory.remove_password, plan.tenant_id, app.id, gone.key_id))
    if len(existing) - len(removed) + added > rules.MAX_PASSWORD_CREDENTIALS:
        plan.problem((*path, "passwordCredentials"),
                     f"an application holds at most {rules.MAX_PASSWORD_CREDENTIALS} passwordCredentials")


def _end(plan: Plan, path: Path, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        end = datetime.fromisoformat(text)
    except ValueError:
        plan.problem(path, f"'{text}' is not an ISO 8601 date and time")
        return None
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if end <= datetime.now(UTC):
        plan.problem(path, f"'{text}' is in the past")
    return end
