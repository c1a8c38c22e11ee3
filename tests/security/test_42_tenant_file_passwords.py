"""SECURITY.md item 42, for the tenant file: a user's password, given to `tenantd apply` by an environment
variable or a file, reaches no output of apply (text or JSON), no export, no server log at debug and no
database column in clear; the password's hash is shown nowhere either. The user signs in with it."""

from __future__ import annotations

import json
from pathlib import Path

from tenantd.domain import builtins

from ..support import start_server

PASSWORD = "Never-Shown-Anywhere-42"
FILE_PASSWORD = "From-A-File-Only-42"
TENANT_FILE = """\
users:
  - userPrincipalName: alice@contoso.test
    displayName: Alice
    password: {env: ALICE_PASSWORD}
  - userPrincipalName: bob@contoso.test
    displayName: Bob
    password: {file: secrets/bob}
"""


def test_42_a_tenant_file_password_is_shown_nowhere(tmp_path: Path) -> None:
    data = tmp_path / "tenantd"
    server = start_server(data, "--log-level", "debug")
    try:
        work = tmp_path / "work"
        (work / "secrets").mkdir(parents=True)
        (work / "secrets" / "bob").write_text(FILE_PASSWORD + "\n")
        (work / "tenant.yaml").write_text(TENANT_FILE)
        env = {"ALICE_PASSWORD": PASSWORD}
        shown = [server.cli("apply", str(work / "tenant.yaml"), env=env, check=True),
                 server.cli("apply", str(work / "tenant.yaml"), "--json", env=env, check=True),
                 server.cli("export", check=True), server.cli("export", "--json", check=True)]
        assert "create user 'alice@contoso.test' with a password" in shown[0].stdout
        assert json.loads(shown[1].stdout)["changes"] == []
        for signer, password in (("alice@contoso.test", PASSWORD), ("bob@contoso.test", FILE_PASSWORD)):
            signed_in = server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": signer,
                "password": password, "scope": "https://graph.microsoft.com/.default"})
            assert signed_in.status_code == 200, signed_in.text
        rt = server.runtime()
        hashes = [rt.directory.password_of(server.tenant_id, upn)[1] for upn in ("alice@contoso.test",
                                                                                 "bob@contoso.test")]
        rt.store.dispose()
    finally:
        assert server.stop() == 0
    secrets = [PASSWORD, FILE_PASSWORD, *(h.hash for h in hashes if h is not None)]
    assert len(secrets) == 4
    log = (data / "server.log").read_text()
    assert "tenant file applied" in log and "FROM users" in log   # the debug log did see the apply
    places = {"apply and export output": "".join(r.stdout + r.stderr for r in shown), "server log": log}
    places["database"] = b"".join(p.read_bytes() for p in data.rglob("*.db*")).decode("latin-1")
    for place, text in places.items():
        for secret in secrets[:2] if place == "database" else secrets:
            assert secret not in text, f"a password or its hash is in the {place}"
        assert "$argon2id$" not in text or place == "database", place
