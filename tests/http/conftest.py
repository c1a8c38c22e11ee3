from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ..databases import required_pg_database
from ..support import Server, start_server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A tenantd on its embedded SQLite store, then one on PostgreSQL (one per test module)."""
    with contextlib.ExitStack() as stack:
        args: tuple[str, ...] = ()
        if request.param == "postgresql":
            args = ("--database", stack.enter_context(required_pg_database()))
        running = start_server(tmp_path_factory.mktemp(request.param), *args)
        stack.callback(running.stop)
        yield running
