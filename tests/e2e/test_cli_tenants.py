"""`tenant create` keeps the new tenant's admin credentials locally, so `--tenant NAME` works after it."""

from __future__ import annotations

import json
import stat

from ..support import Server
from .cli_support import fails, run, run_json

PINNED = "32028ccd-3212-4f39-3212-beabd6787d81"  # unusual variant bits, accepted as given


def test_tenant_create_then_commands_in_that_tenant(server: Server) -> None:
    created = run_json(server, "tenant", "create", "contoso", "--id", PINNED.upper())
    assert created["id"] == PINNED and created["name"] == "contoso" and "clientSecret" not in json.dumps(created)
    credentials = server.data / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert PINNED in json.loads(credentials.read_text())["tenants"]

    listed = run(server, "tenant", "list")
    assert "contoso" in listed and PINNED in listed and "(default)" in listed
    assert {server.tenant_id, PINNED} <= {t["id"] for t in run_json(server, "tenant", "list")}

    run(server, "--tenant", "contoso", "app", "create", "Contoso API", "--role", "Contoso.Read=Read")
    run(server, "--tenant", PINNED, "app", "create", "Contoso client")
    run(server, "--tenant", "contoso", "grant", "Contoso client", "Contoso API", "Contoso.Read")
    token = json.loads(run(server, "--tenant", "contoso", "token", "--as", "Contoso client",
                           "--resource", "Contoso API", "--decode"))
    assert token["claims"]["tid"] == PINNED and token["claims"]["roles"] == ["Contoso.Read"]
    # Tenants are isolated: the default tenant knows nothing of contoso's apps.
    assert "No application named 'Contoso API'" in fails(server, "app", "show", "Contoso API")
    assert "No admin credentials for tenant 'fabrikam'" in fails(server, "--tenant", "fabrikam", "app", "list")
    assert "already" in fails(server, "tenant", "create", "again", "--id", PINNED)
