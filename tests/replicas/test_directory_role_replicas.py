"""SECURITY.md item 36 for directory roles: two replicas of one PostgreSQL database; a role given through
replica A shows in the ``wids`` of the very next token replica B issues, and a role taken through A leaves
it, though B read (and kept in its directory cache) the user's roles just before."""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins

from ..support import Server, servers_on_one_database

USER, PASSWORD = "iris@contoso.test", "Replica-Roles-1"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
MEMBER = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Server], str]]:
    with servers_on_one_database(tmp_path_factory) as servers:
        rt = servers[0].runtime()
        try:
            user = rt.directory.create_user(servers[0].tenant_id, USER, "Iris", password=PasswordProfile(PASSWORD))
        finally:
            rt.store.dispose()
        yield servers, user.id


def wids(server: Server) -> list[str]:
    with server.http() as client:
        issued = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": USER,
            "password": PASSWORD, "scope": "https://graph.microsoft.com/.default"})
    assert issued.status_code == 200, issued.text
    return list(jwt.decode(issued.json()["access_token"], options={"verify_signature": False})["wids"])


def test_a_role_given_and_taken_at_one_replica_shows_in_the_next_token_of_the_other(
        replicas: tuple[list[Server], str]) -> None:
    (a, b), user_id = replicas
    assert wids(b) == [MEMBER]
    created = a.graph("POST", ASSIGNMENTS, json={"principalId": user_id, "roleDefinitionId": GLOBAL_ADMIN,
                                                "directoryScopeId": "/"})
    assert created.status_code == 201, created.text
    assert wids(b) == [GLOBAL_ADMIN, MEMBER]
    assert a.graph("DELETE", f"{ASSIGNMENTS}/{created.json()['id']}").status_code == 204
    assert wids(b) == [MEMBER]
