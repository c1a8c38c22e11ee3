"""`tenantd up --workers 2 --metrics-port 0`: each worker counts into files of its own in a private directory
tenantd makes, and a scrape, whichever worker answers it, adds them all up; a worker that dies keeps its
counts, loses its live gauges, and the directory goes with the server."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import stat
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from ..support import Server, start_server
from .support import requests, scrape

API = "https://graph.microsoft.com"
TOKENS = 40


def _children(pid: int) -> set[int]:
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _tokens(server: Server, count: int) -> None:
    """``count`` client credentials tokens, each on a new connection, so the kernel spreads them over workers."""
    form = {"grant_type": "client_credentials", "client_id": server.info["admin_client_id"],
            "client_secret": server.info["admin_client_secret"], "scope": f"{API}/.default"}

    async def run() -> None:
        async with httpx.AsyncClient(base_url=server.url.replace("localhost", "127.0.0.1"),
                                     verify=ssl.create_default_context(cafile=server.ca_cert),
                                     limits=httpx.Limits(max_connections=8, max_keepalive_connections=0),
                                     timeout=30) as client:
            answers = await asyncio.gather(*(client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data=form)
                                             for _ in range(count)))
        assert [a.status_code for a in answers] == [200] * count
    asyncio.run(run())


def _issued(server: Server) -> float:
    return requests(scrape(server)[0], "client_credentials", "v2", 0)


def _per_process(directory: Path) -> dict[int, float]:
    """Issued v2 client credentials tokens as each process's own counter file holds them."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        issued = 0.0
        for family in MultiProcessCollector.merge([str(path)]):
            for sample in family.samples:
                if sample.name == "tenantd_token_requests_total" and sample.labels == {
                        "grant": "client_credentials", "endpoint": "v2", "result": "0"}:
                    issued = sample.value
        counts[int(path.stem.split("_")[1])] = issued
    return counts


def _metrics_directory(tmp: Path) -> Path:
    (found,) = tmp.glob("tenantd-metrics-*")
    return found


def test_two_workers_counts_add_up_in_every_scrape(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    server = start_server(tmp_path / "tenantd", "--workers", "2", "--metrics-port", "0", env={"TMPDIR": str(tmp)})
    try:
        directory = _metrics_directory(tmp)
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        workers = _children(server.proc.pid)
        assert len(workers) == 2
        _tokens(server, TOKENS)
        per_process = _per_process(directory)
        assert all(per_process.get(pid, 0) > 0 for pid in workers), per_process   # both workers issued some
        assert sum(per_process.values()) == TOKENS
        answering = set()
        health = server.info["metrics_url"].replace("/metrics", "/_tenantd/health/live")
        for _ in range(12):   # new connections: the kernel hands scrapes to either worker
            assert _issued(server) == TOKENS
            answering.add(httpx.get(health).json()["worker"])
        assert len(answering) == 2

        victim = min(workers)
        assert (directory / f"gauge_livesum_{victim}.db").exists()   # its sign-in queue depth
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while len(_children(server.proc.pid) - {victim}) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not (directory / f"gauge_livesum_{victim}.db").exists()   # a dead worker's live gauge is gone
        assert _issued(server) == TOKENS                                  # and its counts stay
        _tokens(server, TOKENS)
        assert _issued(server) == 2 * TOKENS
    finally:
        server.stop()
    assert not directory.exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_without_a_metrics_port_nothing_is_written(tmp_path: Path, workers: str) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    server = start_server(tmp_path / "tenantd", "--workers", workers, env={"TMPDIR": str(tmp)})
    try:
        _tokens(server, 4)
        assert not list(tmp.glob("tenantd-metrics-*"))
    finally:
        server.stop()
