"""Planning an apply: compare a validated file with the tenant, check everything the directory would
check, and list the changes in the order they run. Nothing is written here; a plan with any problem
raises :class:`TenantFileError` whole.

Matching: an entry is the existing object its pinned id names; unpinned, the existing object of its
name (applications and groups by displayName, identities by name, users by userPrincipalName). A field
the file omits is left as it is; a field it declares is set exactly. Links (assignments, members,
credentials, consents) are only added or changed, and objects only created or updated, unless ``prune`` is
asked for.
"""

from __future__ import annotations

from ..directory import Directory
from .apps import plan_application
from .changes import Change, call
from .consents import plan_consents
from .directory_roles import plan_directory_roles
from .document import Document
from .domains import plan_domains
from .errors import TenantFileError
from .links import check_role_removals, plan_assignments, plan_members, prune_assignments
from .names import builtin_named, named_app, named_group, named_identity, named_user
from .principals import plan_group, plan_identity, plan_user
from .registration import plan_required_access
from .snapshot import Snapshot
from .state import Plan
from .subscriptions import plan_subscriptions


def make_plan(doc: Document, snap: Snapshot, *, prune: bool) -> list[Change]:
    plan = Plan(doc, snap, prune)
    _check_tenant(plan)
    plan_domains(plan)
    for path, entry in plan.entries("applications"):
        plan_application(plan, path, entry)
    for path, entry in plan.entries("managedIdentities"):
        plan_identity(plan, path, entry)
    for path, entry in plan.entries("users"):
        plan_user(plan, path, entry)
    groups = [(path, entry, plan_group(plan, path, entry)) for path, entry in plan.entries("groups")]
    plan_directory_roles(plan)
    _unclaimed(plan)
    _check_uris(plan)
    plan_required_access(plan)
    for path, entry, group in groups:
        plan_members(plan, path, entry, group)
    declared = plan_assignments(plan)
    check_role_removals(plan, declared)
    if prune:
        prune_assignments(plan, declared)
    plan_consents(plan)
    plan_subscriptions(plan)
    if plan.problems:
        raise TenantFileError(plan.problems)
    return plan.ordered()


def _check_tenant(plan: Plan) -> None:
    pinned = (plan.doc.data.get("tenant") or {}).get("id")
    if pinned and pinned.lower() != plan.tenant_id:
        plan.problem(("tenant", "id"), f"the file is for tenant {pinned}, but this is tenant "
                                       f"'{plan.snap.tenant.name}' ({plan.tenant_id})")


def _unclaimed(plan: Plan) -> None:
    """Existing objects no entry matched: removed when pruning, otherwise still there to refer to."""
    snap, tid = plan.snap, plan.tenant_id
    for app in snap.applications:
        if app.id in plan.claimed or snap.is_admin_app(app):
            continue
        sp = snap.sp_of(app)
        if plan.prune:
            plan.delete(app.id, f"delete application '{app.display_name}' (appId {app.app_id})",
                        call(Directory.delete_application, tid, app.id))
            if sp is not None:
                plan.deleted.add(sp.id)
        else:
            plan.named.append(named_app(tid, app.display_name, app.id, app.app_id, sp.id if sp else None,
                                        app.app_roles))
    for sp in snap.identities:
        if sp.id in plan.claimed:
            continue
        if plan.prune:
            plan.delete(sp.id, f"delete managed identity '{sp.managed_identity_name}' (clientId {sp.app_id})",
                        call(Directory.delete_service_principal, tid, sp.id))
        else:
            plan.named.append(named_identity(sp))
    for user in snap.users:
        if user.id in plan.claimed:
            continue
        if plan.prune:
            plan.delete(user.id, f"delete user '{user.user_principal_name}'",
                        call(Directory.delete_user, tid, user.id))
        else:
            plan.named.append(named_user(user))
    for group in snap.groups:
        if group.id in plan.claimed:
            continue
        if plan.prune:
            plan.delete(group.id, f"delete group '{group.display_name}' ({group.id})",
                        call(Directory.delete_group, tid, group.id))
        else:
            plan.named.append(named_group(group))
    plan.named.extend(builtin_named(snap))


def _check_uris(plan: Plan) -> None:
    """identifierUris are unique in a tenant, built-in service principals' included."""
    owners: dict[str, str] = {}
    for sp in plan.snap.builtin_sps:
        for uri in sp.service_principal_names[1:]:
            owners[uri.lower()] = f"service principal '{sp.display_name}'"
    if not plan.prune:
        for app in plan.snap.applications:
            if app.id not in plan.claimed:
                for uri in app.identifier_uris:
                    owners[uri.lower()] = f"application '{app.display_name}'"
    for planned in plan.apps:
        for uri in planned.uris:
            if uri.lower() in owners:
                plan.problem((*planned.path, "identifierUris"), f"{uri} is already an identifier URI of "
                                                                 f"{owners[uri.lower()]}")
