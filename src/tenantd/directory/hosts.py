"""Hosts of managed identities (an App Service site, a VM): which identities each may use, and the
sessions through which a running host gets their tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from ..domain import audit, rules
from ..domain.errors import BadRequest, NotFound
from ..domain.model import Host, ServicePrincipal
from .impersonation import holds_directory_roles, privileged_principal
from .unit import UnitOfWork, iso, must_exist


class Hosts(UnitOfWork):
    """Hosts, their identities and their sessions."""

    def host(self, tenant_id: str, resource_id: str) -> Host:
        """A host with its system-assigned identity and the user-assigned ones attached to it."""
        with self.store.read() as tx:
            return tx.host(tenant_id, resource_id)

    def hosts_of(self, identity: ServicePrincipal) -> list[str]:
        """Hosts that may use a managed identity: its own (system-assigned) or those it is attached to."""
        if identity.managed_identity_kind == "SystemAssigned":
            return [identity.managed_identity_resource_id or ""]
        with self.store.read() as tx:
            return tx.hosts_of(identity.id)

    def hosts_of_each(self, identities: list[ServicePrincipal]) -> dict[str, list[str]]:
        """:meth:`hosts_of` for a page of identities, in one query (a list page would otherwise read once per
        user-assigned identity)."""
        attached = [i.id for i in identities if i.managed_identity_kind != "SystemAssigned"]
        found: dict[str, list[str]] = {}
        if attached:
            with self.store.read() as tx:
                found = tx.hosts_of_each(attached)
        return {i.id: [i.managed_identity_resource_id or ""] if i.managed_identity_kind == "SystemAssigned"
                else found.get(i.id, []) for i in identities}

    def attach(self, tenant_id: str, identity_id: str, host_resource_id: str) -> None:
        """Attach a user-assigned identity to a host (as assigning it to an App Service site does)."""
        rules.host_resource_id(host_resource_id)
        with self.store.write() as tx:
            sp = must_exist(tx.service_principal(tenant_id, identity_id), identity_id)
            if sp.managed_identity_kind != "UserAssigned":
                raise BadRequest(f"'{sp.display_name}' is not a user-assigned managed identity.")
            if sp.id in {i.id for i in tx.attached_identities(tenant_id, host_resource_id)}:
                return
            tx.attach(tenant_id, host_resource_id, sp.id)
            self._record(tx, tenant_id, _host_change("Attach managed identity to host", "Assign", sp,
                                                     host_resource_id))

    def detach(self, tenant_id: str, identity_id: str, host_resource_id: str) -> None:
        with self.store.write() as tx:
            if not tx.detach(tenant_id, host_resource_id, identity_id):
                raise NotFound(f"Identity '{identity_id}' is not attached to '{host_resource_id}'.")
            sp = tx.service_principal(tenant_id, identity_id)
            if sp is not None:
                self._record(tx, tenant_id, _host_change("Detach managed identity from host", "Unassign", sp,
                                                         host_resource_id))

    def open_host_session(self, tenant_id: str, host_resource_id: str, lifetime: timedelta, *,
                          caller_is_admin: bool = False) -> str:
        """A new secret for a running host: its identity header, MSI secret and IMDS path prefix.

        256 bits in lowercase hex: as a path prefix it must come back unchanged from clients that lowercase
        the URL they build (msal-node), percent-encode it or split it at slashes.

        It lets a process act as the host's identities, so a host one of whose identities holds a role on an
        API that manages the directory needs a caller that may administer the tenant (``caller_is_admin``);
        a refusal is audited too."""
        host = self.host(tenant_id, host_resource_id)
        if not host.identities:
            raise BadRequest(f"No managed identity is bound to or attached to host '{host_resource_id}'.")
        if not caller_is_admin:
            with self.store.read() as tx:
                held = [sp.display_name for sp in host.identities if holds_directory_roles(tx, tenant_id, [sp.id])]
            if held:
                refusal = privileged_principal(held)
                self.record(tenant_id, _host_session("Open host session", "Add", host, None, refusal.message))
                raise refusal
        secret = secrets.token_hex(32)
        now = datetime.now(UTC)
        with self.store.write() as tx:
            tx.delete_expired_host_credentials(iso(now))
            tx.insert_host_credential(self.hash_secret(secret), tenant_id, host_resource_id, iso(now),
                                      iso(now + lifetime))
            self._record(tx, tenant_id, _host_session("Open host session", "Add", host, iso(now + lifetime)))
        return secret

    def close_host_session(self, tenant_id: str, secret: str) -> None:
        """End a host session of ``tenant_id``. A secret of no session of this tenant changes nothing, the same
        whether it is unknown or another tenant's."""
        with self.store.write() as tx:
            found = tx.host_credential(self.hash_secret(secret))
            if found is None or found[0] != tenant_id:
                return
            _, host_resource_id, expires = found
            if tx.delete_host_credential(self.hash_secret(secret)):
                self._record(tx, tenant_id, _host_session("Close host session", "Delete",
                                                          tx.host(tenant_id, host_resource_id), expires))


def _host_change(activity: str, operation: str, sp: ServicePrincipal, host_resource_id: str) -> audit.Entry:
    attached = audit.Change("AttachedTo", None, host_resource_id)
    if operation == "Unassign":
        attached = audit.Change("AttachedTo", host_resource_id, None)
    return audit.Entry(activity, "ApplicationManagement", operation, (
        audit.Target(sp.id, sp.display_name, "ServicePrincipal", (attached,)),
        audit.Target(host_resource_id, host_resource_id, "Host")))


def _host_session(activity: str, operation: str, host: Host, expires: str | None,
                  refused: str | None = None) -> audit.Entry:
    """A host session lets a process get tokens as the host's identities: it is impersonation."""
    until = audit.Change("SessionExpiresDateTime", None, expires)
    if operation == "Delete":
        until = audit.Change("SessionExpiresDateTime", expires, None)
    return audit.Entry(activity, "Impersonation", operation, (
        audit.Target(host.resource_id, host.resource_id, "Host", (until,)),
        *(audit.Target(sp.id, sp.display_name, "ServicePrincipal") for sp in host.identities)),
        "failure" if refused else "success", refused)
