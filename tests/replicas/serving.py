"""`tenantd init` and `tenantd serve` as processes, for the tests of a shared database's replicas."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..support import TENANTD

READY = re.compile(r"tenantd replica serving (\S+) \(tenant (\S+)\) on (\S+) \((.*?)\)")


def tenantd(*args: str, master_key: str | None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``tenantd ARGS`` with ``TENANTD_MASTER_KEY`` set to ``master_key`` (unset when None)."""
    env = {k: v for k, v in os.environ.items() if k != "TENANTD_MASTER_KEY"}
    if master_key is not None:
        env["TENANTD_MASTER_KEY"] = master_key
    return subprocess.run([*TENANTD, *args], capture_output=True, text=True, timeout=timeout, env=env)


def initialize(database: str, master_key: str, public_url: str) -> dict[str, Any]:
    """`tenantd init --json` on an empty database: what it printed (the admin secret included)."""
    done = tenantd("init", "--database", database, "--public-url", public_url, "--json", master_key=master_key)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@dataclass
class Replica:
    proc: subprocess.Popen[bytes]
    log: Path
    public_url: str
    tenant_id: str
    url: str      # where it listens
    trust: str    # "CA: <file>", "certificate: <file>" or "plain HTTP"

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_replica(work: Path, database: str, master_key: str, *args: str) -> Replica:
    """`tenantd serve --port 0 ARGS` on ``database``; returns once it printed its ready line."""
    work.mkdir(parents=True, exist_ok=True)
    log = work / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*TENANTD, "serve", "--database", database, "--port", "0", *args], stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, "TENANTD_MASTER_KEY": master_key})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        found = READY.search(log.read_text())
        if found:
            return Replica(proc, log, *found.groups())
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise AssertionError(f"replica did not start:\n{log.read_text()}")
