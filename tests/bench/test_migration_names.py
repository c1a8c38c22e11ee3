"""Migration 0004 gives existing rows their name keys (case-folded display names) on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tenantd.store import Store
from tenantd.store.migrate import migrate

from ..databases import pg_available, pg_database

TENANT = "6c9e5a1e-0000-4000-8000-000000000001"
ROWS = {"groups": ("Straße Readers", "strasse readers"), "users": ("ÉMILE", "émile")}


@contextmanager
def sqlite(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'old.db'}"


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not pg_available(), reason="no PostgreSQL"))])
def test_existing_rows_get_their_name_keys(database: str, tmp_path: Path) -> None:
    with (sqlite(tmp_path) if database == "sqlite" else pg_database()) as url:
        store = Store(url)
        try:
            migrate(store, "0003")
            with store.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO tenants (id, name, created) "
                                     "VALUES (:id, 't', '2026-01-01T00:00:00Z')"), {"id": TENANT})
                conn.execute(sa.text(
                    "INSERT INTO groups (id, tenant_id, display_name, description, mail_nickname, security_enabled, "
                    "created) VALUES ('g', :t, :n, NULL, 'x', :yes, '2026-01-01T00:00:00Z')"),
                    {"t": TENANT, "n": ROWS["groups"][0], "yes": True})
                conn.execute(sa.text(
                    "INSERT INTO users (id, tenant_id, user_principal_name, upn_key, display_name, account_enabled, "
                    "mail, created) VALUES ('u', :t, 'e@x.test', 'e@x.test', :n, :yes, NULL, "
                    "'2026-01-01T00:00:00Z')"), {"t": TENANT, "n": ROWS["users"][0], "yes": True})
            migrate(store, "0004")
            with store.engine.connect() as conn:
                for table, (_, key) in ROWS.items():
                    assert conn.execute(sa.text(f"SELECT name_key FROM {table}")).scalar_one() == key
        finally:
            store.dispose()
