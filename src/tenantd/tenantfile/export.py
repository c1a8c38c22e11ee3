"""Export: the tenant as a tenant file document (a dict for the caller to write as YAML).

Built-in service principals and the admin app are left out; secrets appear as metadata only (certificates
as their public part, which is no secret).
Every object carries its ids, so applying the export to the same tenant changes nothing.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from operator import attrgetter
from typing import Any, TypeVar

import yaml

from ..domain.errors import NotFound
from ..domain.ids import DEFAULT_ACCESS_ROLE_ID, is_guid
from ..domain.model import Application, FederatedCredential, ServicePrincipal, Tenant
from ..domain.sign_in_state import Domain
from ..store import Store, Tx
from .consents import exported as exported_consent
from .directory_roles import exported as exported_roles
from .directory_roles import held_by
from .names import Named, named_app, named_group, named_identity, named_objects, named_user
from .registration import exported as exported_settings
from .snapshot import BUILTIN_APP_IDS, Snapshot, read_snapshot
from .subscriptions import exported_subscriptions

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
    everyone, resources = NameCounts(), NameCounts()
    for n in named:
        everyone.add(n)
        if n.resource is not None:
            resources.add(n)
    principal_refs = {n.id: everyone.reference(n) for n in named}
    resource_refs = {n.id: resources.reference(n) for n in named if n.resource is not None}

    admin = snap.admin_sp_id
    roles = held_by(snap.role_assignments)
    assignments = [
        {"principal": principal_refs.get(a.principal_id, a.principal_id),
         "resource": resource_refs.get(a.resource_id, a.resource_id),
         "role": _role(by_id.get(a.resource_id), a.app_role_id)}
        for a in snap.assignments if admin not in (a.principal_id, a.resource_id)
    ]
    return {
        "tenant": _tenant(snap.tenant, snap.domains, exported_subscriptions(snap.subscriptions, principal_refs)),
        "applications": [_application(app, snap.sp_of(app), snap.federated.get(app.id, []))
                         for app in _sorted(snap.applications, "display_name") if not snap.is_admin_app(app)],
        "managedIdentities": [_identity(sp, snap.attachments.get(sp.id, []), snap.federated.get(sp.id, []))
                              for sp in _sorted(snap.identities, "display_name")],
        "users": [{"userPrincipalName": u.user_principal_name, "displayName": u.display_name, "id": u.id,
                   "accountEnabled": u.account_enabled, **exported_roles(roles.get(u.id, ()))}
                  for u in _sorted(snap.users, "user_principal_name")],
        "groups": [
            {"displayName": g.display_name, "id": g.id,
             **({"description": g.description} if g.description is not None else {}),
             "members": sorted((principal_refs.get(m, m) for m, _ in snap.members.get(g.id, []) if m != admin),
                               key=str.casefold)}
            for g in _sorted(snap.groups, "display_name")
        ],
        "assignments": sorted(assignments, key=lambda a: (a["resource"].casefold(), a["principal"].casefold(),
                                                          a["role"].casefold())),
        "consents": sorted((exported_consent(g, principal_refs, resource_refs) for g in snap.grants
                            if admin != g.client_id), key=_consent_order),
    }


def _consent_order(entry: dict[str, Any]) -> tuple[str, str, str]:
    return entry["resource"].casefold(), entry["client"].casefold(), entry.get("principal", "").casefold()


def _tenant(tenant: Tenant, domains: list[Domain], subscriptions: list[dict[str, Any]]) -> dict[str, Any]:
    """The tenant entry: its custom domains and its subscriptions, when it has any (the initial domain comes
    with the tenant)."""
    custom = sorted(d.name for d in domains if not d.is_initial)
    return {"id": tenant.id, "name": tenant.name, **({"domains": custom} if custom else {}),
            **({"subscriptions": subscriptions} if subscriptions else {})}


class NameCounts:
    """How many objects of a pool answer to each name, so that :meth:`reference` picks what
    :func:`~tenantd.tenantfile.names.reference` would (the name when it resolves to this object alone, else
    the id) without a pass over the pool per reference."""

    def __init__(self) -> None:
        self.names: Counter[str] = Counter()    # non-users answer to their exact name
        self.users: Counter[str] = Counter()    # users to their userPrincipalName in any case

    def add(self, named: Named) -> None:
        if named.kind == "user":
            self.users[named.name.casefold()] += 1
        else:
            self.names[named.name] += 1

    def reference(self, named: Named) -> str:
        if is_guid(named.name):   # a GUID-shaped name answers to ids: it stands for this object if it is its own
            return named.name if named.name.lower() in named.ids else named.id
        hits = self.names[named.name] + self.users[named.name.casefold()]
        return named.name if hits == 1 else named.id


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
        **exported_settings(app),
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


# -- streaming: a large tenant, section by section ------------------------------------------------------------
SECTIONS = ("applications", "managedIdentities", "users", "groups", "assignments", "consents")
SMALL_TENANT = 20_000   # objects and assignments; up to this many, the export is built whole (as above)
BATCH = 500


def stream_tenant(store: Store, tenant_id: str, small: int = SMALL_TENANT) -> Iterator[tuple[str, Any]]:
    """The export as ("total", about how many entries), ("tenant", {...}) and then (section, entry) pairs in
    document order, every section's entries in a row (a section without entries yields nothing). A tenant of
    up to ``small``
    objects is exported whole; a larger one is read in batches, holding only each named object's reference
    and its roles' values, so a million assignments never sit in memory at once."""
    with store.read() as tx:
        if tx.tenant(tenant_id) is None:
            raise NotFound(f"Tenant '{tenant_id}' not found.")
        counts = {kind: tx.count(kind, tenant_id, ()) for kind in ("applications", "service_principals", "users",
                                                                  "groups", "assignments")}
        yield "total", sum(counts.values()) - counts["applications"]   # about the number of entries
        if sum(counts.values()) <= small:
            document = export_snapshot(read_snapshot(tx, tenant_id))
            yield "tenant", document["tenant"]
            for section in SECTIONS:
                for entry in document[section]:
                    yield section, entry
            return
        yield from _Streamer(tx, tenant_id).run()


