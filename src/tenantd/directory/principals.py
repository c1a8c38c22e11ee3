"""Service principals: an application's instance in a tenant, and managed identities (a client id and a
service principal, no application)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from ..domain import audit, ownership, registration, rules
from ..domain.errors import BadRequest
from ..domain.ids import new_guid
from ..domain.model import Application, ServicePrincipal
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, must_exist, now_iso, unique_ids


class Principals(UnitOfWork):
    """The use cases of service principals and managed identities."""

    def create_service_principal(self, tenant_id: str, app_id: str, object_id: str | None = None,
                                 **fields: Any) -> ServicePrincipal:
        with self.store.write() as tx:
            app = tx.application_by_app_id(tenant_id, app_id)
            if app is None:
                raise BadRequest(f"The appId '{app_id}' of the service principal does not reference a valid "
                                 "application object.", code="Request_BadRequest")
            if tx.service_principal_by_app_id(tenant_id, app_id):
                raise BadRequest("The service principal for this application already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue")
            sp = insert_app_sp(tx, app, object_id, **fields)
            self._record(tx, tenant_id, added_sp(sp), *self._creator_owns(tx, tenant_id, ownership.owned(sp)))
            return sp

    def create_managed_identity(self, tenant_id: str, name: str, kind: str, resource_id: str,
                                object_id: str | None = None, client_id: str | None = None) -> ServicePrincipal:
        """A managed identity: a client id and a service principal, and no application object (as in Azure)."""
        rules.display_name(name, "name")
        rules.host_resource_id(resource_id)
        if kind not in {"SystemAssigned", "UserAssigned"}:
            raise BadRequest(f"Unknown managed identity type '{kind}'.")
        alternative = ("isExplicit=True" if kind == "UserAssigned" else "isExplicit=False", resource_id)
        sp = ServicePrincipal(
            tenant_id=tenant_id, id=object_id or new_guid(), app_id=client_id or new_guid(), display_name=name,
            service_principal_type="ManagedIdentity", app_roles=(), app_role_assignment_required=False,
            account_enabled=True, created=now_iso(), alternative_names=alternative,
            service_principal_names=(client_id or "", f"https://identity.azure.net/{secrets.token_urlsafe(32)}"),
            managed_identity_kind=kind, managed_identity_name=name, managed_identity_resource_id=resource_id,
        )
        sp = replace(sp, service_principal_names=(sp.app_id, sp.service_principal_names[1]))
        with self.store.write() as tx:
            unique_ids(tx, object_ids=[sp.id], app_ids=[sp.app_id])
            try:
                tx.insert_service_principal(sp)
            except DuplicateKey:
                raise BadRequest(f"A managed identity for '{resource_id}' already exists.",
                                 code="Request_MultipleObjectsWithSameKeyValue") from None
            self._record(tx, tenant_id, added_sp(sp))
        return sp

    def service_principal(self, tenant_id: str, object_id: str) -> ServicePrincipal:
        with self.store.read() as tx:
            return must_exist(tx.service_principal(tenant_id, object_id), object_id)

    def service_principal_by_app_id(self, tenant_id: str, app_id: str) -> ServicePrincipal:
        with self.store.read() as tx:
            return must_exist(tx.service_principal_by_app_id(tenant_id, app_id), app_id)

    def service_principals(self, tenant_id: str, **equals: Any) -> list[ServicePrincipal]:
        with self.store.read() as tx:
            return tx.service_principals(tenant_id, **equals)

    def update_service_principal(self, tenant_id: str, object_id: str, changes: dict[str, Any]) -> ServicePrincipal:
        with self.store.write() as tx:
            sp = must_exist(tx.service_principal(tenant_id, object_id), object_id)
            updated = sp
            for prop, attr in (("appRoleAssignmentRequired", "app_role_assignment_required"),
                               ("accountEnabled", "account_enabled")):
                if prop in changes:
                    if not isinstance(changes[prop], bool):
                        raise BadRequest(f"Invalid value specified for property '{prop}': a boolean is required.")
                    updated = replace(updated, **{attr: changes[prop]})
            if updated != sp:
                tx.update_service_principal(updated)
                self._record(tx, tenant_id, audit.Entry("Update service principal", "ApplicationManagement",
                                                        "Update", (audit.service_principal(updated, sp),)))
        return updated

    def delete_service_principal(self, tenant_id: str, object_id: str) -> None:
        with self.store.write() as tx:
            sp = must_exist(tx.service_principal(tenant_id, object_id), object_id)
            tx.delete_federated_credentials(object_id)
            tx.delete_service_principal(object_id)
            self._record(tx, tenant_id, deleted_sp(sp))


def insert_app_sp(tx: Tx, app: Application, object_id: str | None, **fields: Any) -> ServicePrincipal:
    if object_id:
        unique_ids(tx, object_ids=[object_id])
    sp = ServicePrincipal(
        tenant_id=app.tenant_id, id=object_id or new_guid(), app_id=app.app_id, display_name=app.display_name,
        service_principal_type="Application", app_roles=app.app_roles,
        app_role_assignment_required=bool(fields.get("appRoleAssignmentRequired", False)),
        account_enabled=bool(fields.get("accountEnabled", True)), created=now_iso(),
        app_owner_organization_id=app.tenant_id,
    )
    sp = registration.mirrored(sp, app)
    try:
        tx.insert_service_principal(sp)
    except DuplicateKey:
        raise BadRequest("The service principal for this application already exists.",
                         code="Request_MultipleObjectsWithSameKeyValue") from None
    return sp


def added_sp(sp: ServicePrincipal) -> audit.Entry:
    return audit.Entry("Add service principal", "ApplicationManagement", "Add", (audit.service_principal(sp),))


def deleted_sp(sp: ServicePrincipal) -> audit.Entry:
    return audit.Entry("Delete service principal", "ApplicationManagement", "Delete",
                       (audit.service_principal(sp, deleted=True),))
