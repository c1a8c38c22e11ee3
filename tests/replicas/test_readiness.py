"""Liveness and readiness of a `tenantd serve` replica on PostgreSQL: when its database stops taking
connections (a throwaway database the test closes: `ALLOW_CONNECTIONS false` and its connections
terminated), the replica stays live, reports not ready with 503 (never 500) on both listeners, and is ready
again once the database takes connections again."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from ..databases import PG_ADMIN_URL, required_pg_database
from .serving import Replica, initialize, start_replica

PUBLIC_URL = "https://tenantd.team.test"


def _set_connections(database: str, allowed: bool) -> None:
    """Let ``database`` take connections, or stop it and end the ones it has."""
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        if not allowed:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def _until(check: httpx.Client, path: str, status: int) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        answer = check.get(path)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[tuple[Replica, dict[str, str], str]]:
    key = Fernet.generate_key().decode()
    with required_pg_database() as database:
        creds = initialize(database, key, PUBLIC_URL)
        running = start_replica(tmp_path, database, key, "--plain-http", "--identity-port", "0")
        try:
            yield running, creds, database
        finally:
            _set_connections(database, True)
            running.stop()


def test_a_replica_that_loses_its_database_is_live_but_not_ready_until_it_is_back(
        replica: tuple[Replica, dict[str, str], str]) -> None:
    running, creds, database = replica
    found = re.search(r"managed identity on (http://\S+)", running.output())
    assert found is not None
    https = httpx.Client(base_url=running.url, timeout=30)
    identity = httpx.Client(base_url=found.group(1), timeout=30)
    token = https.post(f"/{creds['tenant_id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"], "client_secret": creds["client_secret"],
        "scope": "https://graph.microsoft.com/.default"}).json()["access_token"]
    for listener in (https, identity):
        ready = listener.get("/_tenantd/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "signing_keys": "ok"}
        assert listener.get("/_tenantd/health").json() == ready.json()

    _set_connections(database, False)
    for listener in (https, identity):
        down = _until(listener, "/_tenantd/health/ready", 503)
        assert down.status_code == 503, down.text
        assert down.json()["status"] == "unavailable" and down.json()["checks"]["database"] == "unavailable"
        assert down.headers["retry-after"] == "5" and down.headers["cache-control"] == "no-store"
        assert listener.get("/_tenantd/health").status_code == 503
        live = listener.get("/_tenantd/health/live")
        assert live.status_code == 200 and live.json()["status"] == "ok"
    graph = https.get("/v1.0/applications", headers={"Authorization": f"Bearer {token}"})
    assert graph.status_code == 503 and graph.json()["error"]["code"] == "ServiceUnavailable"
    secret = https.post(f"/{creds['tenant_id']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"], "client_secret": "wrong",
        "scope": "https://graph.microsoft.com/.default"})
    assert secret.status_code in (401, 503), secret.text   # never a 500: refused, or unavailable in OAuth's shape
    assert "Traceback" not in running.output()

    _set_connections(database, True)
    for listener in (https, identity):
        back = _until(listener, "/_tenantd/health/ready", 200)
        assert back.status_code == 200 and back.json()["checks"] == {"database": "ok", "signing_keys": "ok"}
    assert https.get("/v1.0/applications", headers={"Authorization": f"Bearer {token}"}).status_code == 200
