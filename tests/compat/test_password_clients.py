"""The real msal and azure-identity sign a user in with her password (ROPC) against tenantd, reaching its user
realm endpoint as ``user_realm.py`` explains."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import msal
import pytest
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import UsernamePasswordCredential

from tenantd.domain import builtins, rules
from tenantd.tokens import jwt

from ..http.graph_support import ok
from ..support import Server
from .user_realm import session_for

READ = "32028ccd-3212-4f39-3212-beabd6787d81"
ACCESS = "5c1f7a52-0b55-4a8e-9d7e-2f0a3c9b1e64"
PASSWORD = "Msal-Signs-In-1"


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests prefers REQUESTS_CA_BUNDLE over a session's own verify, so point it at the bundle."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])


@pytest.fixture(scope="module")
def alice(server: Server) -> Iterator[dict[str, Any]]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    role = {"id": READ, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["User"]}
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([role]), requested_access_token_version=2)
    d.create_application(tid, "Other API", identifier_uris=["api://other"], with_service_principal=True)
    rt.store.dispose()
    ok(server.graph("PATCH", f"/applications/{api.id}", json={"api": {   # Entra needs consent: pre-authorized
        "oauth2PermissionScopes": [{"id": ACCESS, "value": "Things.Access", "type": "User", "isEnabled": True,
                                    "adminConsentDisplayName": "Access", "adminConsentDescription": "Access"}],
        "preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [ACCESS]}]}}),
       204)
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
        "userPrincipalName": "alice@contoso.test", "passwordProfile": {"password": PASSWORD}}), 201)
    rt = server.runtime()
    rt.directory.assign(tid, user["id"], rt.directory.service_principal_by_app_id(tid, api.app_id).id, READ)
    rt.store.dispose()
    yield {"user": user, "api_app_id": api.app_id}


def test_msal_public_client_signs_alice_in_with_her_password(server: Server, alice: dict[str, Any]) -> None:
    app = msal.PublicClientApplication(builtins.AZURE_CLI_APP_ID, authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False, http_client=session_for(server))
    result = app.acquire_token_by_username_password("alice@contoso.test", PASSWORD,
                                                    scopes=["api://things/.default"])
    assert "access_token" in result, result
    claims = jwt.unverified_parts(result["access_token"])[1]
    assert claims["oid"] == alice["user"]["id"] and claims["roles"] == ["Things.Read.All"]
    assert claims["scp"] == "Things.Access"
    assert claims["aud"] == alice["api_app_id"] and claims["azp"] == builtins.AZURE_CLI_APP_ID
    assert claims["preferred_username"] == "alice@contoso.test"
    (account,) = app.get_accounts()   # built from client_info
    assert account["home_account_id"] == f"{alice['user']['id']}.{server.tenant_id}"
    wrong = app.acquire_token_by_username_password("alice@contoso.test", "Not-Her-Password-1",
                                                   scopes=["api://things/.default"])
    assert wrong["error"] == "invalid_grant" and wrong["error_codes"] == [50126]
    unconsented = app.acquire_token_by_username_password("alice@contoso.test", PASSWORD,
                                                         scopes=["api://other/.default"])
    assert unconsented["error"] == "invalid_grant" and unconsented["error_codes"] == [65001]
    assert unconsented["suberror"] == "consent_required" and "access_token" not in unconsented


def test_azure_identity_username_password_credential(server: Server, alice: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # deprecated (no MFA), still shipped
        credential = UsernamePasswordCredential(
            builtins.AZURE_CLI_APP_ID, "alice@contoso.test", PASSWORD, tenant_id=server.tenant_id,
            authority=server.url, disable_instance_discovery=True,
            transport=RequestsTransport(session=session_for(server), session_owner=False))
    token = credential.get_token("api://things/.default")
    claims = jwt.unverified_parts(token.token)[1]
    assert claims["oid"] == alice["user"]["id"] and claims["roles"] == ["Things.Read.All"]
