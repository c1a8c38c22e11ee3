"""`tenantd up --workers 2`: both listeners served by both worker processes, the managed identity rate
limit held across them, a dead worker replaced, and SIGTERM stopping them all."""

from __future__ import annotations

import asyncio
import json
import math
import os
import select
import signal
import socket
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..support import Server, start_server

SITE = "/subscriptions/00000000-0000-0000-0000-000000000005/resourceGroups/rg/providers/Microsoft.Web/sites/app"
IMDS = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com"
RATE = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("workers"), "--workers", "2", "--imds-rate", str(RATE),
                           "--imds-concurrency", "0")
    yield running
    running.stop()


@dataclass
class Host:
    identity_url: str
    secret: str


@pytest.fixture(scope="module")
def host(server: Server) -> Host:
    rt = server.runtime()
    rt.directory.create_managed_identity(server.tenant_id, "app", "SystemAssigned", SITE)
    rt.store.dispose()
    session = server.admin("POST", "/hosts/sessions", json={"host": SITE})
    assert session.status_code == 201, session.text
    return Host(server.info["identity_url"], session.json()["secret"])


def _fresh_connections(base_url: str, server: Server) -> httpx.AsyncClient:
    """A client that opens a new connection per request, so the kernel hands each to any worker."""
    return httpx.AsyncClient(base_url=base_url, verify=ssl.create_default_context(cafile=server.ca_cert),
                             limits=httpx.Limits(max_connections=100, max_keepalive_connections=0), timeout=30)


async def _burst(client: httpx.AsyncClient, path: str, count: int, **kwargs: Any) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.get(path, **kwargs) for _ in range(count))))


def _answering_workers(server: Server, base_url: str, want: int = 2, rounds: int = 20) -> set[str]:
    """Worker labels seen answering /_tenantd/health on ``base_url`` (until ``want`` of them are seen)."""
    async def run() -> set[str]:
        seen: set[str] = set()
        async with _fresh_connections(base_url, server) as client:
            for _ in range(rounds):
                for response in await _burst(client, "/_tenantd/health", 16):
                    assert response.status_code == 200 and response.json()["status"] == "ok"
                    seen.add(response.json()["worker"])
                if len(seen) >= want:
                    break
        return seen
    return asyncio.run(run())


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_both_workers_serve_both_listeners(server: Server) -> None:
    https = _answering_workers(server, server.url.replace("localhost", "127.0.0.1"))
    identity = _answering_workers(server, server.info["identity_url"])
    assert len(https) == 2 and https == identity
    assert len(_children(server.proc.pid)) == 2   # the parent only supervises its two workers
    assert server.info["pid"] == server.proc.pid and server.info["workers"] == 2


def test_a_burst_of_new_connections_is_spread_over_the_workers(server: Server) -> None:
    """32 connections opened at once (as a load balancer or a load test does): each worker takes its share,
    not the first one to wake all of them."""
    port = int(server.info["identity_url"].rsplit(":", 1)[1])
    connections = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(32)]
    try:
        for connection in connections:   # as fast as Python can: the handshakes complete in the kernel
            connection.setblocking(False)
            connection.connect_ex(("127.0.0.1", port))
        select.select([], connections, [], 30)
        for connection in connections:
            connection.setblocking(True)
            connection.settimeout(30)
            connection.sendall(b"GET /_tenantd/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        workers = Counter(json.loads(_read_all(connection).split(b"\r\n\r\n", 1)[1])["worker"]
                          for connection in connections)
    finally:
        for connection in connections:
            connection.close()
    assert len(workers) == 2 and min(workers.values()) >= 6, workers   # the first to wake used to take 27-32


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_imds_rate_limit_holds_across_workers(server: Server, host: Host) -> None:
    """40 requests for one host on new connections, spread by the kernel over both workers: RATE of them
    are answered in the second, not RATE per worker."""
    async def run() -> tuple[list[httpx.Response], float]:
        async with _fresh_connections(host.identity_url, server) as client:
            warm = await client.get(f"/{host.secret}{IMDS}", headers={"Metadata": "true"})
            assert warm.status_code == 200, warm.text  # the token is cached from here on
            await asyncio.sleep(1.1)                   # ...and this request has left the one-second window
            started = time.monotonic()
            responses = await _burst(client, f"/{host.secret}{IMDS}", 40, headers={"Metadata": "true"})
            return responses, time.monotonic() - started

    responses, elapsed = asyncio.run(run())
    answered = sum(r.status_code == 200 for r in responses)
    assert all(r.status_code in (200, 429) for r in responses)
    if elapsed < 1.0:  # the whole burst fell into one window
        assert answered == RATE
    else:  # a slow machine: at most RATE in each second the burst touched
        assert RATE <= answered <= RATE * math.ceil(elapsed), (answered, elapsed)
    assert all(r.headers["Retry-After"] == "1" for r in responses if r.status_code == 429)


def test_a_dead_worker_is_replaced(server: Server) -> None:
    base = server.url.replace("localhost", "127.0.0.1")
    before = _answering_workers(server, base)
    victim = min(_children(server.proc.pid))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    now = before
    while time.monotonic() < deadline:
        now = _answering_workers(server, base, rounds=3)
        if len(now) == 2 and len(now & before) == 1:
            break
        time.sleep(0.2)
    assert len(now) == 2 and len(now & before) == 1   # the survivor, and a new worker in the victim's place
    assert len(_children(server.proc.pid)) == 2 and victim not in _children(server.proc.pid)
    assert server.proc.poll() is None and (server.data / "server.json").exists()


def test_sigterm_stops_every_worker_and_removes_server_json(tmp_path: Path) -> None:
    running = start_server(tmp_path / "tenantd", "--workers", "2")
    try:
        assert len(_answering_workers(running, running.info["identity_url"])) == 2
        workers = _children(running.proc.pid)
        running.proc.send_signal(signal.SIGTERM)
        assert running.proc.wait(timeout=20) == 0
    finally:
        running.stop()
    assert not (running.data / "server.json").exists()
    assert not any(_alive(pid) for pid in workers)
    assert "tenantd stopped" in (running.data / "server.log").read_text()
