"""Reading many: Graph's collections filtered and keyset-paged in SQL, and a whole tenant streamed for export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..domain.model import FederatedCredential, ServicePrincipal
from . import listing
from . import schema as t
from .applications import ApplicationRows
from .assignments import AssignmentRows
from .grants import grant_row
from .rows import federated_row, group_row, sp_row, user_row


class CollectionRows(ApplicationRows, AssignmentRows):
    """Graph's collections, page by page, and a whole tenant streamed for export."""

    def page(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition],
             after: tuple[str, str] | None, limit: int) -> list[Any]:
        """Up to ``limit`` objects of a collection past the key ``after``, in key order (listing.order)."""
        where = listing.where(kind, tenant_id, conditions, after)
        if kind == "assignments":
            return self._assignments(where, limit)
        table = listing.TABLES[kind]
        stmt = sa.select(table).where(where).order_by(*listing.key_columns(kind, listing.order(conditions)))
        if kind == "applications":   # the page's ids in order, then the applications with their credentials
            ids = [r.id for r in self.conn.execute(stmt.with_only_columns(table.c.id).limit(limit))]
            found = {a.id: a for a in self._applications(table.c.id.in_(ids))} if ids else {}
            return [found[i] for i in ids]
        convert = {"service_principals": sp_row, "users": user_row, "groups": group_row, "grants": grant_row}[kind]
        return [convert(r) for r in self.conn.execute(stmt.limit(limit))]

    def count(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition]) -> int:
        return listing.count(self.conn, kind, tenant_id, conditions)

    def by_name(self, kind: listing.Kind, tenant_id: str, after: tuple[str, str] | None, limit: int,
                **equals: Any) -> list[Any]:
        """Up to ``limit`` objects in (case-folded name, id) order past ``after``; users by userPrincipalName."""
        table = listing.TABLES[kind]
        key = table.c.upn_key if kind == "users" else table.c.name_key
        stmt = sa.select(table).where(table.c.tenant_id == tenant_id,
                                      *(table.c[column] == value for column, value in equals.items()))
        if after is not None:
            stmt = stmt.where(sa.or_(key > after[0], sa.and_(key == after[0], table.c.id > after[1])))
        stmt = stmt.order_by(key, table.c.id).limit(limit)
        if kind == "applications":
            return self._applications(t.applications.c.id.in_([r.id for r in self.conn.execute(
                stmt.with_only_columns(table.c.id))]))
        convert = {"service_principals": sp_row, "users": user_row, "groups": group_row}[kind]
        return [convert(r) for r in self.conn.execute(stmt)]

    def service_principals_of(self, tenant_id: str, app_ids: Sequence[str]) -> list[ServicePrincipal]:
        sp = t.service_principals
        rows = self.conn.execute(sa.select(sp).where(sp.c.tenant_id == tenant_id, sp.c.app_id.in_(list(app_ids))))
        return [sp_row(r) for r in rows]

    def hosts_of_each(self, service_principal_ids: Sequence[str]) -> dict[str, list[str]]:
        """:meth:`hosts_of` for many identities at once (those attached nowhere are left out)."""
        h = t.host_attachments
        found: dict[str, list[str]] = {}
        for r in self.conn.execute(sa.select(h.c.service_principal_id, h.c.host_resource_id).where(
                h.c.service_principal_id.in_(list(service_principal_ids))).order_by(h.c.host_resource_id)):
            found.setdefault(r.service_principal_id, []).append(r.host_resource_id)
        return found

    def federated_credentials_of_each(self, owner_ids: Sequence[str]) -> dict[str, list[FederatedCredential]]:
        """:meth:`federated_credentials` of many owners at once (owners without any are left out)."""
        f = t.federated_credentials
        found: dict[str, list[FederatedCredential]] = {}
        for r in self.conn.execute(sa.select(f).where(f.c.owner_id.in_(list(owner_ids)))
                                   .order_by(f.c.created, f.c.id)):
            found.setdefault(r.owner_id, []).append(federated_row(r))
        return found

    def assigned_resource_ids(self, tenant_id: str) -> list[str]:
        """Service principals that some principal holds a role of."""
        a = t.app_role_assignments
        return [r.resource_id for r in self.conn.execute(
            sa.select(a.c.resource_id).where(a.c.tenant_id == tenant_id).distinct())]
