from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
