from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tenantd.runtime import sqlite_url

from ..databases import pg_available, pg_database
from ..support import Server, start_server


@dataclass
class Tenantd:
    """A running server and the URL of its database (to check the store behind its back)."""

    server: Server
    database: str


@contextlib.contextmanager
def shared_pg_database() -> Iterator[str]:
    """A fresh database on the shared test PostgreSQL; CI must have it."""
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable; CI must run the integrity tests on it")
        pytest.skip("PostgreSQL is not reachable")
    with pg_database() as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenantd]:
    """A tenantd on its embedded SQLite store, then one on PostgreSQL."""
    data = tmp_path_factory.mktemp(request.param)
    with contextlib.ExitStack() as stack:
        args: tuple[str, ...] = ()
        if request.param == "sqlite":
            database = sqlite_url(data)
        else:
            database = stack.enter_context(shared_pg_database())
            args = ("--database", database)
        running = start_server(data, *args)
        stack.callback(running.stop)
        yield Tenantd(running, database)
