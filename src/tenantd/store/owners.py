"""Owners of applications, service principals and groups, and each tenant's authorization policy."""

from __future__ import annotations

import sqlalchemy as sa

from ..domain.authorization_policy import AuthorizationPolicy
from .owner_tables import authorization_policies as _p
from .owner_tables import owners as _o
from .transaction import BaseTx


class OwnerRows(BaseTx):
    """Ownerships (object, owner) and authorization policies."""

    def owners_of(self, object_id: str) -> list[tuple[str, str]]:
        """(owner id, owner type) of one object, oldest first."""
        rows = self.conn.execute(sa.select(_o.c.owner_id, _o.c.owner_type).where(_o.c.object_id == object_id)
                                 .order_by(_o.c.created, _o.c.owner_id))
        return [(r.owner_id, r.owner_type) for r in rows]

    def owned_by(self, tenant_id: str, owner_id: str) -> list[tuple[str, str]]:
        """(object id, object type) of what ``owner_id`` owns, oldest first."""
        rows = self.conn.execute(sa.select(_o.c.object_id, _o.c.object_type)
                                 .where(_o.c.owner_id == owner_id, _o.c.tenant_id == tenant_id)
                                 .order_by(_o.c.created, _o.c.object_id))
        return [(r.object_id, r.object_type) for r in rows]

    def owns(self, owner_id: str, object_id: str) -> bool:
        return self.conn.execute(sa.select(_o.c.owner_id).where(
            _o.c.owner_id == owner_id, _o.c.object_id == object_id)).first() is not None

    def insert_owner(self, tenant_id: str, object_id: str, object_type: str, owner_id: str, owner_type: str,
                     created: str) -> None:
        self._exec(_o.insert().values(tenant_id=tenant_id, object_id=object_id, object_type=object_type,
                                      owner_id=owner_id, owner_type=owner_type, created=created))

    def delete_owner(self, object_id: str, owner_id: str) -> int:
        return int(self.conn.execute(_o.delete().where(_o.c.object_id == object_id, _o.c.owner_id == owner_id))
                   .rowcount)

    def authorization_policy(self, tenant_id: str) -> AuthorizationPolicy:
        row = self.conn.execute(sa.select(_p).where(_p.c.tenant_id == tenant_id)).first()
        if row is None:
            return AuthorizationPolicy()
        return AuthorizationPolicy(bool(row.allowed_to_create_apps), bool(row.allowed_to_create_security_groups),
                                   bool(row.allowed_to_read_other_users))

    def put_authorization_policy(self, tenant_id: str, policy: AuthorizationPolicy) -> None:
        values = {"allowed_to_create_apps": policy.allowed_to_create_apps,
                  "allowed_to_create_security_groups": policy.allowed_to_create_security_groups,
                  "allowed_to_read_other_users": policy.allowed_to_read_other_users}
        if not self.conn.execute(_p.update().where(_p.c.tenant_id == tenant_id).values(**values)).rowcount:
            self._exec(_p.insert().values(tenant_id=tenant_id, **values))
