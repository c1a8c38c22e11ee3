from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd.runtime import sqlite_url

from .databases import required_pg_database
from .support import Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One tenantd per test module (tests in a module share its directory)."""
    running = start_server(tmp_path_factory.mktemp("tenantd"))
    yield running
    running.stop()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[Server]:
    """A tenantd of the test's own."""
    running = start_server(tmp_path / "tenantd")
    yield running
    running.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes it runs on SQLite and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    with required_pg_database() as url:
        yield url
