"""Export: the tenant as a tenant file document (a dict for the caller to write as YAML).

Built-in service principals and the admin app are left out; secrets appear as metadata only (certificates
as their public part, which is no secret).
Every object carries its ids, so applying the export to the same tenant changes nothing.
"""

from __future__ import annotations

import base64
from operator import attrgetter
from typing import Any, TypeVar

import yaml

from ..domain.ids import DEFAULT_ACCESS_ROLE_ID
from ..domain.model import Application, FederatedCredential, ServicePrincipal
from ..store import Store
from .names import Named, named_objects, reference
from .snapshot import Snapshot, read_snapshot

T = TypeVar("T")


def dump_yaml(document: dict[str, Any]) -> str:
    """A document as tenant file YAML, fields in the file's own order."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)


def export_tenant(store: Store, tenant_id: str) -> dict[str, Any]:
    with store.read() as tx:
        snap = read_snapshot(tx, tenant_id)
    return export_snapshot(snap)


def export_snapshot(snap: Snapshot) -> dict[str, Any]:
    named = named_objects(snap)
    by_id = {n.id: n for n in named}
    principals = named
    resources = [n for n in named if n.resource is not None]

    def ref(object_id: str, pool: list[Named]) -> str:
        target = by_id.get(object_id)
        return reference(target, pool) if target is not None else object_id

    admin = snap.admin_sp_id
    assignments = [
        {"principal": ref(a.principal_id, principals), "resource": ref(a.resource_id, resources),
         "role": _role(by_id.get(a.resource_id), a.app_role_id)}
        for a in snap.assignments if admin not in (a.principal_id, a.resource_id)
    ]
    return {
        "tenant": {"id": snap.tenant.id, "name": snap.tenant.name},
        "applications": [_application(app, snap.sp_of(app), snap.federated.get(app.id, []))
                         for app in _sorted(snap.applications, "display_name") if not snap.is_admin_app(app)],
        "managedIdentities": [_identity(sp, snap.attachments.get(sp.id, []), snap.federated.get(sp.id, []))
                              for sp in _sorted(snap.identities, "display_name")],
        "users": [{"userPrincipalName": u.user_principal_name, "displayName": u.display_name, "id": u.id,
                   "accountEnabled": u.account_enabled} for u in _sorted(snap.users, "user_principal_name")],
        "groups": [
            {"displayName": g.display_name, "id": g.id,
             **({"description": g.description} if g.description is not None else {}),
             "members": sorted((ref(m, principals) for m, _ in snap.members.get(g.id, []) if m != admin),
                               key=str.casefold)}
            for g in _sorted(snap.groups, "display_name")
        ],
        "assignments": sorted(assignments, key=lambda a: (a["resource"].casefold(), a["principal"].casefold(),
                                                          a["role"].casefold())),
    }


def _sorted(objects: list[T], attr: str) -> list[T]:
    """By name, then id: a stable order that diffs well."""
    name, object_id = attrgetter(attr), attrgetter("id")
    return sorted(objects, key=lambda o: (str(name(o)).casefold(), str(object_id(o))))


def _application(app: Application, sp: ServicePrincipal | None,
                 federated: list[FederatedCredential]) -> dict[str, Any]:
    return {
        "displayName": app.display_name,
        "id": app.id,
        "appId": app.app_id,
        "identifierUris": list(app.identifier_uris),
        "accessTokenAcceptedVersion": app.requested_access_token_version,
        "appRoles": [role.to_graph() for role in app.app_roles],
        "servicePrincipal": False if sp is None else {
            "id": sp.id, "appRoleAssignmentRequired": sp.app_role_assignment_required,
            "accountEnabled": sp.account_enabled,
        },
        "passwordCredentials": [
            {**({"displayName": c.display_name} if c.display_name is not None else {}),
             "keyId": c.key_id, "hint": c.hint, "startDateTime": c.start, "endDateTime": c.end}
            for c in app.password_credentials
        ],
        "keyCredentials": [
            {"displayName": k.display_name, "keyId": k.key_id, "key": base64.b64encode(k.certificate).decode("ascii"),
             "startDateTime": k.start, "endDateTime": k.end}
            for k in app.key_credentials
        ],
        "federatedIdentityCredentials": [_federated(c) for c in federated],
    }


def _identity(sp: ServicePrincipal, hosts: list[str], federated: list[FederatedCredential]) -> dict[str, Any]:
    where = "host" if sp.managed_identity_kind == "SystemAssigned" else "resourceId"
    entry: dict[str, Any] = {"name": sp.managed_identity_name or sp.display_name, "type": sp.managed_identity_kind,
                             where: sp.managed_identity_resource_id}
    if hosts:
        entry["attachedTo"] = hosts
    entry.update({"clientId": sp.app_id, "servicePrincipal": {"id": sp.id}})
    if federated:
        entry["federatedIdentityCredentials"] = [_federated(c) for c in federated]
    return entry


def _federated(cred: FederatedCredential) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": cred.name, "issuer": cred.issuer, "subject": cred.subject,
                             "audiences": list(cred.audiences)}
    if cred.description is not None:
        entry["description"] = cred.description
    return entry


def _role(resource: Named | None, role_id: str) -> str:
    """A role's value when it has one (values are unique per application), else its id."""
    if role_id == DEFAULT_ACCESS_ROLE_ID or resource is None or resource.resource is None:
        return role_id
    role = resource.resource.role(role_id)
    return role.value if role is not None and role.value else role_id
