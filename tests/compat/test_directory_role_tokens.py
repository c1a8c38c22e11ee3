"""A user's directory roles in her tokens, as the real msal gets them (ROPC, the shortest way to a user's
token): ``wids`` in v1 and v2 access tokens holds the template ids of her roles and always the member role;
her ID tokens carry it only for a client whose ``groupMembershipClaims`` asks for directory roles, as Entra
documents; a role given or taken through Graph shows in the very next token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msal
import pytest

from tenantd.domain import builtins
from tenantd.domain.claims import IdTokenFacts
from tenantd.tokens import jwt

from ..http.graph_support import ok
from ..support import Server
from .test_password_clients import session_for

MEMBER = "b79fbf4d-3ef9-4689-8143-76b194e85509"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
PASSWORD = "Directory-Roles-1"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msal: ROPC is deprecated, still shipped


@dataclass(frozen=True)
class Setting:
    user: dict[str, Any]
    desktop_app_id: str       # a public client whose groupMembershipClaims asks for directory roles


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])


@pytest.fixture(scope="module")
def setting(server: Server) -> Iterator[Setting]:
    for uri, version in (("api://roles-v1", None), ("api://roles-v2", 2)):
        scope = {"id": str(uuid.uuid4()), "value": "Roles.Read", "type": "User", "isEnabled": True,
                 "adminConsentDisplayName": "Read", "adminConsentDescription": "Read"}
        app = ok(server.graph("POST", "/applications", json={   # the Azure CLI pre-authorized: Entra needs consent
            "displayName": uri, "identifierUris": [uri], "api": {
                "requestedAccessTokenVersion": version, "oauth2PermissionScopes": [scope],
                "preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID,
                                               "delegatedPermissionIds": [scope["id"]]}]}}), 201)
        ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    desktop = ok(server.graph("POST", "/applications", json={
        "displayName": "Roles desktop", "isFallbackPublicClient": True, "groupMembershipClaims": "DirectoryRole",
        "publicClient": {"redirectUris": ["http://localhost"]},
        "requiredResourceAccess": [{"resourceAppId": builtins.GRAPH_APP_ID, "resourceAccess": [
            {"id": builtins.GRAPH_SCOPES["User.Read"], "type": "Scope"}]}]}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": desktop["appId"]}), 201)
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Ada", "mailNickname": "ada",
        "userPrincipalName": f"ada{uuid.uuid4().hex[:6]}@contoso.test", "passwordProfile": {"password": PASSWORD}}),
        201)
    yield Setting(user, desktop["appId"])


def sign_in(server: Server, setting: Setting, scope: str, client_id: str = builtins.AZURE_CLI_APP_ID
            ) -> dict[str, Any]:
    """A fresh sign-in with her password (msal asks the token endpoint every time): the token response."""
    app = msal.PublicClientApplication(client_id, authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False, http_client=session_for(server))
    result = app.acquire_token_by_username_password(setting.user["userPrincipalName"], PASSWORD, scopes=[scope])
    assert "access_token" in result, result
    return dict(result)


def wids(server: Server, setting: Setting, scope: str) -> dict[str, Any]:
    """The access token's ``wids`` (absent: None) and its version."""
    claims = jwt.unverified_parts(sign_in(server, setting, scope)["access_token"])[1]
    return {"ver": claims["ver"], "wids": claims.get("wids")}


def test_every_user_token_holds_the_member_role(server: Server, setting: Setting) -> None:
    assert wids(server, setting, "api://roles-v1/.default") == {"ver": "1.0", "wids": [MEMBER]}
    assert wids(server, setting, "api://roles-v2/.default") == {"ver": "2.0", "wids": [MEMBER]}


def test_a_role_given_and_taken_shows_in_the_very_next_token(server: Server, setting: Setting) -> None:
    user_id = setting.user["id"]
    assert wids(server, setting, "api://roles-v2/.default")["wids"] == [MEMBER]   # read, and cached, without roles
    created = [ok(server.graph("POST", ASSIGNMENTS, json={
        "principalId": user_id, "roleDefinitionId": role, "directoryScopeId": "/"}), 201)
        for role in (GLOBAL_ADMIN, GROUPS_ADMIN)]
    assert wids(server, setting, "api://roles-v1/.default") == {"ver": "1.0",
                                                               "wids": [GLOBAL_ADMIN, GROUPS_ADMIN, MEMBER]}
    assert wids(server, setting, "api://roles-v2/.default") == {"ver": "2.0",
                                                               "wids": [GLOBAL_ADMIN, GROUPS_ADMIN, MEMBER]}
    assert server.graph("DELETE", f"{ASSIGNMENTS}/{created[0]['id']}").status_code == 204
    assert wids(server, setting, "api://roles-v2/.default")["wids"] == [GROUPS_ADMIN, MEMBER]
    assert server.graph("DELETE", f"/directoryRoles/{GROUPS_ADMIN}/members/{user_id}/$ref").status_code == 204
    assert wids(server, setting, "api://roles-v1/.default")["wids"] == [MEMBER]


def test_id_tokens_carry_wids_only_for_a_client_that_asks(server: Server, setting: Setting) -> None:
    created = ok(server.graph("POST", ASSIGNMENTS, json={
        "principalId": setting.user["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}), 201)
    try:
        asked = sign_in(server, setting, "User.Read", setting.desktop_app_id)
        assert asked["id_token_claims"]["wids"] == [GLOBAL_ADMIN, MEMBER]
        assert jwt.unverified_parts(asked["access_token"])[1]["wids"] == [GLOBAL_ADMIN, MEMBER]
        plain = sign_in(server, setting, "api://roles-v2/.default")   # the Azure CLI asks for no group claims
        assert "wids" not in plain["id_token_claims"] and plain["id_token_claims"]["oid"] == setting.user["id"]
        assert jwt.unverified_parts(plain["access_token"])[1]["wids"] == [GLOBAL_ADMIN, MEMBER]
    finally:
        assert server.graph("DELETE", f"{ASSIGNMENTS}/{created['id']}").status_code == 204


def test_the_authorize_endpoints_id_token_follows_the_same_rule(server: Server, setting: Setting) -> None:
    """An ID token alone (the authorization endpoint's answer, ``TokenService.issue_id_token``) carries ``wids``
    for the client that asks for directory roles only."""
    created = ok(server.graph("POST", ASSIGNMENTS, json={
        "principalId": setting.user["id"], "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": "/"}), 201)
    rt = server.runtime()
    try:
        user = rt.directory.user(server.tenant_id, setting.user["id"])
        for client_id, expected in ((setting.desktop_app_id, [GROUPS_ADMIN, MEMBER]),
                                    (builtins.AZURE_CLI_APP_ID, None)):
            token = rt.tokens.issue_id_token(server.tenant_id, user, client_id, IdTokenFacts(nonce="n"))
            claims = jwt.unverified_parts(token)[1]
            assert claims["aud"] == client_id and claims.get("wids") == expected
    finally:
        rt.store.dispose()
        assert server.graph("DELETE", f"{ASSIGNMENTS}/{created['id']}").status_code == 204
