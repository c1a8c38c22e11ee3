"""People calling Microsoft Graph as themselves: users with passwords and directory roles, arranged through
Graph as an admin would, and their delegated tokens, had by the password grant with the Azure CLI's client id
(which holds Graph's delegated permissions in every tenant, as in Entra) or with a client of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tenantd.domain import builtins

from ..support import Server
from .graph_support import ok

PASSWORD = "Delegated-Graph-7"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
CLOUD_APP_ADMIN = "158c047a-c907-4556-b7ef-446551a6b5f7"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
Obj = dict[str, Any]
Call = Callable[..., httpx.Response]


def person(server: Server, name: str, *roles: str) -> Obj:
    """A user who signs in with :data:`PASSWORD`, holding the directory roles ``roles`` (template ids)."""
    local = f"{name}{uuid.uuid4().hex[:6]}"
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": name.title(), "mailNickname": local,
        "userPrincipalName": f"{local}@contoso.test", "passwordProfile": {"password": PASSWORD}}), 201)
    for role in roles:
        ok(server.graph("POST", "/roleManagement/directory/roleAssignments", json={
            "principalId": user["id"], "roleDefinitionId": role, "directoryScopeId": "/"}), 201)
    return user


def user_token(server: Server, user: Obj, scope: str = "https://graph.microsoft.com/.default",
               client_id: str = builtins.AZURE_CLI_APP_ID) -> str:
    """Her access token by the password grant (the Azure CLI's ``.default`` for Graph holds every delegated
    permission Graph has here)."""
    with server.http() as client:
        response = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "password", "client_id": client_id, "username": user["userPrincipalName"],
            "password": PASSWORD, "scope": scope})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def as_user(server: Server, user: Obj, **token_args: str) -> Call:
    """Graph calls made with her token: ``call("GET", "/me")``."""
    token = user_token(server, user, **token_args)

    def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
        return server.graph(method, path, token=token, **kwargs)
    return call


def reference(object_id: str) -> Obj:
    """The body of a ``$ref`` POST naming a directory object."""
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{object_id}"}
