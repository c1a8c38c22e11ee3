"""The query plans of Graph's list queries on a database (SQLite or PostgreSQL), as bench/README.md records them.

    python -m bench.explain [--data DIR | --database URL]

Each query is the SQL the store runs for a page of 100 (``Tx.page``), compiled for the database's dialect
with the values of a populated bench tenant (bench.populate).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tenantd.store import Store, listing
from tenantd.store import schema as t

from .populate import app_name, guid, identity_name

Listing = tuple[str, listing.Kind, list[listing.Condition], tuple[str, str] | None]


def listings(created: str) -> list[Listing]:
    """(label, collection, conditions, keyset) for the common Graph list calls."""
    c = listing.Condition
    return [
        ("servicePrincipals, first page", "service_principals", [], None),
        ("servicePrincipals, a later page ($skiptoken)", "service_principals", [], (created, guid(7, 5000))),
        ("servicePrincipals?$filter=displayName eq '...'", "service_principals",
         [c("name_key", "eq", identity_name(42))], None),
        ("servicePrincipals?$filter=startswith(displayName,'...')", "service_principals",
         [c("name_key", "prefix", "bench-site-0042")], None),
        ("servicePrincipals?$filter=appId eq ...", "service_principals", [c("app_id", "eq", guid(4, 42))], None),
        ("portal: managed identities, first page", "service_principals",
         [c("service_principal_type", "eq", "ManagedIdentity")], None),
        ("applications?$filter=identifierUris/any(x:x eq '...')", "applications",
         [c("identifier_uri", "eq", f"api://{app_name(7)}")], None),
        ("users?$filter=startswith(displayName,'...')", "users", [c("name_key", "prefix", "bench user 0004")], None),
        ("servicePrincipals/{id}/appRoleAssignedTo", "assignments", [c("resource_id", "eq", guid(3, 3))], None),
        ("servicePrincipals/{id}/appRoleAssignedTo?$filter=principalId eq ...", "assignments",
         [c("resource_id", "eq", guid(3, 3)), c("principal_id", "eq", guid(7, 3))], None),
        ("servicePrincipals/{id}/appRoleAssignments", "assignments", [c("principal_id", "eq", guid(7, 3))], None),
    ]


def statement(kind: listing.Kind, tenant_id: str, conditions: list[listing.Condition],
              after: tuple[str, str] | None) -> Any:
    """The SELECT of ``Tx.page`` (of applications, the first of its two: the page's ids)."""
    table = listing.TABLES[kind]
    columns = [table.c.id] if kind == "applications" else [table]
    return (sa.select(*columns).where(listing.where(kind, tenant_id, conditions, after))
            .order_by(*listing.key_columns(kind, listing.order(conditions))).limit(101))


def plans(store: Store, *, no_seq_scan: bool = False) -> Iterator[tuple[str, str, list[str]]]:
    """(label, SQL, plan lines) for each listing. ``no_seq_scan``: PostgreSQL plans as if its tables were
    large (on a small database it rightly prefers reading a whole small table to an index)."""
    with store.read() as tx:
        if no_seq_scan and not store.is_sqlite:
            tx.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        tenant_id = tx.setting("default_tenant")
        created = tx.conn.execute(sa.select(sa.func.min(t.service_principals.c.created))).scalar_one()
        for label, kind, conditions, after in listings(created):
            stmt = statement(kind, str(tenant_id), conditions, after)
            sql = str(stmt.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if store.is_sqlite else "EXPLAIN "
            rows = tx.conn.exec_driver_sql(prefix + sql).all()
            yield label, sql, [str(r[-1]) if store.is_sqlite else str(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(".tenantd"))
    parser.add_argument("--database")
    args = parser.parse_args()
    store = Store(args.database or f"sqlite:///{(args.data / 'tenantd.db').resolve()}")
    try:
        for label, _, lines in plans(store):
            print(f"{label}\n" + "\n".join(f"    {line}" for line in lines))
    finally:
        store.dispose()


if __name__ == "__main__":
    main()
