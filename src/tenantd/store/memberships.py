"""Group memberships followed through nested groups: each walk is one recursive query (a common table
expression, the same SQL on SQLite and PostgreSQL), however deep the nesting."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..domain.model import Group, ServicePrincipal, User
from . import schema as t
from . import statements as q
from .rows import group_row, sp_row, user_row
from .transaction import BaseTx

_m, _g, _ara = t.group_members, t.groups, t.app_role_assignments

# Upwards: the groups ``member_id`` belongs to, directly or through groups it is in. UNION (not UNION ALL)
# drops rows already found, so a walk ends even on a cycle (the directory refuses one; a database written by
# an older version may hold one).
_up = sa.select(_m.c.group_id.label("id")).where(_m.c.member_id == sa.bindparam("member_id")).cte(
    "up", recursive=True)
_up = _up.union(sa.select(_m.c.group_id).join(_up, _m.c.member_id == _up.c.id))
TRANSITIVE_GROUP_IDS = sa.select(_up.c.id)
# Downwards: every member of ``group_id``, and the members of the groups among them.
_down = sa.select(_m.c.member_id.label("id"), _m.c.member_type.label("type")).where(
    _m.c.group_id == sa.bindparam("group_id")).cte("down", recursive=True)
_down = _down.union(sa.select(_m.c.member_id, _m.c.member_type).join(
    _down, sa.and_(_m.c.group_id == _down.c.id, _down.c.type == "group")))
TRANSITIVE_MEMBERS = sa.select(_down.c.id, _down.c.type)

GROUPS_ASSIGNED_TO = sa.select(_ara.c.principal_id).where(
    _ara.c.resource_id == sa.bindparam("resource_id"), _ara.c.principal_type == "Group").distinct()


class MembershipRows(BaseTx):
    """Memberships through nested groups, and the groups an application is assigned to."""

    def transitive_group_ids(self, member_id: str) -> list[str]:
        """Ids of every group ``member_id`` (a user, group or service principal) is in, directly or not."""
        return [r.id for r in self.conn.execute(TRANSITIVE_GROUP_IDS, {"member_id": member_id})]

    def member_of(self, tenant_id: str, member_id: str, *, transitive: bool) -> list[Group]:
        """The groups ``member_id`` is in (directly, or through nested groups too), in creation order. The
        ids first, then the groups by primary key: the cost follows the answer, not the tenant's size."""
        stmt = TRANSITIVE_GROUP_IDS if transitive else q.GROUPS_OF
        ids = [r[0] for r in self.conn.execute(stmt, {"member_id": member_id})]
        found = [group_row(r) for r in self._rows_by_ids(_g, tenant_id, ids)]
        return sorted(found, key=lambda g: (g.created, g.id))

    def transitive_members(self, tenant_id: str, group_id: str) -> list[User | Group | ServicePrincipal]:
        """Every member of ``group_id`` and of the groups nested in it, once each, in creation order."""
        by_type: dict[str, list[str]] = {}
        for row in self.conn.execute(TRANSITIVE_MEMBERS, {"group_id": group_id}):
            if row.id != group_id:   # a cycle would bring the group back to itself
                by_type.setdefault(row.type, []).append(row.id)
        found: list[User | Group | ServicePrincipal] = []
        for table, kind, row_of in ((t.users, "user", user_row), (t.groups, "group", group_row),
                                    (t.service_principals, "servicePrincipal", sp_row)):
            found.extend(row_of(r) for r in self._rows_by_ids(table, tenant_id, by_type.get(kind, ())))
        return sorted(found, key=lambda o: (o.created, o.id))

    def groups_assigned_to(self, resource_id: str) -> list[str]:
        """Ids of the groups holding an app role (default access included) on the service principal."""
        return [r.principal_id for r in self.conn.execute(GROUPS_ASSIGNED_TO, {"resource_id": resource_id})]

    def _rows_by_ids(self, table: sa.Table, tenant_id: str, ids: Sequence[str]) -> list[sa.Row[tuple[object, ...]]]:
        rows: list[sa.Row[tuple[object, ...]]] = []
        ids = list(ids)
        for start in range(0, len(ids), 900):   # bounded IN lists, for any database's parameter limit
            chunk = ids[start:start + 900]
            rows.extend(self.conn.execute(sa.select(table).where(table.c.tenant_id == tenant_id,
                                                                 table.c.id.in_(chunk))))
        return rows
