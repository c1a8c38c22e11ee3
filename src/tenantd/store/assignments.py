"""App role assignments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..domain.model import AppRoleAssignment
from . import schema as t
from . import statements as q
from .transaction import BaseTx


class AssignmentRows(BaseTx):
    """App role assignments."""

    def _assignments(self, where: Any, limit: int | None = None) -> list[AppRoleAssignment]:
        a, sp = t.app_role_assignments, t.service_principals
        principal_sp, u, g = sp.alias("principal_sp"), t.users, t.groups
        stmt = (
            sa.select(
                a, sp.c.display_name.label("resource_display_name"),
                sa.func.coalesce(principal_sp.c.display_name, u.c.display_name, g.c.display_name)
                .label("principal_display_name"),
            )
            .join(sp, sp.c.id == a.c.resource_id)
            .outerjoin(principal_sp, principal_sp.c.id == a.c.principal_id)
            .outerjoin(u, u.c.id == a.c.principal_id)
            .outerjoin(g, g.c.id == a.c.principal_id)
            .where(where)
            .order_by(a.c.created, a.c.id)
            .limit(limit)
        )
        return [
            AppRoleAssignment(
                tenant_id=r.tenant_id, id=r.id, app_role_id=r.app_role_id, principal_id=r.principal_id,
                principal_type=r.principal_type, principal_display_name=r.principal_display_name or "",
                resource_id=r.resource_id, resource_display_name=r.resource_display_name, created=r.created,
            )
            for r in self.conn.execute(stmt)
        ]

    def assignment(self, tenant_id: str, assignment_id: str) -> AppRoleAssignment | None:
        a = t.app_role_assignments
        found = self._assignments(sa.and_(a.c.tenant_id == tenant_id, a.c.id == assignment_id))
        return found[0] if found else None

    def assignments(self, tenant_id: str, *, principal_ids: Sequence[str] | None = None,
                    resource_id: str | None = None, app_role_id: str | None = None) -> list[AppRoleAssignment]:
        a = t.app_role_assignments
        where = a.c.tenant_id == tenant_id
        if principal_ids is not None:
            where = sa.and_(where, a.c.principal_id.in_(list(principal_ids)))
        if resource_id is not None:
            where = sa.and_(where, a.c.resource_id == resource_id)
        if app_role_id is not None:
            where = sa.and_(where, a.c.app_role_id == app_role_id)
        return self._assignments(where)

    def assigned_role_ids(self, principal_ids: Sequence[str], resource_id: str) -> list[str]:
        """Role ids assigned to any of ``principal_ids`` on one resource: the token path's only join-free read."""
        rows = self.conn.execute(q.ASSIGNED_ROLE_IDS, {"ids": list(principal_ids), "resource_id": resource_id})
        return [r.app_role_id for r in rows]

    def insert_assignment(self, tenant_id: str, assignment_id: str, app_role_id: str, principal_id: str,
                          principal_type: str, resource_id: str, created: str) -> None:
        self._exec(t.app_role_assignments.insert().values(
            id=assignment_id, tenant_id=tenant_id, app_role_id=app_role_id, principal_id=principal_id,
            principal_type=principal_type, resource_id=resource_id, created=created,
        ))

    def delete_assignment(self, assignment_id: str) -> int:
        return int(self.conn.execute(
            t.app_role_assignments.delete().where(t.app_role_assignments.c.id == assignment_id)).rowcount)
