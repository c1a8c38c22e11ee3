from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support import Server, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A tenantd without the failed-authentication limit: these tests present refused credentials on purpose,
    many times over (tests/security/test_15_failed_authentication.py covers the limit)."""
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--auth-failure-limit", "0",
                           "--auth-failure-client-limit", "0")
    yield running
    running.stop()
