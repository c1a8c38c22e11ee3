"""Service principals and managed identities, the hosts they are attached to and host sessions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..domain.model import Host, ServicePrincipal
from . import schema as t
from . import statements as q
from .rows import graph_list, roles_to_json, sp_row
from .transaction import BaseTx


class PrincipalRows(BaseTx):
    """Service principals and managed identities, the hosts they are attached to and host sessions."""

    def service_principal(self, tenant_id: str, object_id: str) -> ServicePrincipal | None:
        row = self.conn.execute(q.SERVICE_PRINCIPAL, {"tenant_id": tenant_id, "id": object_id}).first()
        return sp_row(row) if row else None

    def service_principal_by_app_id(self, tenant_id: str, app_id: str) -> ServicePrincipal | None:
        row = self.conn.execute(q.SERVICE_PRINCIPAL_BY_APP_ID, {"tenant_id": tenant_id, "app_id": app_id}).first()
        return sp_row(row) if row else None

    def service_principals(self, tenant_id: str, **equals: Any) -> list[ServicePrincipal]:
        stmt = sa.select(t.service_principals).where(t.service_principals.c.tenant_id == tenant_id)
        for column, value in equals.items():
            stmt = stmt.where(t.service_principals.c[column] == value)
        rows = self.conn.execute(stmt.order_by(t.service_principals.c.created, t.service_principals.c.id))
        return [sp_row(r) for r in rows]

    def insert_service_principal(self, sp: ServicePrincipal) -> None:
        self._exec(t.service_principals.insert().values(
            id=sp.id, tenant_id=sp.tenant_id, app_id=sp.app_id, display_name=sp.display_name,
            name_key=sp.display_name.casefold(),
            service_principal_type=sp.service_principal_type, app_roles=roles_to_json(sp.app_roles),
            app_role_assignment_required=sp.app_role_assignment_required, account_enabled=sp.account_enabled,
            alternative_names=list(sp.alternative_names), service_principal_names=list(sp.service_principal_names),
            app_owner_organization_id=sp.app_owner_organization_id, managed_identity_kind=sp.managed_identity_kind,
            managed_identity_name=sp.managed_identity_name,
            managed_identity_resource_id=sp.managed_identity_resource_id, created=sp.created,
            **_mirrored_values(sp),
        ))

    def update_service_principal(self, sp: ServicePrincipal) -> None:
        self.conn.execute(t.service_principals.update().where(t.service_principals.c.id == sp.id).values(
            display_name=sp.display_name, name_key=sp.display_name.casefold(), app_roles=roles_to_json(sp.app_roles),
            app_role_assignment_required=sp.app_role_assignment_required, account_enabled=sp.account_enabled,
            alternative_names=list(sp.alternative_names), service_principal_names=list(sp.service_principal_names),
            **_mirrored_values(sp),
        ))

    def delete_service_principal(self, object_id: str) -> None:
        self.delete_principal_links(object_id)
        self.conn.execute(t.service_principals.delete().where(t.service_principals.c.id == object_id))

    def attached_identities(self, tenant_id: str, host_resource_id: str) -> list[ServicePrincipal]:
        """User-assigned identities attached to a host."""
        rows = self.conn.execute(q.ATTACHED_IDENTITIES, {"tenant_id": tenant_id, "resource_id": host_resource_id})
        return [sp_row(r) for r in rows]

    def host(self, tenant_id: str, resource_id: str) -> Host:
        system = self.conn.execute(q.SYSTEM_IDENTITY, {"tenant_id": tenant_id, "resource_id": resource_id}).first()
        return Host(tenant_id, resource_id, sp_row(system) if system else None,
                    tuple(self.attached_identities(tenant_id, resource_id)))

    def hosts_of(self, service_principal_id: str) -> list[str]:
        rows = self.conn.execute(sa.select(t.host_attachments.c.host_resource_id).where(
            t.host_attachments.c.service_principal_id == service_principal_id)
            .order_by(t.host_attachments.c.host_resource_id))
        return [r.host_resource_id for r in rows]

    def attach(self, tenant_id: str, host_resource_id: str, service_principal_id: str) -> None:
        self._exec(t.host_attachments.insert().values(tenant_id=tenant_id, host_resource_id=host_resource_id,
                                                      service_principal_id=service_principal_id))

    def detach(self, tenant_id: str, host_resource_id: str, service_principal_id: str) -> int:
        h = t.host_attachments
        return int(self.conn.execute(h.delete().where(
            h.c.tenant_id == tenant_id, h.c.host_resource_id == host_resource_id,
            h.c.service_principal_id == service_principal_id)).rowcount)

    def insert_host_credential(self, secret_hash: bytes, tenant_id: str, host_resource_id: str, created: str,
                               expires: str) -> None:
        self._exec(t.host_credentials.insert().values(secret_hash=secret_hash, tenant_id=tenant_id,
                                                      host_resource_id=host_resource_id, created=created,
                                                      expires=expires))

    def host_credential(self, secret_hash: bytes) -> tuple[str, str, str] | None:
        """(tenant id, host resource id, expiry) of a host credential."""
        row = self.conn.execute(q.HOST_CREDENTIAL, {"secret_hash": secret_hash}).first()
        return (row.tenant_id, row.host_resource_id, row.expires) if row else None

    def delete_host_credential(self, secret_hash: bytes) -> int:
        return int(self.conn.execute(t.host_credentials.delete().where(
            t.host_credentials.c.secret_hash == secret_hash)).rowcount)

    def delete_expired_host_credentials(self, now: str) -> int:
        return int(self.conn.execute(t.host_credentials.delete().where(t.host_credentials.c.expires <= now)).rowcount)


def _mirrored_values(sp: ServicePrincipal) -> dict[str, Any]:
    return {"oauth2_permission_scopes": graph_list(sp.oauth2_permission_scopes),
            "reply_urls": list(sp.reply_urls) or None, "sign_in_audience": sp.sign_in_audience}
