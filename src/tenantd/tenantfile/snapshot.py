"""The tenant as it stands, read in one transaction: what a plan compares the file with, and what export writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..domain import builtins
from ..domain.directory_roles import RoleAssignment
from ..domain.errors import NotFound
from ..domain.model import (
    Application,
    AppRoleAssignment,
    FederatedCredential,
    Group,
    OAuth2PermissionGrant,
    ServicePrincipal,
    Tenant,
    User,
)
from ..domain.sign_in_state import Domain
from ..domain.subscriptions import Subscription
from ..store import Tx

BUILTIN_APP_IDS = builtins.BUILTIN_APP_IDS


@dataclass(frozen=True)
class Snapshot:
    tenant: Tenant
    applications: list[Application]
    service_principals: list[ServicePrincipal]
    users: list[User]
    groups: list[Group]
    members: dict[str, list[tuple[str, str]]]   # group id -> (member id, member type)
    assignments: list[AppRoleAssignment]
    admin_app_id: str | None
    attachments: dict[str, list[str]]           # user-assigned identity's SP id -> host resource ids
    # application or user-assigned identity id -> its federated identity credentials
    federated: dict[str, list[FederatedCredential]] = field(default_factory=dict)
    # Of the ids a file pins, those some object of any tenant holds (ids are unique across tenants).
    taken_object_ids: frozenset[str] = frozenset()
    taken_app_ids: frozenset[str] = frozenset()
    # user id -> the hash of the user's password, for users who have one (never shown)
    password_hashes: dict[str, str] = field(default_factory=dict, repr=False)
    domains: list[Domain] = field(default_factory=list)
    # Of the domain names a file declares, those another tenant has verified (a domain has one tenant).
    foreign_domains: frozenset[str] = frozenset()
    grants: list[OAuth2PermissionGrant] = field(default_factory=list)   # delegated permission grants
    role_assignments: list[RoleAssignment] = field(default_factory=list)   # directory roles held
    subscriptions: list[Subscription] = field(default_factory=list)
    # Of the subscription ids a file declares, those another tenant holds.
    foreign_subscriptions: frozenset[str] = frozenset()

    def is_admin_app(self, app: Application) -> bool:
        return app.app_id == self.admin_app_id

    def is_protected_sp(self, sp: ServicePrincipal) -> bool:
        """Built-in service principals and the admin app's: no tenant file manages or removes them."""
        return sp.app_id in BUILTIN_APP_IDS or sp.app_id == self.admin_app_id

    @property
    def admin_sp_id(self) -> str | None:
        return next((sp.id for sp in self.service_principals if sp.app_id == self.admin_app_id), None)

    def sp_of(self, app: Application) -> ServicePrincipal | None:
        return next((sp for sp in self.service_principals if sp.app_id == app.app_id), None)

    @property
    def identities(self) -> list[ServicePrincipal]:
        return [sp for sp in self.service_principals if sp.service_principal_type == "ManagedIdentity"]

    @property
    def builtin_sps(self) -> list[ServicePrincipal]:
        return [sp for sp in self.service_principals if sp.app_id in BUILTIN_APP_IDS]


def read_snapshot(tx: Tx, tenant_id: str, pinned: Iterable[str] = (), domains: Iterable[str] = (),
                  subscriptions: Iterable[str] = ()) -> Snapshot:
    """The tenant, which of the ``pinned`` ids are taken in any tenant, and which of the ``domains`` and
    ``subscriptions`` another tenant holds."""
    tenant = tx.tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"Tenant '{tenant_id}' not found.")
    groups = tx.groups(tenant.id)
    service_principals = tx.service_principals(tenant.id)
    applications = tx.applications(tenant.id)
    owners = [a.id for a in applications] + [sp.id for sp in service_principals
                                             if sp.managed_identity_kind == "UserAssigned"]
    users = tx.users(tenant.id)
    return Snapshot(
        tenant=tenant,
        applications=applications,
        service_principals=service_principals,
        users=users,
        groups=groups,
        members={g.id: tx.group_members(g.id) for g in groups},
        assignments=tx.assignments(tenant.id),
        admin_app_id=tx.setting(f"admin_app:{tenant.id}"),  # written by bootstrap.admin_app_id
        attachments={sp.id: tx.hosts_of(sp.id) for sp in service_principals
                     if sp.managed_identity_kind == "UserAssigned"},
        federated={owner: found for owner in owners if (found := tx.federated_credentials(owner))},
        taken_object_ids=frozenset(i for i in pinned if tx.object_id_taken(i)),
        taken_app_ids=frozenset(i for i in pinned if tx.app_id_taken(i)),
        password_hashes={u.id: stored.hash for u in users if (stored := tx.password_of(u.id)) is not None},
        domains=tx.domains(tenant.id),
        foreign_domains=frozenset(name for name in domains
                                  if (holder := tx.domain(name)) is not None and holder.tenant_id != tenant.id),
        grants=tx.grants(tenant.id),
        role_assignments=tx.role_assignments(tenant.id),
        subscriptions=tx.subscriptions(tenant.id),
        foreign_subscriptions=frozenset(key for key in subscriptions if (held := tx.subscription(key)) is not None
                                        and held.tenant_id != tenant.id),
    )
