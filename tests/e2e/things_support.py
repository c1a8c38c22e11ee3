"""The Things example's servers (examples/things: api.py, and the middle tier's orders_api.py and orders_web.py)
as uvicorn processes, configured by environment only, as a reader runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ..support import Server

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "things"
API_APP_ID = "57bfd192-6d0a-466d-beec-bd22114849a0"       # pinned in the tenant file


def listening_socket() -> socket.socket:
    """A socket listening on a free loopback port, for a server started with ``--fd`` (no race for the port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class ExampleServers:
    """Starts the example's apps (``uvicorn --factory MODULE:create_app`` in examples/things) against ``server``,
    each on a port of its own; :meth:`stop` ends them all."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: dict[str, Path] = {}   # URL -> the process's output (uvicorn's log included)

    def start(self, module: str, env: dict[str, str], probe: str, sock: socket.socket | None = None,
              host: str = "127.0.0.1") -> str:
        """One more process of ``module`` with ``env`` (and tenantd's CA) on ``sock`` (a free port when None);
        its URL (at ``host``) once ``probe`` answers."""
        sock = sock or listening_socket()
        url = f"http://{host}:{sock.getsockname()[1]}"
        env = {**os.environ, "SSL_CERT_FILE": self.server.info["ca_bundle"],
               "REQUESTS_CA_BUNDLE": self.server.info["ca_bundle"], **env}
        log_path = self.server.data / f"{module}-{len(self.processes)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app",
                                     "--fd", str(sock.fileno()), "--log-level", "info"],
                                    cwd=EXAMPLE, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    pass_fds=(sock.fileno(),))
        sock.close()
        self.processes.append(proc)
        self.logs[url] = log_path
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(f"{url}{probe}", timeout=2)
                return url
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"{module} did not start:\n{log_path.read_text()}")

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
            proc.wait(timeout=15)


class ThingsApis(ExampleServers):
    """Things APIs (api.py) against ``server``."""

    def start_api(self, tenant_id: str | None = None, audience: str = f"api://things,{API_APP_ID}") -> str:
        """One more API process; its URL once it answers."""
        return self.start("api", {"THINGS_TENANT_ID": tenant_id or self.server.tenant_id,
                                  "THINGS_AUDIENCE": audience, "THINGS_AUTHORITY": self.server.url}, "/things")
