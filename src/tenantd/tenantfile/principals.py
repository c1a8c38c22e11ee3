"""Planning managed identities, users and groups: match by pin or name, then create or update."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..directory import Directory
from ..directory.passwords import verify
from ..directory.people import PasswordProfile
from ..domain.ids import new_guid
from ..domain.model import ServicePrincipal
from ..domain.passwords import check_complexity
from .changes import call, update_group
from .checks import identity_resource_id
from .credentials import plan_federated
from .document import Path
from .names import Named, resource_view
from .state import Plan


def plan_identity(plan: Plan, path: Path, entry: dict[str, Any]) -> None:
    name, kind = entry["name"], entry["type"]
    resource_id = identity_resource_id(entry)
    sp_pin = entry.get("servicePrincipal", {}).get("id", "").lower()
    client_pin = entry.get("clientId", "").lower()
    existing = _match_identity(plan, path, entry, sp_pin, client_pin)
    if existing is not None:
        if (existing.managed_identity_kind, existing.managed_identity_resource_id) != (kind, resource_id):
            plan.problem(path, f"managed identity '{name}' exists as {existing.managed_identity_kind} on "
                               f"{existing.managed_identity_resource_id}; an identity cannot move: remove it "
                               "first (or apply with prune without it)")
        if existing.managed_identity_name != name:
            plan.problem((*path, "name"), f"the pinned identity is named '{existing.managed_identity_name}'; "
                                           "an identity cannot be renamed")
        sp_id, client_id = existing.id, existing.app_id
    else:
        sp_id, client_id = sp_pin or new_guid(), client_pin or new_guid()
        if sp_pin:
            plan.free_object_id((*path, "servicePrincipal", "id"), sp_id)
        if client_pin:
            plan.free_app_id((*path, "clientId"), client_id)
        plan.add("identity", f"create managed identity '{name}' ({kind}, clientId {client_id})",
                 call(Directory.create_managed_identity, plan.tenant_id, name, kind, resource_id,
                      object_id=sp_id, client_id=client_id))
    plan.named.append(Named("managed identity", name, sp_id, frozenset({sp_id, client_id}), "ServicePrincipal",
                            resource_view(plan.tenant_id, sp_id, client_id, name, ())))
    _host_free(plan, path, resource_id, existing)
    if "attachedTo" in entry:
        _plan_attachments(plan, name, sp_id, entry["attachedTo"], existing)
    if "federatedIdentityCredentials" in entry:
        plan_federated(plan, path, entry["federatedIdentityCredentials"], sp_id, "managedIdentity",
                       f"managed identity '{name}'", plan.snap.federated.get(sp_id, []))


def _plan_attachments(plan: Plan, name: str, sp_id: str, hosts: list[str],
                      existing: ServicePrincipal | None) -> None:
    """Attach a user-assigned identity to the hosts the file lists; with prune, detach the others."""
    current = plan.snap.attachments.get(existing.id, []) if existing else []
    for host in hosts:
        if host not in current:
            plan.add("identity", f"attach managed identity '{name}' to {host}",
                     call(Directory.attach, plan.tenant_id, sp_id, host))
    if plan.prune:
        for host in current:
            if host not in hosts:
                plan.add("unassign", f"detach managed identity '{name}' from {host}",
                         call(Directory.detach, plan.tenant_id, sp_id, host))


def _match_identity(plan: Plan, path: Path, entry: dict[str, Any], sp_pin: str,
                    client_pin: str) -> ServicePrincipal | None:
    found = None
    for pin, key, attr in ((sp_pin, ("servicePrincipal", "id"), "id"), (client_pin, ("clientId",), "app_id")):
        if not pin:
            continue
        hit = next((sp for sp in plan.snap.service_principals if getattr(sp, attr) == pin), None)
        if hit is not None and hit.service_principal_type != "ManagedIdentity":
            plan.problem(path + key, f"{pin} belongs to service principal '{hit.display_name}', "
                                     "which is not a managed identity")
            return None
        if hit is not None and found is not None and hit is not found:
            plan.problem(path + key, f"the pins name two identities: '{found.display_name}' and "
                                     f"'{hit.display_name}'")
            return None
        found = found or hit
    if found is None and not (sp_pin or client_pin):
        found = plan.by_name(path, entry["name"],
                             [sp for sp in plan.snap.identities if sp.managed_identity_name == entry["name"]],
                             "managed identities", lambda sp: f"{sp.id} (clientId {sp.app_id})")
    if found is not None:
        plan.claimed.add(found.id)
    return found


def _host_free(plan: Plan, path: Path, resource_id: str, existing: ServicePrincipal | None) -> None:
    """A resource id holds one identity; one that the prune removes first is free."""
    for other in plan.snap.identities:
        if (other is not existing and (other.managed_identity_resource_id or "").lower() == resource_id.lower()
                and not (plan.prune and other.id not in plan.claimed)):
            plan.problem(path, f"managed identity '{other.managed_identity_name}' ({other.id}) already has "
                               f"the resource id {resource_id}")


def plan_user(plan: Plan, path: Path, entry: dict[str, Any]) -> None:
    upn = entry["userPrincipalName"]
    pinned = entry.get("id", "").lower()
    by_upn = next((u for u in plan.snap.users if u.user_principal_name.casefold() == upn.casefold()), None)
    existing = next((u for u in plan.snap.users if u.id == pinned), None) if pinned else by_upn
    if pinned and existing is not None and existing is not by_upn:
        plan.problem((*path, "userPrincipalName"), f"user {pinned} is '{existing.user_principal_name}'; "
                                                    "a userPrincipalName cannot change here")
        return
    if pinned and existing is None and by_upn is not None:
        plan.problem((*path, "id"), f"user '{by_upn.user_principal_name}' exists with id {by_upn.id}; "
                                     "an id cannot change")
        return
    enabled = entry.get("accountEnabled", True)
    password = _declared_password(plan, path, entry)
    if existing is None:
        user_id = pinned or new_guid()
        if pinned:
            plan.free_object_id((*path, "id"), user_id)
        plan.add("user", f"create user '{upn}'{' with a password' if password else ''}", call(
            Directory.create_user, plan.tenant_id, upn, entry["displayName"], object_id=user_id,
            account_enabled=enabled, password=password))
    else:
        plan.claimed.add(existing.id)
        user_id = existing.id
        changes: dict[str, Any] = {}
        if entry["displayName"] != existing.display_name:
            changes["displayName"] = entry["displayName"]
        if "accountEnabled" in entry and enabled != existing.account_enabled:
            changes["accountEnabled"] = enabled
        if changes:
            plan.add("user", f"update user '{upn}': {', '.join(changes)}",
                     call(Directory.update_user, plan.tenant_id, user_id, changes))
        stored = plan.snap.password_hashes.get(user_id)
        if password is not None and (stored is None or not verify(stored, password.password)):
            plan.add("user", f"set the password of user '{upn}'",
                     call(Directory.set_password, plan.tenant_id, user_id, password))
    plan.named.append(Named("user", upn, user_id, frozenset({user_id}), "User"))


def _declared_password(plan: Plan, path: Path, entry: dict[str, Any]) -> PasswordProfile | None:
    """The password the entry's reference resolved to, if it has one and Entra's policy accepts it.

    Whether it changed is known by verifying it against the stored hash: nothing but the hash is kept, so
    no fingerprint of the plain text (faster to guess against than argon2id) is stored anywhere, and a
    password reset since the last apply (by Graph or the CLI) is set back to the file's.
    """
    if "password" not in entry:
        return None
    value = plan.doc.passwords.get(path)
    if value is None:
        plan.problem((*path, "password"), "the value of this password reference did not come with the file "
                                          "(tenantd apply reads it from the environment or the file and sends it)")
        return None
    if plan.rule((*path, "password"), check_complexity, value) is None:
        return None
    return PasswordProfile(value)


def plan_group(plan: Plan, path: Path, entry: dict[str, Any]) -> Named:
    name = entry["displayName"]
    pinned = entry.get("id", "").lower()
    if pinned:
        existing = next((g for g in plan.snap.groups if g.id == pinned), None)
    else:
        existing = plan.by_name(path, name, [g for g in plan.snap.groups if g.display_name == name],
                                "groups", lambda g: g.id)
    if existing is None:
        group_id = pinned or new_guid()
        if pinned:
            plan.free_object_id((*path, "id"), group_id)
        plan.add("group", f"create group '{name}'", call(
            Directory.create_group, plan.tenant_id, name, entry.get("description"), object_id=group_id))
    else:
        plan.claimed.add(existing.id)
        group_id = existing.id
        updated = replace(existing, display_name=name,
                          description=entry.get("description", existing.description))
        if updated != existing:
            fields = [k for k, old, new in (("displayName", existing.display_name, name),
                                            ("description", existing.description, updated.description))
                      if old != new]
            plan.add("group", f"update group '{name}': {', '.join(fields)}",
                     update_group(updated))
    named = Named("group", name, group_id, frozenset({group_id}), "Group")
    plan.named.append(named)
    return named
