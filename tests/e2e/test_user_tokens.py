"""`tenantd token --as <user>`: a user's token, as Azure CLI would get it, with the roles assigned to the
user and to the groups it is a direct member of."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tenantd.domain import builtins, rules

from ..support import Server

READ = "32028ccd-3212-4f39-3212-beabd6787d81"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[dict[str, str]]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    role = {"id": READ, "value": "Things.Read.All", "displayName": "Read",
            "allowedMemberTypes": ["Application", "User"]}
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([role]))
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    alice = d.create_user(tid, "alice@contoso.test", "Alice")
    bob = d.create_user(tid, "bob@contoso.test", "Bob")
    d.create_user(tid, "carol@contoso.test", "Carol", account_enabled=False)
    readers, nested = d.create_group(tid, "Things readers"), d.create_group(tid, "Nested")
    d.add_member(tid, readers.id, alice.id)
    d.add_member(tid, readers.id, nested.id)
    d.add_member(tid, nested.id, bob.id)
    d.assign(tid, readers.id, api_sp, READ)
    rt.store.dispose()
    yield {"api_sp": api_sp, "api_app_id": api.app_id, "alice": alice.id}


def _decoded(server: Server, who: str) -> dict[str, object]:
    result = server.cli("token", "--as", who, "--resource", "api://things", "--decode", "--json")
    assert result.returncode == 0, result.stderr
    claims: dict[str, object] = json.loads(result.stdout)["claims"]
    return claims


def test_a_users_token_carries_its_groups_roles(server: Server, world: dict[str, str]) -> None:
    claims = _decoded(server, "alice@contoso.test")
    assert claims["roles"] == ["Things.Read.All"]
    assert claims["idtyp"] == "user" and claims["oid"] == world["alice"] and claims["upn"] == "alice@contoso.test"
    assert claims["appid"] == builtins.AZURE_CLI_APP_ID and claims["scp"] == "user_impersonation"
    assert claims["aud"] == "api://things" and claims["sub"] != claims["oid"]


def test_nested_groups_do_not_pass_roles_on(server: Server, world: dict[str, str]) -> None:
    assert "roles" not in _decoded(server, "bob@contoso.test")


def test_disabled_users_and_assignment_required_are_refused(server: Server, world: dict[str, str]) -> None:
    disabled = server.cli("token", "--as", "carol@contoso.test", "--resource", "api://things")
    assert disabled.returncode == 1 and "AADSTS50057" in disabled.stderr
    rt = server.runtime()
    try:
        rt.directory.update_service_principal(server.tenant_id, world["api_sp"], {"appRoleAssignmentRequired": True})
        refused = server.cli("token", "--as", "bob@contoso.test", "--resource", "api://things")
        assert refused.returncode == 1 and "AADSTS50105" in refused.stderr
        assert _decoded(server, "alice@contoso.test")["roles"] == ["Things.Read.All"]
    finally:
        rt.directory.update_service_principal(server.tenant_id, world["api_sp"], {"appRoleAssignmentRequired": False})
        rt.store.dispose()
