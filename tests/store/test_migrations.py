"""The migrations build exactly the tables the code describes, and a start on a current schema skips Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

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
