"""`tenantd user create --password` and `tenantd user password`: a password given or generated (and shown
once), refused with Graph's message when Entra would refuse it, and the one the user signs in with."""

from __future__ import annotations

import json

from tenantd.domain import builtins

from ..support import Server


def signs_in(server: Server, upn: str, password: str) -> bool:
    response = server.http().post(f"/{server.tenant_id}/oauth2/token", data={
        "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": upn, "password": password,
        "resource": "https://graph.microsoft.com"})
    return response.status_code == 200


def test_passwords_given_generated_and_refused(server: Server) -> None:
    server.cli("user", "create", "dora@contoso.test", "--password", "Given-Pass-1", check=True)
    assert signs_in(server, "dora@contoso.test", "Given-Pass-1")

    created = json.loads(server.cli("user", "create", "eve@contoso.test", "--json", check=True).stdout)
    assert signs_in(server, "eve@contoso.test", created["password"])

    shown = server.cli("user", "password", "eve@contoso.test", check=True).stdout
    generated = shown.split("password", 2)[-1].split()[0]
    assert not signs_in(server, "eve@contoso.test", created["password"])
    assert signs_in(server, "eve@contoso.test", generated)

    weak = server.cli("user", "password", "eve@contoso.test", "--password", "weak")
    assert weak.returncode != 0 and "password complexity" in weak.stderr and "Traceback" not in weak.stderr
    assert signs_in(server, "eve@contoso.test", generated)
