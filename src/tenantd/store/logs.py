"""The sign-in log, the directory audit log and the counters of failed client authentications."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from . import schema as t
from .transaction import BaseTx

_SIGN_IN_COMPARE: dict[str, Any] = {
    "eq": lambda c, v: c == v, "ne": lambda c, v: sa.or_(c != v, c.is_(None)),
    "gt": lambda c, v: c > v, "ge": lambda c, v: c >= v, "lt": lambda c, v: c < v, "le": lambda c, v: c <= v,
}


class LogRows(BaseTx):
    """The sign-in log, the directory audit log and the counters of failed client authentications."""

    def insert_sign_ins(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.sign_ins.insert(), list(rows))

    def sign_ins(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
                 before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """A tenant's sign-ins, newest first, each with its resource's and its client's current display names.
        A condition is (column, eq|ne|gt|ge|lt|le, value); ``before`` is the (created, id) a previous page ended
        at."""
        s, resource, client = t.sign_ins, t.service_principals, t.service_principals.alias("client")
        stmt = (
            sa.select(s, resource.c.display_name.label("resource_display_name"),
                      client.c.display_name.label("app_display_name"))
            .outerjoin(resource, sa.and_(resource.c.tenant_id == s.c.tenant_id, resource.c.app_id == s.c.resource_id))
            .outerjoin(client, sa.and_(client.c.tenant_id == s.c.tenant_id, client.c.app_id == s.c.app_id))
            .where(s.c.tenant_id == tenant_id)
        )
        for column, op, value in conditions:
            stmt = stmt.where(_SIGN_IN_COMPARE[op](s.c[column], value))
        if before is not None:
            stmt = stmt.where(sa.or_(s.c.created < before[0], sa.and_(s.c.created == before[0], s.c.id < before[1])))
        rows = self.conn.execute(stmt.order_by(s.c.created.desc(), s.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def count_sign_ins(self, counts: Sequence[tuple[str, int, str]]) -> None:
        """Set the count and the last time of aggregate rows: (id, count, last_created) each."""
        if counts:
            s = t.sign_ins
            self.conn.execute(s.update().where(s.c.id == sa.bindparam("row_id")).values(
                {s.c["count"]: sa.bindparam("row_count"), s.c.last_created: sa.bindparam("row_last")}),
                [{"row_id": i, "row_count": n, "row_last": last} for i, n, last in counts])

    def delete_sign_ins_before(self, created: str) -> int:
        return int(self.conn.execute(t.sign_ins.delete().where(t.sign_ins.c.created < created)).rowcount)

    def trim_sign_ins(self, tenant_id: str, keep: int) -> int:
        """Delete a tenant's rows beyond the newest ``keep`` successes and the newest ``keep`` refusals."""
        s, deleted = t.sign_ins, 0
        for failed in (s.c.error_code == 0, s.c.error_code != 0):
            oldest_kept = (sa.select(s.c.created).where(s.c.tenant_id == tenant_id, failed)
                           .order_by(s.c.created.desc()).offset(keep).limit(1).scalar_subquery())
            deleted += int(self.conn.execute(s.delete().where(s.c.tenant_id == tenant_id, failed,
                                                              s.c.created <= oldest_kept)).rowcount)
        return deleted

    def insert_directory_audits(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(t.directory_audits.insert(), list(rows))

    def directory_audits(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
                         before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """A tenant's audit rows, newest first. A condition is (column, eq|ne|gt|ge|lt|le, value); ``before``
        is the (created, id) a previous page ended at."""
        d = t.directory_audits
        stmt = sa.select(d).where(d.c.tenant_id == tenant_id)
        for column, op, value in conditions:
            stmt = stmt.where(_SIGN_IN_COMPARE[op](d.c[column], value))
        if before is not None:
            stmt = stmt.where(sa.or_(d.c.created < before[0], sa.and_(d.c.created == before[0], d.c.id < before[1])))
        rows = self.conn.execute(stmt.order_by(d.c.created.desc(), d.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]

    def count_auth_failure(self, tenant_id: str, client_id: str, sources: Sequence[str], slot: int) -> list[int]:
        """Add one failure to each (client, source) counter of window ``slot``; the counts after it, in order.
        Each is one atomic upsert, so concurrent failures on any replica are all counted."""
        f = t.auth_failures
        insert: Any = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        counts = []
        for source in sources:
            stmt = (insert(f).values(tenant_id=tenant_id, client_id=client_id, source=source, slot=slot, failures=1)
                    .on_conflict_do_update(index_elements=[f.c.tenant_id, f.c.client_id, f.c.source, f.c.slot],
                                           set_={"failures": f.c.failures + 1})
                    .returning(f.c.failures))
            counts.append(int(self.conn.execute(stmt).scalar_one()))
        return counts

    def delete_auth_failures_before(self, slot: int) -> int:
        return int(self.conn.execute(t.auth_failures.delete().where(t.auth_failures.c.slot < slot)).rowcount)
