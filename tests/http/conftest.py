from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ..databases import required_pg_database
from ..support import Server, start_server


@contextlib.contextmanager
def serving(database: str, tmp_path_factory: pytest.TempPathFactory, *args: str) -> Iterator[Server]:
    """`tenantd up ARGS` on ``database``: "sqlite" (its embedded store) or "postgresql" (a fresh database)."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(required_pg_database()) if database == "postgresql" else None
        if url is not None:
            args = ("--database", url, *args)
        running = start_server(tmp_path_factory.mktemp(database), *args)
        running.database = url
        stack.callback(running.stop)
        yield running


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A tenantd on its embedded SQLite store, then one on PostgreSQL (one per test module)."""
    with serving(request.param, tmp_path_factory) as running:
        yield running
