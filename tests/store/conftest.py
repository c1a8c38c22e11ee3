from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd.runtime import Runtime, open_runtime, sqlite_url

from ..databases import pg_available, pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432; CI must run the store tests on it")
        pytest.skip("PostgreSQL is not reachable")
    with pg_database() as url:
        yield url


@pytest.fixture
def rt(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
    yield runtime
    runtime.store.dispose()
