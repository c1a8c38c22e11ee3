"""One transaction's connection, the directory's version, settings, server secrets and tenants."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..domain.model import Tenant
from . import schema as t
from . import statements as q
from .owner_tables import owners
from .role_tables import directory_role_assignments
from .rows import DuplicateKey
from .subscription_tables import subscription_viewers


class BaseTx:
    """One transaction. Methods read and write rows; they never decide whether a change is allowed."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def directory_version(self) -> int:
        """The directory's version: how many committed write transactions changed it (0 before the first)."""
        return int(self.conn.execute(q.DIRECTORY_VERSION).scalar() or 0)

    def _advance_directory_version(self) -> None:
        table = t.directory_version
        if not self.conn.execute(table.update().where(table.c.id == 1).values(version=table.c.version + 1)).rowcount:
            self.conn.execute(table.insert().values(id=1, version=1))

    def _exec(self, stmt: Any) -> Any:
        try:
            return self.conn.execute(stmt)
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc

    def setting(self, name: str) -> str | None:
        return self.conn.execute(sa.select(t.settings.c.value).where(t.settings.c.name == name)).scalar()

    def put_setting(self, name: str, value: str) -> None:
        updated = self.conn.execute(t.settings.update().where(t.settings.c.name == name).values(value=value))
        if updated.rowcount == 0:
            self._exec(t.settings.insert().values(name=name, value=value))

    def secret(self, name: str) -> bytes | None:
        value = self.conn.execute(sa.select(t.server_secrets.c.value).where(t.server_secrets.c.name == name)).scalar()
        return bytes(value) if value is not None else None

    def insert_secret(self, name: str, value: bytes) -> None:
        self._exec(t.server_secrets.insert().values(name=name, value=value))

    def tenant(self, key: str) -> Tenant | None:
        row = self.conn.execute(q.TENANT, {"id": key.lower(), "name": key}).first()
        return Tenant(row.id, row.name, row.created) if row else None

    def tenants(self) -> list[Tenant]:
        rows = self.conn.execute(sa.select(t.tenants).order_by(t.tenants.c.created, t.tenants.c.name))
        return [Tenant(r.id, r.name, r.created) for r in rows]

    def insert_tenant(self, tenant: Tenant) -> None:
        self._exec(t.tenants.insert().values(id=tenant.id, name=tenant.name, created=tenant.created))

    def delete_principal_links(self, principal_id: str) -> None:
        """Remove a principal's assignments (app roles and directory roles), memberships, ownerships (what it
        owns, and its owners) and the subscriptions it sees, before the principal itself goes."""
        self.conn.execute(t.app_role_assignments.delete().where(t.app_role_assignments.c.principal_id == principal_id))
        self.conn.execute(directory_role_assignments.delete().where(
            directory_role_assignments.c.principal_id == principal_id))
        self.conn.execute(t.group_members.delete().where(t.group_members.c.member_id == principal_id))
        self.conn.execute(owners.delete().where(sa.or_(owners.c.owner_id == principal_id,
                                                       owners.c.object_id == principal_id)))
        self.conn.execute(subscription_viewers.delete().where(subscription_viewers.c.principal_id == principal_id))
