"""Liveness and readiness of a `tenantd serve` replica on PostgreSQL: when its database stops taking
connections (a throwaway database the test closes: `ALLOW_CONNECTIONS false` and its connections
terminated), the replica stays live, reports not ready with 503 (never 500) on both listeners, and is ready
again once the database takes connections again. A database that hangs (a relay that stops passing bytes)
is answered for within the probe's bound, by one waiting thread however many probes come."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from cryptography.fernet import Fernet

from tenantd.http.health import FRESH, TIMEOUT

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


class StallingRelay:
    """A TCP relay on loopback to PostgreSQL that can stall: bytes are taken and held, connections stay open,
    nothing is answered (a database that hangs rather than refuses)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.relaying = threading.Event()
        self.relaying.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.relaying.wait()
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.relaying.set()
        for sock in self.sockets:
            sock.close()


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))   # type: ignore[union-attr]


def test_a_database_that_hangs_is_answered_for_in_bounded_time_by_one_thread(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    with required_pg_database() as database:
        initialize(database, key, PUBLIC_URL)
        host, port = urlsplit(database).hostname, urlsplit(database).port
        relay = StallingRelay((host or "127.0.0.1", port or 5432))
        relayed = database.replace(f"{host}:{port}", f"127.0.0.1:{relay.port}")
        running = start_replica(tmp_path, relayed, key, "--plain-http")
        try:
            with httpx.Client(base_url=running.url, timeout=30) as client:
                assert client.get("/_tenantd/health/ready").status_code == 200
                relay.relaying.clear()
                time.sleep(FRESH + 0.1)
                started = time.monotonic()
                first = client.get("/_tenantd/health/ready")
                assert first.status_code == 503 and first.json()["checks"]["database"] == "not answering"
                assert time.monotonic() - started < TIMEOUT + 1
                threads = _threads(running.proc.pid)
                started = time.monotonic()
                answers = [client.get("/_tenantd/health/ready") for _ in range(20)]
                assert {a.status_code for a in answers} == {503}
                assert time.monotonic() - started < 2   # the run in flight is answered for at once
                assert _threads(running.proc.pid) <= threads + 1
                assert client.get("/_tenantd/health/live").status_code == 200
                relay.relaying.set()
                assert _until(client, "/_tenantd/health/ready", 200).status_code == 200
        finally:
            running.stop()
            relay.close()
