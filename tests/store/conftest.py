from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantd.runtime import Runtime, open_runtime


@pytest.fixture
def rt(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    runtime = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:8443")
    yield runtime
    runtime.store.dispose()