class _Streamer:
    """A large tenant's export, read in batches within one transaction."""

    def __init__(self, tx: Tx, tenant_id: str) -> None:
        self.tx, self.tenant_id = tx, tenant_id
        self.admin_app_id = tx.setting(f"admin_app:{tenant_id}")
        self.admin_sp_id: str | None = None
        self.principal_refs: dict[str, str] = {}
        self.resource_refs: dict[str, str] = {}
        self.role_values: dict[str, dict[str, str]] = {}   # resource id -> role id -> value

    def batches(self, kind: Any, **equals: Any) -> Iterator[list[Any]]:
        after: tuple[str, str] | None = None
        while True:
            found = self.tx.by_name(kind, self.tenant_id, after, BATCH, **equals)
            if not found:
                return
            if kind == "applications":
                found.sort(key=lambda a: (a.display_name.casefold(), a.id))
            yield found
            last = found[-1]
            after = (last.user_principal_name.lower() if kind == "users" else last.display_name.casefold(), last.id)

    def named(self) -> Iterator[Named]:
        """Every object a reference can name, as :func:`named_objects` lists them, one batch at a time."""
        for apps in self.batches("applications"):
            sps = {sp.app_id: sp for sp in self.tx.service_principals_of(self.tenant_id, [a.app_id for a in apps])}
            for app in apps:
                if app.app_id == self.admin_app_id:
                    self.admin_sp_id = sps[app.app_id].id if app.app_id in sps else None
                    continue
                sp = sps.get(app.app_id)
                yield named_app(self.tenant_id, app.display_name, app.id, app.app_id, sp.id if sp else None,
                                app.app_roles)
        for sps_batch in self.batches("service_principals"):
            for sp in sps_batch:
                if sp.service_principal_type == "ManagedIdentity":
                    yield named_identity(sp)
                elif sp.app_id in BUILTIN_APP_IDS:
                    yield Named("service principal", sp.display_name, sp.id, frozenset({sp.id, sp.app_id}),
                                "ServicePrincipal", sp)
        for users in self.batches("users"):
            yield from (named_user(u) for u in users)
        for groups in self.batches("groups"):
            yield from (named_group(g) for g in groups)

    def index(self) -> None:
        """Each named object's reference in both pools (principals, resources), as export_snapshot picks it:
        one pass to count the names, one to pick."""
        everyone, resources = NameCounts(), NameCounts()
        for n in self.named():
            everyone.add(n)
            if n.resource is not None:
                resources.add(n)
        for n in self.named():
            self.principal_refs[n.id] = everyone.reference(n)
            if n.resource is not None:
                self.resource_refs[n.id] = resources.reference(n)
                roles = {r.id: r.value for r in n.resource.app_roles if r.value is not None}
                if roles:
                    self.role_values[n.id] = roles

    def run(self) -> Iterator[tuple[str, Any]]:
        tenant = self.tx.tenant(self.tenant_id)
        assert tenant is not None
        self.index()
        yield "tenant", _tenant(tenant, self.tx.domains(self.tenant_id),
                                exported_subscriptions(self.tx.subscriptions(self.tenant_id), self.principal_refs))
        for apps in self.batches("applications"):
            sps = {sp.app_id: sp for sp in self.tx.service_principals_of(self.tenant_id, [a.app_id for a in apps])}
            federated = self.tx.federated_credentials_of_each([a.id for a in apps])
            for app in apps:
                if app.app_id != self.admin_app_id:
                    yield "applications", _application(app, sps.get(app.app_id), federated.get(app.id, []))
        for identities in self.batches("service_principals", service_principal_type="ManagedIdentity"):
            ids = [sp.id for sp in identities]
            hosts, federated = self.tx.hosts_of_each(ids), self.tx.federated_credentials_of_each(ids)
            for sp in identities:
                yield "managedIdentities", _identity(sp, hosts.get(sp.id, []), federated.get(sp.id, []))
        for users in self.batches("users"):
            held_roles = self.tx.role_template_ids([u.id for u in users])
            for u in users:
                yield "users", {"userPrincipalName": u.user_principal_name, "displayName": u.display_name,
                                "id": u.id, "accountEnabled": u.account_enabled,
                                **exported_roles(held_roles.get(u.id, ()))}
        for groups in self.batches("groups"):
            for g in groups:
                members = [self.principal_refs.get(m, m) for m, _ in self.tx.group_members(g.id)
                           if m != self.admin_sp_id]
                yield "groups", {"displayName": g.display_name, "id": g.id,
                                 **({"description": g.description} if g.description is not None else {}),
                                 "members": sorted(members, key=str.casefold)}
        resources = [(self.resource_refs.get(rid, rid), rid) for rid in self.tx.assigned_resource_ids(self.tenant_id)
                     if rid != self.admin_sp_id]
        for resource, resource_id in sorted(resources, key=lambda pair: pair[0].casefold()):
            roles = self.role_values.get(resource_id, {})
            entries = [{"principal": self.principal_refs.get(a.principal_id, a.principal_id), "resource": resource,
                        "role": roles.get(a.app_role_id, a.app_role_id)}
                       for a in self.tx.assignments(self.tenant_id, resource_id=resource_id)
                       if a.principal_id != self.admin_sp_id]
            entries.sort(key=lambda e: (e["principal"].casefold(), e["role"].casefold()))
            for entry in entries:
                yield "assignments", entry
        consents = [(self.resource_refs.get(rid, rid), rid) for rid in self.tx.granted_resource_ids(self.tenant_id)]
        for _, resource_id in sorted(consents, key=lambda pair: pair[0].casefold()):
            grants = [exported_consent(g, self.principal_refs, self.resource_refs)
                      for g in self.tx.grants(self.tenant_id, resource_id=resource_id)
                      if g.client_id != self.admin_sp_id]
            for entry in sorted(grants, key=_consent_order):
                yield "consents", entry

