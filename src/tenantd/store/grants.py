"""Delegated permission grants (oAuth2PermissionGrant): their rows, and the token path's read of them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from ..domain.model import OAuth2PermissionGrant
from . import schema as t
from .transaction import BaseTx

_g = t.oauth2_permission_grants
# The scopes a client holds on a resource for one user: every user's grant and hers.
GRANTED_SCOPES = sa.select(_g.c.scope).where(
    _g.c.client_id == sa.bindparam("client_id"), _g.c.resource_id == sa.bindparam("resource_id"),
    sa.or_(_g.c.principal_id.is_(None), _g.c.principal_id == sa.bindparam("user_id")))


def grant_row(row: Row[Any]) -> OAuth2PermissionGrant:
    return OAuth2PermissionGrant(tenant_id=row.tenant_id, id=row.id, client_id=row.client_id,
                                 consent_type=row.consent_type, principal_id=row.principal_id,
                                 resource_id=row.resource_id, scopes=tuple(row.scope.split()), created=row.created)


class GrantRows(BaseTx):
    """Delegated permission grants."""

    def grant(self, tenant_id: str, grant_id: str) -> OAuth2PermissionGrant | None:
        row = self.conn.execute(sa.select(_g).where(_g.c.tenant_id == tenant_id, _g.c.id == grant_id)).first()
        return grant_row(row) if row else None

    def grants(self, tenant_id: str, *, client_id: str | None = None, resource_id: str | None = None,
               principal_id: str | None = None) -> list[OAuth2PermissionGrant]:
        """The tenant's grants (of one client, on one resource, for one user), oldest first."""
        stmt = sa.select(_g).where(_g.c.tenant_id == tenant_id)
        for column, value in (("client_id", client_id), ("resource_id", resource_id),
                              ("principal_id", principal_id)):
            if value is not None:
                stmt = stmt.where(_g.c[column] == value)
        return [grant_row(r) for r in self.conn.execute(stmt.order_by(_g.c.created, _g.c.id))]

    def granted_scopes(self, client_id: str, resource_id: str, user_id: str) -> tuple[str, ...]:
        """The scope values of ``client_id``'s grants on ``resource_id`` that count for ``user_id``: the grant
        for every user and hers (the token path's one read of them)."""
        rows = self.conn.execute(GRANTED_SCOPES, {"client_id": client_id, "resource_id": resource_id,
                                                  "user_id": user_id})
        return tuple(dict.fromkeys(value for r in rows for value in r.scope.split()))

    def insert_grant(self, grant: OAuth2PermissionGrant) -> None:
        self._exec(_g.insert().values(
            id=grant.id, tenant_id=grant.tenant_id, client_id=grant.client_id, consent_type=grant.consent_type,
            principal_id=grant.principal_id, resource_id=grant.resource_id, scope=grant.scope,
            created=grant.created))

    def update_grant_scope(self, grant_id: str, scopes: tuple[str, ...]) -> None:
        self.conn.execute(_g.update().where(_g.c.id == grant_id).values(scope=" ".join(scopes)))

    def delete_grant(self, grant_id: str) -> int:
        return int(self.conn.execute(_g.delete().where(_g.c.id == grant_id)).rowcount)

    def granted_resource_ids(self, tenant_id: str) -> list[str]:
        """Service principals some client holds a grant on."""
        return [r.resource_id for r in self.conn.execute(
            sa.select(_g.c.resource_id).where(_g.c.tenant_id == tenant_id).distinct())]
