"""The migrations build exactly the tables the code describes, and a start on a current schema skips Alembic."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import tenantd.store
from tenantd.domain.errors import ConfigError
from tenantd.store import Store, schema
from tenantd.store.migrate import HEAD, current, migrate, newest_migration


def test_the_head_named_in_code_is_the_newest_migration() -> None:
    assert newest_migration() == HEAD


def test_the_migrated_schema_is_the_one_the_code_describes(database_url: str) -> None:
    store = Store(database_url)
    try:
        assert migrate(store) == (None, HEAD)
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        assert differences == []
        assert migrate(store) == (HEAD, HEAD) and current(store) == HEAD
    finally:
        store.dispose()


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tenantd.runtime import open_runtime, sqlite_url\n"
        f"data = Path({str(tmp_path)!r})\n"
        "open_runtime(sqlite_url(data), data, None, default_public_url='https://localhost:1').store.dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")


def test_a_database_holding_one_app_id_in_two_tenants_migrates_unchanged(database_url: str) -> None:
    """appIds are unique across tenants from 0008 on (the directory's check); a database that already holds one
    in two tenants keeps both, since the index 0008 adds is no unique key."""
    store = Store(database_url)
    try:
        migrate(store, "0006")
        app_id = "57bfd192-6d0a-466d-beec-bd22114849a0"
        with store.engine.begin() as conn:
            for tenant_id, name in (("11111111-1111-1111-1111-111111111111", "a"),
                                    ("22222222-2222-2222-2222-222222222222", "b")):
                conn.execute(schema.tenants.insert().values(id=tenant_id, name=name, created="2026-12-04"))
                conn.execute(schema.applications.insert().values(
                    id=tenant_id.replace("1", "3").replace("2", "4"), tenant_id=tenant_id, app_id=app_id,
                    display_name="Things API", name_key="things api", app_roles=[], created="2026-12-04"))
        assert migrate(store) == ("0006", HEAD)
        with store.read() as tx:
            assert [a.app_id for t in ("a", "b") for a in tx.applications(tx.tenant(t).id)] == [app_id, app_id]
            assert tx.app_id_taken(app_id)
    finally:
        store.dispose()


def test_migrate_takes_a_later_versions_migrations_from_another_folder(database_url: str, tmp_path: Path) -> None:
    """``tenantd migrate --migrations DIR``: the packaged migrations plus a later one, to rehearse an upgrade."""
    later = tmp_path / "migrations"
    shutil.copytree(Path(tenantd.store.__file__).with_name("migrations"), later,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (later / "versions" / "9001_later.py").write_text(
        f"from alembic import op\nimport sqlalchemy as sa\nrevision = '9001'\ndown_revision = '{HEAD}'\n"
        "def upgrade():\n    op.add_column('groups', sa.Column('later_note', sa.String(64), nullable=True))\n")
    store = Store(database_url)
    try:
        migrate(store)
        assert migrate(store, folder=later) == (HEAD, "9001") and current(store) == "9001"
        with store.engine.connect() as conn:
            assert "later_note" in {c["name"] for c in sa.inspect(conn).get_columns("groups")}
        assert migrate(store, folder=later) == ("9001", "9001")
        with pytest.raises(ConfigError, match="revision 9001, which this version of tenantd does not know"):
            migrate(store)   # this version's own migrations: the database is newer than they are
        assert current(store) == "9001"
    finally:
        store.dispose()
