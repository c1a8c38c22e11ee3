"""Tenants: each a directory of its own, born with its built-in service principals and its initial domain."""

from __future__ import annotations

from dataclasses import replace

from ..domain import audit, builtins, rules
from ..domain.errors import BadRequest, ConfigError, NotFound
from ..domain.ids import new_guid
from ..domain.model import ServicePrincipal, Tenant
from ..store import Tx
from ..store.sql import DuplicateKey
from .domains import add_initial_domain
from .principals import added_sp
from .unit import UnitOfWork, now_iso


class Tenants(UnitOfWork):
    """Creating and finding tenants."""

    def create_tenant(self, name: str, tenant_id: str | None = None) -> Tenant:
        """A tenant with its built-in service principals (Microsoft Graph, tenantd's admin API ...) and its
        initial domain."""
        rules.display_name(name, "name")
        tenant = Tenant(id=tenant_id or new_guid(), name=name, created=now_iso())
        with self.store.write() as tx:
            self._insert_tenant(tx, tenant)
        return tenant

    def create_first_tenant(self, name: str) -> Tenant:
        """The first tenant of an empty directory, made its default tenant; refused (ConfigError) when the
        directory holds a tenant already. Checked and made in one write, so of two at once one is refused."""
        rules.display_name(name, "name")
        tenant = Tenant(id=new_guid(), name=name, created=now_iso())
        with self.store.write() as tx:
            existing = tx.tenants()
            if existing or tx.setting("default_tenant"):
                named = f" ('{existing[0].name}', {existing[0].id})" if existing else ""
                raise ConfigError(f"This database already holds a tenant{named}: `tenantd init` only sets up an "
                                  "empty database. Serve it with `tenantd serve`.")
            self._insert_tenant(tx, tenant)
            tx.put_setting("default_tenant", tenant.id)
        return tenant

    def _insert_tenant(self, tx: Tx, tenant: Tenant) -> None:
        if tx.tenant(tenant.id) or tx.tenant(tenant.name):
            raise BadRequest(f"A tenant named '{tenant.name}' or with id '{tenant.id}' already exists.")
        try:
            tx.insert_tenant(tenant)
        except DuplicateKey:
            raise BadRequest(f"A tenant named '{tenant.name}' or with id '{tenant.id}' already exists.") from None
        for resource in builtins.BUILTINS:
            self._add_builtin(tx, tenant.id, resource)
        initial = add_initial_domain(tx, tenant)
        self._record(tx, tenant.id, audit.Entry("Add tenant", "DirectoryManagement", "Add", (
            audit.Target(tenant.id, tenant.name, "Tenant"),)), audit.domain(initial, added=True))

    def ensure_builtins(self, tenant_id: str) -> list[str]:
        """Add the built-in service principals a tenant made by an earlier version lacks, and give the others
        the app roles and delegated permissions this version's table holds; the names of those added."""
        with self.store.write() as tx:
            missing = []
            for resource in builtins.BUILTINS:
                found = tx.service_principal_by_app_id(tenant_id, resource.app_id)
                if found is None:
                    missing.append(resource)
                    self._record(tx, tenant_id, added_sp(self._add_builtin(tx, tenant_id, resource)))
                elif (found.app_roles, found.oauth2_permission_scopes) != (resource.roles, resource.scopes):
                    current = replace(found, app_roles=resource.roles, oauth2_permission_scopes=resource.scopes)
                    tx.update_service_principal(current)
                    self._record(tx, tenant_id, audit.Entry("Update service principal", "ApplicationManagement",
                                                            "Update", (audit.service_principal(current, found),)))
        return [b.name for b in missing]

    def _add_builtin(self, tx: Tx, tenant_id: str, resource: builtins.BuiltinResource) -> ServicePrincipal:
        sp = ServicePrincipal(
            tenant_id=tenant_id, id=new_guid(), app_id=resource.app_id, display_name=resource.name,
            service_principal_type="Application", app_roles=resource.roles, app_role_assignment_required=False,
            account_enabled=True, created=now_iso(),
            service_principal_names=(resource.app_id, *resource.identifier_uris),
            app_owner_organization_id=resource.owner, reply_urls=resource.reply_urls,
            oauth2_permission_scopes=resource.scopes,
        )
        tx.insert_service_principal(sp)
        tx.set_builtin_identifier_uris(tenant_id, sp.id, resource.identifier_uris)
        return sp

    def tenant(self, key: str) -> Tenant:
        with self.store.read() as tx:
            found = tx.tenant(key)
        if found is None:
            raise NotFound(f"Tenant '{key}' not found.")
        return found

    def tenants(self) -> list[Tenant]:
        with self.store.read() as tx:
            return tx.tenants()
