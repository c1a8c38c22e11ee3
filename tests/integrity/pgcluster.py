"""A PostgreSQL cluster of a test's own: initdb in a temporary folder, its own free port, stopped and
started by the test (never the machine's shared server). initdb refuses to run as root, so as root the
cluster runs as the ``postgres`` user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*as_postgres, str(self.bin_dir / tool), *args], capture_output=True, text=True,
                                timeout=60, cwd=self.root)
        if result.returncode != 0:
            raise AssertionError(f"{tool} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "30", "start")

    def crash(self) -> None:
        """Stop as a power cut would: no checkpoint, recovery from the WAL at the next start."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")


@contextlib.contextmanager
def pg_cluster() -> Iterator[Cluster]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's server binaries (initdb) are missing; CI must run the crash test")
        pytest.skip("PostgreSQL's server binaries (initdb) are not installed")
    root = Path(tempfile.mkdtemp(prefix="tenantd-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = Cluster(bin_dir, root, _free_port())
    try:
        cluster._run("initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(AssertionError):
            cluster.crash()
        shutil.rmtree(root, ignore_errors=True)
