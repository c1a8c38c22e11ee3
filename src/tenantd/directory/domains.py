"""Verified domains: the initial one every tenant is born with, and custom ones an administrator adds.

tenantd has no DNS to prove ownership with, so a domain is verified the moment it is added; as in Entra a
verified domain belongs to one tenant at a time, which is what lets a user principal name's domain name its
tenant (``/common/userrealm``).
"""

from __future__ import annotations

from ..domain import audit, domain_names
from ..domain.errors import BadRequest, NotFound
from ..domain.model import Tenant
from ..domain.sign_in_state import Domain
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, now_iso

SHOWN_USERS = 3   # user principal names a refused removal names


class Domains(UnitOfWork):
    """Listing, adding and removing a tenant's verified domains."""

    def domains(self, tenant_id: str) -> list[Domain]:
        with self.store.read() as tx:
            return tx.domains(tenant_id)

    def domain(self, tenant_id: str, name: str) -> Domain:
        """The tenant's domain ``name`` (any case); NotFound when the tenant has not verified it."""
        with self.store.read() as tx:
            return _own(tx, tenant_id, name)

    def verified_domain(self, name: str) -> Domain | None:
        """The verified domain ``name``, whichever tenant holds it (None for a name that is no DNS name)."""
        try:
            key = domain_names.domain_name(name)
        except BadRequest:
            return None
        with self.store.read() as tx:
            return tx.domain(key)

    def add_domain(self, tenant_id: str, name: str) -> Domain:
        """Add ``name`` to the tenant, verified at once; refused when this or another tenant holds it."""
        key = domain_names.custom_domain(name)
        added = Domain(tenant_id, key, is_initial=False, is_default=False, created=now_iso())
        with self.store.write() as tx:
            _free(tx, tenant_id, key)
            try:
                tx.insert_domain(added)
            except DuplicateKey:   # writers take turns, so only a store without that lock gets here
                raise BadRequest(f"The domain '{key}' is already verified.") from None
            self._record(tx, tenant_id, audit.domain(added, added=True))
        return added

    def remove_domain(self, tenant_id: str, name: str) -> Domain:
        """Remove a custom domain; refused for the initial and the default domain, and while a user's
        principal name is still in it (Entra asks for those to be changed or deleted first)."""
        with self.store.write() as tx:
            found = _own(tx, tenant_id, name)
            if found.is_initial or found.is_default:
                kind = "initial" if found.is_initial else "default"
                raise BadRequest(f"The {kind} domain '{found.name}' cannot be removed.")
            users = tx.upns_in_domain(tenant_id, found.name, SHOWN_USERS + 1)
            if users:
                shown = ", ".join(users[:SHOWN_USERS]) + (", ..." if len(users) > SHOWN_USERS else "")
                raise BadRequest(f"Unable to remove the domain '{found.name}': users' principal names still use it "
                                 f"({shown}). Change their user principal names or delete them first.")
            tx.delete_domain(found.name)
            self._record(tx, tenant_id, audit.domain(found, added=False))
        return found

    def ensure_initial_domain(self, tenant_id: str) -> Domain | None:
        """Give a tenant made before domains existed its initial domain; the domain added, or None."""
        with self.store.write() as tx:
            tenant = tx.tenant(tenant_id)
            if tenant is None or any(d.is_initial for d in tx.domains(tenant_id)):
                return None
            added = add_initial_domain(tx, tenant)
            self._record(tx, tenant_id, audit.domain(added, added=True))
        return added


def add_initial_domain(tx: Tx, tenant: Tenant) -> Domain:
    """Write a new tenant's initial domain, its default (the caller records it)."""
    has_default = any(d.is_default for d in tx.domains(tenant.id))
    name = domain_names.initial_domain(tenant.name, lambda candidate: tx.domain(candidate) is not None)
    added = Domain(tenant.id, name, is_initial=True, is_default=not has_default, created=now_iso())
    tx.insert_domain(added)
    return added


def _own(tx: Tx, tenant_id: str, name: str) -> Domain:
    """The tenant's domain ``name``: BadRequest for a name that is no DNS name, NotFound for one it lacks."""
    key = domain_names.domain_name(name)
    found = tx.domain(key)
    if found is None or found.tenant_id != tenant_id:
        raise NotFound(f"Resource '{key}' does not exist or one of its queried reference-property "
                       "objects are not present.")
    return found


def _free(tx: Tx, tenant_id: str, name: str) -> None:
    holder = tx.domain(name)
    if holder is not None and holder.tenant_id == tenant_id:
        raise BadRequest(f"The domain '{name}' is already a domain of this tenant.",
                         code="Request_MultipleObjectsWithSameKeyValue")
    if holder is not None:
        raise BadRequest(f"The domain '{name}' is verified by another tenant: a domain belongs to one tenant at a "
                         "time (remove it there first).")
