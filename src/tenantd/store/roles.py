"""Directory role assignments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..domain.directory_roles import RoleAssignment
from . import schema as t
from .role_tables import directory_role_assignments as _r
from .transaction import BaseTx

_ids: sa.BindParameter[str] = sa.bindparam("ids", expanding=True)
# The token path's read: a user's roles, by the index on principal_id, built once (see statements.py).
ROLE_TEMPLATE_IDS = sa.select(_r.c.principal_id, _r.c.role_definition_id).where(_r.c.principal_id.in_(_ids))


class RoleAssignmentRows(BaseTx):
    """Directory role assignments."""

    def _role_assignments(self, where: Any) -> list[RoleAssignment]:
        sp, u = t.service_principals, t.users
        stmt = (sa.select(_r, sa.func.coalesce(sp.c.display_name, u.c.display_name).label("principal_name"))
                .outerjoin(sp, sp.c.id == _r.c.principal_id).outerjoin(u, u.c.id == _r.c.principal_id)
                .where(where).order_by(_r.c.created, _r.c.id))
        return [RoleAssignment(r.tenant_id, r.id, r.role_definition_id, r.principal_id, r.principal_type,
                               r.principal_name or "", r.directory_scope_id, r.created)
                for r in self.conn.execute(stmt)]

    def role_assignment(self, tenant_id: str, assignment_id: str) -> RoleAssignment | None:
        found = self._role_assignments(sa.and_(_r.c.tenant_id == tenant_id, _r.c.id == assignment_id))
        return found[0] if found else None

    def role_assignments(self, tenant_id: str, *, principal_id: str | None = None,
                         role_definition_id: str | None = None) -> list[RoleAssignment]:
        where = _r.c.tenant_id == tenant_id
        if principal_id is not None:
            where = sa.and_(where, _r.c.principal_id == principal_id)
        if role_definition_id is not None:
            where = sa.and_(where, _r.c.role_definition_id == role_definition_id)
        return self._role_assignments(where)

    def role_template_ids(self, principal_ids: Sequence[str]) -> dict[str, list[str]]:
        """The template ids of the roles each of ``principal_ids`` holds (those holding none are left out)."""
        found: dict[str, list[str]] = {}
        for row in self.conn.execute(ROLE_TEMPLATE_IDS, {"ids": list(principal_ids)}):
            found.setdefault(row.principal_id, []).append(row.role_definition_id)
        return found

    def insert_role_assignment(self, assignment: RoleAssignment) -> None:
        self._exec(_r.insert().values(
            id=assignment.id, tenant_id=assignment.tenant_id, role_definition_id=assignment.role_definition_id,
            principal_id=assignment.principal_id, principal_type=assignment.principal_type,
            directory_scope_id=assignment.directory_scope_id, created=assignment.created))

    def delete_role_assignment(self, assignment_id: str) -> int:
        return int(self.conn.execute(_r.delete().where(_r.c.id == assignment_id)).rowcount)
