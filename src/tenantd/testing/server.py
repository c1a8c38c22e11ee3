"""A tenantd for a test run: ``tenantd up`` as a child process on free loopback ports (HTTPS and the managed
identity listener) with a data directory of its own, ready once it has written server.json.

A process rather than a thread: the server keeps its own event loop, signal handling and database engine,
and the test process stays as it was (no server threads, no environment changes). Starting costs about a
second; a new tenant on a running server costs a few requests, so isolation comes from tenants.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from .api import AdminApi
from .tenant import Tenant, TenantSource


class StartFailed(RuntimeError):
    """tenantd did not come up; the message holds the end of its log."""


class TenantdServer:
    """A running ``tenantd up``. Use :meth:`start`, then :meth:`tenant` (its default tenant) or
    :meth:`new_tenant` (another tenant, isolated from the rest), and :meth:`stop` (or ``with``)."""

    def __init__(self, data: Path, process: subprocess.Popen[bytes], info: dict[str, Any],
                 owns_data: bool = False) -> None:
        self.data = data
        self.process = process
        self.info = info
        self._owns_data = owns_data
        self._tenants: list[Tenant] = []

    @classmethod
    def start(cls, data: str | os.PathLike[str] | None = None, args: Sequence[str] = (),
              timeout: float = 60) -> TenantdServer:
        """Start ``tenantd up`` in ``data`` (default: a new temporary directory, removed on stop) with extra
        ``args`` for ``up`` (such as ``--imds-rate 0``); returns once it answers."""
        owns = data is None
        folder = Path(tempfile.mkdtemp(prefix="tenantd-")) if data is None else Path(data)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "server.json").unlink(missing_ok=True)
        # The server is configured by its arguments only: nothing from the caller's TENANTD_* settings.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTD_")}
        command = [sys.executable, "-m", "tenantd", "--data", str(folder), "up", "--host", "127.0.0.1",
                   "--port", "0", "--identity-port", "0", *args]
        with open(folder / "server.log", "wb") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env)
        server_file = folder / "server.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if server_file.exists():
                return cls(folder, process, json.loads(server_file.read_text()), owns)
            time.sleep(0.02)
        process.kill()
        process.wait()
        log_text = (folder / "server.log").read_text(errors="replace")[-4000:]
        if owns:
            shutil.rmtree(folder, ignore_errors=True)
        raise StartFailed(f"tenantd did not start (exit {process.returncode}):\n{log_text}")

    def __enter__(self) -> TenantdServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def ca_cert(self) -> str:
        """tenantd's own CA certificate (PEM)."""
        return str(self.info["ca_cert"])

    @property
    def ca_bundle(self) -> str:
        """The system's CAs plus tenantd's, for clients that take one bundle (REQUESTS_CA_BUNDLE, SSL_CERT_FILE)."""
        return str(self.info["ca_bundle"])

    @property
    def identity_url(self) -> str:
        return str(self.info["identity_url"])

    def _handle(self, tenant_id: str, name: str, client_id: str, client_secret: str) -> Tenant:
        api = AdminApi(self.url, self.ca_cert, tenant_id, client_id, client_secret)
        tenant = Tenant(api, name=name, url=self.url, ca_cert=self.ca_cert, ca_bundle=self.ca_bundle,
                        identity_url=self.identity_url)
        self._tenants.append(tenant)
        return tenant

    def tenant(self, source: TenantSource | None = None) -> Tenant:
        """The server's default tenant (the one the ``tenantd`` CLI uses with this data directory), with
        ``source`` (a tenant file's path, YAML text or a dict) applied as its baseline."""
        tenant = self._handle(self.info["tenant_id"], self.info.get("tenant_name", "default"),
                              self.info["admin_client_id"], self.info["admin_client_secret"])
        tenant.declare(source)
        return tenant

    def new_tenant(self, source: TenantSource | None = None, *, name: str | None = None) -> Tenant:
        """A new tenant on this server, with its own id, signing keys and admin app, and ``source`` applied
        with new ids for the object ids and appIds it pins and without the domains it lists (ids and verified
        domains are unique across tenants): nothing in it is shared with other tenants."""
        default = self._handle(self.info["tenant_id"], "default", self.info["admin_client_id"],
                               self.info["admin_client_secret"])
        try:
            made = default.admin("POST", "/tenants", json={"name": name or f"test-{uuid.uuid4().hex[:12]}"})
        finally:
            self._tenants.remove(default)
            default.close()
        tenant = self._handle(made["id"], made["name"], made["admin"]["clientId"], made["admin"]["clientSecret"])
        tenant.declare(source, new_ids=True)
        return tenant

    def stop(self) -> int:
        """Stop the server as Ctrl-C would; a second Ctrl-C when clients' idle keep-alive connections hold up
        the graceful shutdown (a test server has no requests worth waiting for), then harder. Its exit code."""
        for tenant in self._tenants:
            tenant.close()
        self._tenants.clear()
        for stop, wait in ((signal.SIGINT, 1.0), (signal.SIGINT, 10.0), (signal.SIGKILL, None)):
            if self.process.poll() is not None:
                break
            self.process.send_signal(stop)
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        if self._owns_data:
            shutil.rmtree(self.data, ignore_errors=True)
        return self.process.returncode
