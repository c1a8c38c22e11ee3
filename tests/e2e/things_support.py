"""The Things API (examples/things/api.py, tenantd.protect) as uvicorn processes, configured by environment
only, as a reader runs it."""

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


class ThingsApis:
    """Starts Things APIs against ``server`` (each on a port of its own); :meth:`stop` ends them all."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, tenant_id: str | None = None, audience: str = f"api://things,{API_APP_ID}") -> str:
        """One more API process; its URL once it answers."""
        server = self.server
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        env = {**os.environ, "THINGS_TENANT_ID": tenant_id or server.tenant_id, "THINGS_AUDIENCE": audience,
               "THINGS_AUTHORITY": server.url, "SSL_CERT_FILE": server.info["ca_bundle"]}
        log_path = server.data / f"api-{len(self.processes)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api:create_app",
                                     "--fd", str(sock.fileno()), "--log-level", "warning"],
                                    cwd=EXAMPLE, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    pass_fds=(sock.fileno(),))
        sock.close()
        self.processes.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(f"{url}/things", timeout=2)
                return url
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"the Things API did not start:\n{log_path.read_text()}")

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
            proc.wait(timeout=15)
