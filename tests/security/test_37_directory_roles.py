"""SECURITY.md item 37 for directory roles: a principal holding one (Global Reader, Application
Administrator ...) is out of the reach of ``Tenantd.Impersonate`` alone, for a minted token and for a host
session, as a holder of Graph roles is; only a caller that is also an admin may act as it, and its token
then shows the role in ``wids``."""

from __future__ import annotations

import uuid

import jwt

from ..http.graph_support import error, ok
from ..support import Server
from .test_37_impersonation import GRAPH, admin_client, identity

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
MEMBER = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"


def give(server: Server, principal_id: str, role_id: str) -> str:
    return str(ok(server.graph("POST", ASSIGNMENTS, json={
        "principalId": principal_id, "roleDefinitionId": role_id, "directoryScopeId": "/"}), 201)["id"])


def test_37_impersonate_alone_reaches_no_holder_of_a_directory_role(server: Server) -> None:
    _, impersonator = admin_client(server, "Tenantd.Impersonate")
    user = ok(server.graph("POST", "/users", json={
        "displayName": "Reader", "accountEnabled": True, "userPrincipalName": f"r{uuid.uuid4().hex[:6]}@contoso.com"}),
        201)
    workload = identity(server, "imp-role-holder")
    held = {user["id"]: give(server, user["id"], GLOBAL_READER),
            workload["id"]: give(server, workload["id"], APP_ADMIN)}

    for target in (user, workload):
        refused = server.admin("POST", "/token", token=impersonator, json={"principalId": target["id"],
                                                                          "resource": GRAPH})
        assert "access_token" not in refused.text
        assert "directory role" in error(refused, 403, "Authorization_RequestDenied")["message"]
    session = server.admin("POST", "/hosts/sessions", token=impersonator, json={"host": workload["resourceId"]})
    assert "secret" not in session.json()
    error(session, 403, "Authorization_RequestDenied")

    _, admin = admin_client(server, "Tenantd.Impersonate", "Tenantd.Admin")
    minted = ok(server.admin("POST", "/token", token=admin, json={"principalId": user["id"], "resource": GRAPH}))
    assert jwt.decode(minted["access_token"], options={"verify_signature": False})["wids"] == [GLOBAL_READER, MEMBER]

    # The role taken away, the principal is an ordinary one again.
    assert server.graph("DELETE", f"{ASSIGNMENTS}/{held[user['id']]}").status_code == 204
    ok(server.admin("POST", "/token", token=impersonator, json={"principalId": user["id"], "resource": GRAPH}))
