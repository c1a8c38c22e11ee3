"""Schema migrations under a lock, so replicas (or workers) starting together migrate once."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from .sql import Store

_MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK_ID = 0x7E4A47D  # any constant: the advisory lock that serialises migrations


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def head() -> str:
    return str(ScriptDirectory.from_config(_config()).get_current_head())


def current(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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


def migrate(store: Store, revision: str = "head") -> tuple[str | None, str]:
    """Upgrade to the newest schema (or to ``revision``); returns (revision before, revision after)."""
    cfg = _config()
    if store.is_sqlite:
        with _sqlite_lock(store), store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(cfg, revision)
    else:
        with store.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            cfg.attributes["connection"] = conn
            before = MigrationContext.configure(conn).get_current_revision()
            command.upgrade(cfg, revision)
    return before, head() if revision == "head" else revision


def is_known(revision: str) -> bool:
    """Whether this version of tenantd has migration ``revision`` (a backup may come from a newer one)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False
