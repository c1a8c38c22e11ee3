"""A database that goes away is a 503 with Retry-After in each protocol's shape, never a 500."""

from __future__ import annotations

import os

import psycopg
import pytest

from ..databases import PG_ADMIN_URL, pg_available, pg_database
from ..support import start_server

pytestmark = pytest.mark.skipif(not pg_available() and not os.environ.get("CI"), reason="PostgreSQL unreachable")


def test_a_lost_database_is_answered_with_503(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pg_database() as url:
        server = start_server(tmp_path_factory.mktemp("tenantd"), "--database", url)
        try:
            token = server.admin_token()
            assert server.graph("GET", "/applications", token=token).status_code == 200
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            graph = server.graph("GET", "/applications", token=token)
            sts = server.token(server.info["admin_client_id"], server.info["admin_client_secret"],
                               "https://graph.microsoft.com/.default")
        finally:
            server.stop()
    assert graph.status_code == 503 and graph.headers["Retry-After"]
    assert graph.json()["error"]["code"] == "ServiceUnavailable"
    assert sts.status_code == 503 and sts.json()["error"] == "temporarily_unavailable"
    assert sts.json()["error_codes"] == [90033]
