"""`apply`, `export` and `schema` through the real CLI: idempotent apply, line-numbered errors, secrets
kept out of files except the 0600 one asked for, and an export that applies back with no changes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from ..support import Server
from .cli_support import cli, fails, run

TENANT = """\
applications:
  - displayName: Things API
    identifierUris: [api://things]
    appRoles:
      - allowedMemberTypes: [Application]
        displayName: Read all things
        id: 32028ccd-3212-4f39-3212-beabd6787d81
        value: Things.Read.All
  - displayName: Things web (dev)
    passwordCredentials:
      - displayName: dev
managedIdentities:
  - name: joonasmsitest
    type: SystemAssigned
    host: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/msi
assignments:
  - {principal: joonasmsitest, resource: Things API, role: Things.Read.All}
"""


def test_apply_is_idempotent_and_export_round_trips(server: Server, tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.json"
    no_server = Server(tmp_path / "no-server", server.proc, server.info)
    run(no_server, "schema", "-o", str(schema_file))
    assert json.loads(schema_file.read_text())["properties"]["applications"]["type"] == "array"

    tenant, secrets = tmp_path / "tenant.yaml", tmp_path / "secrets.json"
    tenant.write_text(TENANT)
    first = run(server, "apply", str(tenant), "--secrets-out", str(secrets))
    assert "Things API" in first and "joonasmsitest" in first and str(secrets) in first
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    written = json.loads(secrets.read_text())
    assert [s["application"] for s in written] == ["Things web (dev)"] and written[0]["secretText"]
    assert written[0]["secretText"] not in first
    decoded = run(server, "token", "--as", "joonasmsitest", "--resource", "api://things", "--decode")
    assert '"roles": ["Things.Read.All"]' in decoded
    assert run(server, "apply", str(tenant)).strip().endswith("no changes")

    tenant.write_text(TENANT + "users:\n  - {userPrincipalName: alice@contoso.test, displayName: Alice}\n")
    dry = run(server, "apply", str(tenant), "--dry-run")
    assert "alice@contoso.test" in dry and "dry run" in dry
    assert server.graph("GET", "/users").json()["value"] == []

    broken = tmp_path / "broken.yaml"
    broken.write_text(TENANT.replace("    type: SystemAssigned", "    type: Sometimes").replace(
        "displayName: Things API", "displayNme: Things API"))
    result = cli(server, "apply", str(broken))
    assert result.returncode == 1
    assert f"{broken}:2:" in result.stderr and "displayNme" in result.stderr
    assert f"{broken}:14:" in result.stderr

    exported = tmp_path / "export.yaml"
    run(server, "export", "-o", str(exported))
    text = exported.read_text()
    document = yaml.safe_load(text)
    assert [a["displayName"] for a in document["applications"]] == ["Things API", "Things web (dev)"]
    assert written[0]["secretText"] not in text and "secretText" not in text
    assert run(server, "apply", str(exported)).strip().endswith("no changes")
    assert "cannot read" in fails(server, "apply", str(tmp_path / "missing.yaml")).lower()
