"""Planning consents (delegated permission grants) and their pruning, and what export writes of them.

An entry names a client (an application's or any service principal), a resource (an application of the file
or the tenant, or a built-in such as Microsoft Graph, with the scopes it will offer once applied) and, for one
user's own grant, the user; names resolve as the file's other links do. A grant the tenant holds for the same
client, resource and user is set to the entry's scopes; with ``prune``, grants no entry declares go.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..directory import Directory
from ..domain import builtins, grant_rules
from ..domain.model import OAuth2PermissionGrant
from .changes import call
from .document import Path
from .names import Named, NameIndex, Unresolved, resource_view
from .state import Plan

Key = tuple[str, str, str | None]   # client, resource, user (None: every user)


def plan_consents(plan: Plan) -> None:
    existing = {(g.client_id, g.resource_id, g.principal_id): g for g in plan.snap.grants}
    declared: dict[Key, Path] = {}
    resources: NameIndex | None = None
    for path, entry in plan.entries("consents"):
        resources = resources or NameIndex(_resources(plan))
        found = _resolve(plan, resources, path, entry)
        if found is None:
            continue
        client, resource, user = found
        key = (client.id, resource.id, user.id if user else None)
        if key in declared:
            plan.problem(path, f"the same client, resource and user as {plan.doc.where(declared[key])}")
            continue
        declared[key] = path
        assert resource.resource is not None
        scopes = plan.rule((*path, "scopes"), grant_rules.scopes, resource.resource, " ".join(entry["scopes"]))
        if scopes is None:
            continue
        text, who = " ".join(scopes), f"user '{user.name}'" if user else "every user"
        grant = existing.get(key)
        if grant is None:
            plan.add("consent", f"grant {text or 'no scope'} on '{resource.name}' to '{client.name}' for {who}",
                     call(Directory.create_grant, plan.tenant_id, client.id,
                          "Principal" if user else "AllPrincipals", user.id if user else None, resource.id, text))
        elif set(grant.scopes) != set(scopes):
            plan.add("consent", f"set the grant on '{resource.name}' to '{client.name}' for {who} to "
                                f"{text or 'no scope'} (was {grant.scope or 'no scope'})",
                     call(Directory.update_grant_scope, plan.tenant_id, grant.id, text))
    if plan.prune:
        _prune(plan, set(declared))


def _resolve(plan: Plan, resources: NameIndex, path: Path,
             entry: dict[str, Any]) -> tuple[Named, Named, Named | None] | None:
    """The entry's client, resource and user (None: every user); None, with problems, when one is wrong."""
    before = len(plan.problems)
    found: list[Named | None] = []
    for key, index, what in (("client", plan.index(), "client"), ("resource", resources, "resource"),
                             ("principal", plan.index(), "user")):
        if key not in entry:
            found.append(None)
            continue
        try:
            named = index.resolve(entry[key], what)
        except Unresolved as exc:
            plan.problem((*path, key), str(exc))
            found.append(None)
            continue
        if key == "client" and named.principal_type != "ServicePrincipal":
            plan.problem((*path, key), f"{named.describe()} is not a client: "
                                       + ("it has no service principal" if named.principal_type is None
                                          else "a client is an application or a service principal"))
        if key == "principal" and named.kind != "user":
            plan.problem((*path, key), f"{named.describe()} is not a user: only a user consents for herself")
        found.append(named)
    kind = entry.get("consentType", "Principal" if "principal" in entry else "AllPrincipals")
    plan.rule((*path, "consentType"), grant_rules.consent, kind, entry.get("principal"))
    client, resource, user = found
    if len(plan.problems) > before or client is None or resource is None:
        return None
    return client, resource, user


def _resources(plan: Plan) -> list[Named]:
    """What a consent's resource may name: the file's applications that will have a service principal, the
    tenant's others (unless pruned) and the built-in service principals, each with the scopes it will offer."""
    claimed = {a.id for a in plan.apps}
    pool = [_named(plan, a.name, a.id, a.app_id, a.sp_id, a.scopes) for a in plan.apps if a.sp_id is not None]
    if not plan.prune:
        for app in plan.snap.applications:
            sp = plan.snap.sp_of(app)
            if app.id not in claimed and sp is not None and not plan.snap.is_admin_app(app):
                pool.append(_named(plan, app.display_name, app.id, app.app_id, sp.id, app.oauth2_permission_scopes))
    for sp in plan.snap.builtin_sps:
        builtin = builtins.BUILTIN_BY_APP_ID.get(sp.app_id)
        pool.append(Named("service principal", sp.display_name, sp.id, frozenset({sp.id, sp.app_id}),
                          "ServicePrincipal", replace(sp, oauth2_permission_scopes=builtin.scopes if builtin
                                                      else sp.oauth2_permission_scopes)))
    return pool


def _named(plan: Plan, name: str, object_id: str, app_id: str, sp_id: str, scopes: Any) -> Named:
    view = replace(resource_view(plan.tenant_id, sp_id, app_id, name, ()), oauth2_permission_scopes=scopes)
    return Named("application", name, sp_id, frozenset({object_id, app_id, sp_id}), "ServicePrincipal", view)


def _prune(plan: Plan, declared: set[Key]) -> None:
    """Grants no entry declares, but those that go with an object the prune deletes and the admin app's."""
    admin = plan.snap.admin_sp_id
    for grant in plan.snap.grants:
        ends = {grant.client_id, grant.resource_id, grant.principal_id}
        if (grant.client_id, grant.resource_id, grant.principal_id) in declared or ends & plan.deleted \
                or admin in ends:
            continue
        plan.add("unconsent", f"remove the grant of {grant.scope or 'no scope'} on {plan.label(grant.resource_id)} "
                              f"to {plan.label(grant.client_id)} for "
                              f"{plan.label(grant.principal_id) if grant.principal_id else 'every user'}",
                 call(Directory.delete_grant, plan.tenant_id, grant.id))


def exported(grant: OAuth2PermissionGrant, principal_refs: dict[str, str],
             resource_refs: dict[str, str]) -> dict[str, Any]:
    """A grant as a consents entry: its ends by the names that resolve to them, and its scopes."""
    entry: dict[str, Any] = {"client": principal_refs.get(grant.client_id, grant.client_id),
                             "resource": resource_refs.get(grant.resource_id, grant.resource_id),
                             "scopes": list(grant.scopes)}
    if grant.principal_id is None:
        entry["consentType"] = "AllPrincipals"
    else:
        entry["principal"] = principal_refs.get(grant.principal_id, grant.principal_id)
    return entry
