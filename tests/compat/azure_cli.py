"""The real Azure CLI (``azure-cli``, pinned) for the compatibility tests, installed with pip into its own
virtualenv in a cache directory outside the repository (``TENANTD_AZ_CACHE``, default
``~/.cache/tenantd-az``), once per version, under a file lock so parallel test workers wait for one install.
A failed install fails the tests that need az: they are part of the suite, not an option of it.

Each :class:`Az` is one az "user": its own ``AZURE_CONFIG_DIR`` (a temp dir), tenantd's CA as
``REQUESTS_CA_BUNDLE``, instance discovery and telemetry off, no standard input, and every connection through
a loopback-only proxy (loopback_proxy.py), which also carries msal's port-443 user realm probe to tenantd.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

VERSION = "2.91.0"
CACHE = Path(os.environ.get("TENANTD_AZ_CACHE", Path.home() / ".cache" / "tenantd-az"))
# What would steer az or its SDKs elsewhere than the test says: never inherited from the test's environment.
DROPPED = ("AZURE_", "MSI_", "IDENTITY_", "IMDS_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
           "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "BROWSER")


def install() -> Path:
    """The ``az`` entry point of azure-cli ``VERSION``, installing it first when the cache lacks it."""
    venv = CACHE / f"azure-cli-{VERSION}"
    az, stamp = venv / "bin" / "az", venv / "installed"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.exists() and az.exists():
            return az
        steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
                 [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"azure-cli=={VERSION}"]]
        for step in steps:
            result = subprocess.run(step, capture_output=True, text=True, timeout=900, check=False)
            if result.returncode != 0:
                reason = "\n".join((result.stderr.strip() or "no output").splitlines()[-5:])
                pytest.fail(f"installing azure-cli {VERSION} in {venv} failed ({result.returncode}):\n{reason}")
        stamp.write_text(VERSION)
    return az


def az_environment(config_dir: Path, ca_bundle: str, proxy_url: str, extra: dict[str, str] | None = None
                   ) -> dict[str, str]:
    """The environment of an az process: the test's, less anything Azure or proxy, plus this az's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED)}
    env.update({
        "AZURE_CONFIG_DIR": str(config_dir), "REQUESTS_CA_BUNDLE": ca_bundle,
        "AZURE_CORE_INSTANCE_DISCOVERY": "false", "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false", "AZURE_CORE_NO_COLOR": "true", "AZURE_CORE_OUTPUT": "json",
        "AZURE_CORE_LOGIN_EXPERIENCE_V2": "false", "AZURE_CORE_DISABLE_CONFIRM_PROMPT": "true",
        "HTTPS_PROXY": proxy_url, "NO_PROXY": "127.0.0.1",   # the identity endpoint: plain HTTP on 127.0.0.1
        **(extra or {})})
    return env


def quiet_version_check(config_dir: Path) -> None:
    """A configuration directory's record that az checked for a newer version just now: a new directory
    would otherwise ask the Azure CLI's download site on its first command."""
    config_dir.mkdir(parents=True, exist_ok=True)
    local = {"local": VERSION}
    (config_dir / "versionCheck.json").write_text(json.dumps({
        "versions": {"azure-cli": local, "core": local},
        "update_time": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")}))


@dataclass
class Az:
    """One az configuration directory and the environment its commands run with."""

    binary: Path
    config_dir: Path
    ca_bundle: str
    proxy_url: str
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        quiet_version_check(self.config_dir)

    def env(self, **more: str) -> dict[str, str]:
        return az_environment(self.config_dir, self.ca_bundle, self.proxy_url, {**self.extra, **more})

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        """``az ARGS``, without standard input."""
        return subprocess.run([str(self.binary), *args], capture_output=True, text=True, timeout=timeout,
                              env={**self.env(), **(env or {})}, stdin=subprocess.DEVNULL, check=False)

    def ok(self, *args: str, **kwargs: Any) -> Any:
        """``az ARGS``, which must succeed; its JSON output (None when it printed nothing)."""
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, f"az {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return json.loads(result.stdout) if result.stdout.strip() else None

    def fails(self, *args: str, **kwargs: Any) -> str:
        """``az ARGS``, which must fail as az fails (a message, no traceback); its standard error."""
        result = self.run(*args, **kwargs)
        assert result.returncode != 0, f"az {' '.join(args)} succeeded:\n{result.stdout}"
        assert "Traceback" not in result.stderr, result.stderr
        return result.stderr


if __name__ == "__main__":   # `make test` installs az before pytest starts, outside any test's time limit
    print(f"azure-cli {VERSION}: {install()}")
