"""Schema migrations under a lock, so replicas (or workers) starting together migrate once."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..domain.errors import ConfigError
from .sql import Store, _available

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_ID = 0x7E4A47D  # any constant: the advisory lock that serialises migrations
# The newest migration (a test checks it against the migrations folder). A start on a current database
# compares it with the stored revision and never imports Alembic, a fifth of a start's imports.
HEAD = "0019"


def _config(folder: Path = _MIGRATIONS) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    return cfg


def head() -> str:
    return HEAD


def current(store: Store) -> str | None:
    """The database's schema revision (None for a database without tenantd's schema)."""
    with store.engine.connect() as conn:
        return _revision(conn)


def holds_tenant(store: Store) -> bool:
    """Whether the database holds a tenant, read without migrating or writing anything (any schema version)."""
    with _available(), store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("tenants"):
            return False
        return conn.execute(sa.text("SELECT 1 FROM tenants LIMIT 1")).first() is not None


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


@contextlib.contextmanager
def _sqlite_lock(store: Store) -> Iterator[None]:
    database = store.engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(store: Store, revision: str = "head", folder: Path | None = None) -> tuple[str | None, str]:
    """Upgrade to the newest schema (or to ``revision``); returns (revision before, revision after). A
    database already there is only read (under the lock on SQLite: a first connection to a new file sets
    its journal mode, which must not race another process's migration). ``folder`` is an Alembic folder
    to take the migrations from instead of the packaged one: a rehearsal of a later version's schema."""
    if folder is None:
        target = HEAD if revision == "head" else revision
        folder = _MIGRATIONS
    else:
        target = newest_migration(folder) if revision == "head" else revision
    if store.is_sqlite:
        with _sqlite_lock(store):
            return _upgrade(store, revision, target, folder)
    return _upgrade(store, revision, target, folder, lock=True)


def _upgrade(store: Store, revision: str, target: str, folder: Path, *, lock: bool = False
             ) -> tuple[str | None, str]:
    found = current(store)
    if found == target:
        return found, target
    if found is not None and not is_known(found, folder):
        raise ConfigError(f"The database's schema is at revision {found}, which this version of tenantd does not "
                          f"know (its newest is {target}): a newer tenantd migrated it. Run that version; replicas "
                          "of this one that are already serving go on serving.")
    from alembic import command

    cfg = _config(folder)
    with store.engine.begin() as conn:
        if lock:   # PostgreSQL: replicas starting together migrate one after another
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        cfg.attributes["connection"] = conn
        before = _revision(conn)
        command.upgrade(cfg, revision)
    return before, target


def is_known(revision: str, folder: Path = _MIGRATIONS) -> bool:
    """Whether this version of tenantd has migration ``revision`` (a backup, or the database itself, may come
    from a newer one)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_config(folder)).get_revision(revision) is not None
    except CommandError:
        return False


def newest_migration(folder: Path = _MIGRATIONS) -> str:
    """The head of the migrations folder, as Alembic reads it."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_config(folder)).get_current_head())
