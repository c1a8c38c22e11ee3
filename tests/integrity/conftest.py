from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tenantd.runtime import sqlite_url

from ..databases import required_pg_database
from ..support import Server, start_server


@dataclass
class Tenantd:
    """A running server and the URL of its database (to check the store behind its back)."""

    server: Server
    database: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenantd]:
    """A tenantd on its embedded SQLite store, then one on PostgreSQL."""
    data = tmp_path_factory.mktemp(request.param)
    with contextlib.ExitStack() as stack:
        args: tuple[str, ...] = ()
        if request.param == "sqlite":
            database = sqlite_url(data)
        else:
            database = stack.enter_context(required_pg_database())
            args = ("--database", database)
        running = start_server(data, *args)
        stack.callback(running.stop)
        yield Tenantd(running, database)
