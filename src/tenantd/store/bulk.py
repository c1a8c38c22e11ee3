"""Bulk loads: many rows per statement, no checks (a generator of large directories, imports)."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.model import Application, AppRoleAssignment, Group, ServicePrincipal, User
from . import schema as t
from .rows import roles_to_json
from .transaction import BaseTx


class BulkRows(BaseTx):
    """Many rows per statement, without the checks of the one-by-one writes."""

    def insert_applications(self, apps: Sequence[Application]) -> None:
        """Applications with their identifier URIs (credentials are not bulk-loaded)."""
        if not apps:
            return
        self.conn.execute(t.applications.insert(), [{
            "id": a.id, "tenant_id": a.tenant_id, "app_id": a.app_id, "display_name": a.display_name,
            "name_key": a.display_name.casefold(), "app_roles": roles_to_json(a.app_roles),
            "requested_access_token_version": a.requested_access_token_version, "created": a.created,
        } for a in apps])
        uris = [{"tenant_id": a.tenant_id, "uri_key": uri.lower(), "uri": uri, "position": position,
                 "application_id": a.id} for a in apps for position, uri in enumerate(a.identifier_uris)]
        if uris:
            self.conn.execute(t.identifier_uris.insert(), uris)

    def insert_service_principals(self, sps: Sequence[ServicePrincipal]) -> None:
        if sps:
            self.conn.execute(t.service_principals.insert(), [{
                "id": sp.id, "tenant_id": sp.tenant_id, "app_id": sp.app_id, "display_name": sp.display_name,
                "name_key": sp.display_name.casefold(), "service_principal_type": sp.service_principal_type,
                "app_roles": roles_to_json(sp.app_roles),
                "app_role_assignment_required": sp.app_role_assignment_required,
                "account_enabled": sp.account_enabled, "alternative_names": list(sp.alternative_names),
                "service_principal_names": list(sp.service_principal_names),
                "app_owner_organization_id": sp.app_owner_organization_id,
                "managed_identity_kind": sp.managed_identity_kind, "managed_identity_name": sp.managed_identity_name,
                "managed_identity_resource_id": sp.managed_identity_resource_id, "created": sp.created,
            } for sp in sps])

    def insert_users(self, users: Sequence[User]) -> None:
        if users:
            self.conn.execute(t.users.insert(), [{
                "id": u.id, "tenant_id": u.tenant_id, "user_principal_name": u.user_principal_name,
                "upn_key": u.user_principal_name.lower(), "display_name": u.display_name,
                "name_key": u.display_name.casefold(), "account_enabled": u.account_enabled, "mail": u.mail,
                "created": u.created,
            } for u in users])

    def insert_groups(self, groups: Sequence[Group]) -> None:
        if groups:
            self.conn.execute(t.groups.insert(), [{
                "id": g.id, "tenant_id": g.tenant_id, "display_name": g.display_name, "description": g.description,
                "name_key": g.display_name.casefold(), "mail_nickname": g.mail_nickname,
                "security_enabled": g.security_enabled, "created": g.created,
            } for g in groups])

    def insert_group_members(self, members: Sequence[tuple[str, str, str]]) -> None:
        """(group id, member id, member type) rows."""
        if members:
            self.conn.execute(t.group_members.insert(), [
                {"group_id": g, "member_id": m, "member_type": kind} for g, m, kind in members])

    def insert_assignments(self, assignments: Sequence[AppRoleAssignment]) -> None:
        """Assignments as stored (the display names they carry are read from their objects, not kept)."""
        if assignments:
            self.conn.execute(t.app_role_assignments.insert(), [{
                "id": a.id, "tenant_id": a.tenant_id, "app_role_id": a.app_role_id, "principal_id": a.principal_id,
                "principal_type": a.principal_type, "resource_id": a.resource_id, "created": a.created,
            } for a in assignments])
