"""Running the CLI in tests: success with its output, or a failure with its one-line message."""

from __future__ import annotations

import json
import subprocess
import uuid
from typing import Any

from ..support import TENANTD, Server


def cli(server: Server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TENANTD, "--data", str(server.data), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def run(server: Server, *args: str, stdin: str | None = None) -> str:
    """stdout of a command that must succeed."""
    result = cli(server, *args, stdin=stdin)
    assert result.returncode == 0, f"tenantd {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
    return result.stdout


def run_json(server: Server, *args: str) -> Any:
    return json.loads(run(server, *args, "--json"))


def fails(server: Server, *args: str, code: int = 1) -> str:
    """The message of a command that must fail with ``code``; exit 1 comes with one ``error:`` line."""
    result = cli(server, *args)
    assert result.returncode == code, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"
    if code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return result.stderr.strip()


Obj = dict[str, Any]


def make_app(server: Server, name: str, *roles: str, uris: tuple[str, ...] = ()) -> tuple[Obj, Obj]:
    """Set-up straight through Graph (cheaper than a CLI process): an application with app roles for
    applications, valued ``roles``, and its service principal."""
    app_roles = [{"id": str(uuid.uuid4()), "value": v, "displayName": v, "description": v,
                  "allowedMemberTypes": ["Application"], "isEnabled": True} for v in roles]
    app = server.graph("POST", "/applications", json={"displayName": name, "appRoles": app_roles,
                                                      "identifierUris": list(uris)})
    assert app.status_code == 201, app.text
    sp = server.graph("POST", "/servicePrincipals", json={"appId": app.json()["appId"]})
    assert sp.status_code == 201, sp.text
    return app.json(), sp.json()
