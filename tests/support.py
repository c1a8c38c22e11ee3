"""Real tenantd processes for tests: started with `tenantd up` on a free loopback port and a temp data dir."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tenantd.runtime import Runtime, open_runtime, sqlite_url

TENANTD = [sys.executable, "-m", "tenantd"]


@dataclass
class Server:
    data: Path
    proc: subprocess.Popen[bytes]
    info: dict[str, Any]
    database: str | None = None   # its --database; None: the SQLite file in its data directory
    _tokens: dict[str, str] = field(default_factory=dict)
    database: str | None = None      # the server's database URL when it is not its embedded SQLite

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def tenant_id(self) -> str:
        return str(self.info["tenant_id"])

    @property
    def ca_cert(self) -> str:
        return str(self.info["ca_cert"])

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca_cert), timeout=30)

    def cli(self, *args: str, check: bool = False, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `tenantd --data <this server's dir> ARGS` and return its result."""
        result = subprocess.run([*TENANTD, "--data", str(self.data), *args], capture_output=True, text=True,
                                timeout=timeout, env={**os.environ, **(env or {})})
        if check and result.returncode != 0:
            raise AssertionError(f"tenantd {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def token(self, client_id: str, client_secret: str, scope: str, tenant: str | None = None) -> httpx.Response:
        with self.http() as client:
            return client.post(f"/{tenant or self.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret,
                "scope": scope,
            })

    def admin_token(self, resource: str = "https://graph.microsoft.com") -> str:
        if resource not in self._tokens:
            response = self.token(self.info["admin_client_id"], self.info["admin_client_secret"],
                                  f"{resource}/.default")
            response.raise_for_status()
            self._tokens[resource] = response.json()["access_token"]
        return self._tokens[resource]

    def graph(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.admin_token()}"}
        with self.http() as client:
            return client.request(method, "/v1.0" + path, headers=headers, **kwargs)

    def admin(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.admin_token('api://tenantd')}"}
        with self.http() as client:
            return client.request(method, "/_tenantd" + path, headers=headers, **kwargs)

    def runtime(self) -> Runtime:
        """The server's store opened from the test process (SQLite in WAL allows both), to arrange
        directory state without going through the API under test."""
        return open_runtime(self.database or sqlite_url(self.data), self.data, None)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def start_server(data: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Server:
    """`tenantd up --port 0` in ``data``; returns once server.json is written (the server answers)."""
    data.mkdir(parents=True, exist_ok=True)
    log = open(data / "server.log", "wb")  # noqa: SIM115 - kept open for the process's life
    command = [*TENANTD, "--data", str(data), "up", "--port", "0", "--identity-port", "0", *args]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server_file = data / "server.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server_file.exists():
            database = args[args.index("--database") + 1] if "--database" in args else None
            return Server(data, proc, json.loads(server_file.read_text()), database)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"tenantd did not start:\n{(data / 'server.log').read_text()}")


@contextlib.contextmanager
def servers_on_one_database(factory: pytest.TempPathFactory, count: int = 2) -> Iterator[list[Server]]:
    """``count`` servers (``tenantd up``, each with its own data directory) on one new PostgreSQL database,
    sharing its master key, which this process is given too (to arrange the directory), and nothing else."""
    from .databases import required_pg_database

    with contextlib.ExitStack() as stack:
        database = stack.enter_context(required_pg_database())
        env = {"TENANTD_MASTER_KEY": Fernet.generate_key().decode()}
        stack.enter_context(pytest.MonkeyPatch.context()).setenv("TENANTD_MASTER_KEY", env["TENANTD_MASTER_KEY"])
        servers: list[Server] = []
        for n in range(count):
            servers.append(start_server(factory.mktemp(f"replica{n}"), "--database", database, env=env))
            stack.callback(servers[-1].stop)
        assert len({s.tenant_id for s in servers}) == 1
        yield servers
