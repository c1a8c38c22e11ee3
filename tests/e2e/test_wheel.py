"""tenantd installs and runs from its wheel: everything it needs at run time (migrations, the demo tenant,
later templates and static files) is package data, and nothing reaches into the checkout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_the_wheel_installs_into_a_clean_venv_and_serves_tokens(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], check=True,
                   capture_output=True, timeout=300)
    wheels, sdists = list(dist.glob("tenantd-*.whl")), list(dist.glob("tenantd-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheels[0])], capture_output=True,
                               text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    assert "deprecat" not in installed.stderr.lower()

    tenantd = str(venv / "bin" / "tenantd")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    home = tmp_path / "elsewhere"          # outside the checkout: nothing can be found relative to it
    home.mkdir()
    version = subprocess.run([tenantd, "--version"], capture_output=True, text=True, cwd=home, env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("tenantd "), version

    data = home / "data"
    log = open(home / "up.log", "wb")  # noqa: SIM115 - kept open for the process's life
    server = subprocess.Popen([tenantd, "--data", str(data), "up", "--demo", "--port", "0", "--identity-port", "0"],
                              cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not (data / "server.json").exists():
            assert server.poll() is None and time.monotonic() < deadline, (home / "up.log").read_text()
            time.sleep(0.1)
        token = subprocess.run([tenantd, "--data", str(data), "token", "--as", "joonasmsitest",
                                "--resource", "api://things", "--decode", "--json"],
                               capture_output=True, text=True, cwd=home, env=env, timeout=60)
        assert token.returncode == 0, token.stderr
        assert "Things.Read.All" in json.dumps(json.loads(token.stdout))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
