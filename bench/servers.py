"""Processes the benchmark starts: tenantd (`tenantd up`), the bare baseline, and how fast each answers first."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
# tenantd runs as it does on a user's machine: its bytecode cached after the first start (a development
# shell's PYTHONDONTWRITEBYTECODE would make every start compile the package again).
SERVER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wait(proc: subprocess.Popen[bytes], ready: Any, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    proc.kill()
    raise RuntimeError(f"process did not start:\n{log.read_text()[-4000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_pids(pid: int) -> list[int]:
    """The processes serving requests: the children of ``pid`` when it supervises workers, else itself."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return found or [pid]


@dataclass
class Tenantd:
    """A `tenantd up` process on loopback with its own data directory."""

    data: Path
    args: tuple[str, ...]
    proc: subprocess.Popen[bytes] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    startup: float = 0.0          # seconds from exec to the first answered request
    _tokens: dict[str, str] = field(default_factory=dict)

    def start(self) -> Tenantd:
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "server.json").unlink(missing_ok=True)
        log = self.data / "server.log"
        began = time.monotonic()
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "tenantd", "--data", str(self.data), "up", "--port", "0", "--identity-port", "0",
             *self.args], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=SERVER_ENV)
        server_file = self.data / "server.json"
        _wait(self.proc, server_file.exists, log)
        self.info = json.loads(server_file.read_text())
        with self.http() as client:   # server.json is written once every listener answers; prove it
            client.get(f"/{self.tenant_id}/v2.0/.well-known/openid-configuration").raise_for_status()
        self.startup = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        self._tokens.clear()

    @property
    def url(self) -> str:
        return str(self.info["listen"])

    @property
    def identity_url(self) -> str:
        return str(self.info["identity_url"])

    @property
    def tenant_id(self) -> str:
        return str(self.info["tenant_id"])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def http(self, public: bool = False) -> httpx.Client:
        """A client of the listener; ``public``: by the server's public URL, the one its redirects name."""
        verify: Any = ssl.create_default_context(cafile=self.info["ca_cert"]) if self.url.startswith("https") else False
        return httpx.Client(base_url=str(self.info["url"]) if public else self.url, verify=verify, timeout=60)

    def token(self, client_id: str, secret: str, scope: str) -> str:
        with self.http() as client:
            response = client.post(f"/{self.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "scope": scope})
        response.raise_for_status()
        return str(response.json()["access_token"])

    def admin_token(self, resource: str) -> str:
        if resource not in self._tokens:
            self._tokens[resource] = self.token(self.info["admin_client_id"], self.info["admin_client_secret"],
                                                f"{resource}/.default")
        return self._tokens[resource]

    def graph_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token('https://graph.microsoft.com')}"}

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token('api://tenantd')}"}

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", "tenantd", "--data", str(self.data), *args], capture_output=True,
                              text=True, timeout=timeout, check=False)


def warm_startup(data: Path, args: tuple[str, ...], runs: int = 3) -> list[float]:
    """Seconds from `tenantd up` on an existing data directory to its first answered request."""
    times = []
    for _ in range(runs):
        server = Tenantd(data, args).start()
        times.append(server.startup)
        server.stop()
    return times


@dataclass
class Baseline:
    """The bare endpoints (bench.baseline) on tenantd's server stack, over HTTPS when ``tls``."""

    directory: Path
    tls: bool
    workers: int = 1
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    def start(self) -> Baseline:
        port_file = self.directory / f"baseline-{'tls' if self.tls else 'plain'}.port"
        port_file.unlink(missing_ok=True)
        log = port_file.with_suffix(".log")
        args = ["--tls", str(self.directory / "baseline-tls")] if self.tls else []
        args += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen([PYTHON, "-m", "bench.baseline", str(port_file), *args], cwd=ROOT,
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT)
        _wait(self.proc, lambda: port_file.exists() and port_file.read_text(), log)
        self.port = int(port_file.read_text())
        return self

    def url(self, path: str = "/ok") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
