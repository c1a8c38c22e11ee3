"""The real clients, unmodified, get client-credential tokens whose roles match the assignments, and PyJWT
verifies every token against the discovery document (issuer, audience, signature)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import msal
import pytest
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from tenantd.domain import rules

from ..support import Server

READ = "32028ccd-3212-4f39-3212-beabd6787d81"
WRITE = "0d7c3e58-1f2a-4b6c-9d8e-7f6a5b4c3d2e"


@dataclass
class Setup:
    client_id: str
    secret: str
    client_sp: str
    api_sp: str
    api_app_id: str
    v2_app_id: str


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests prefers REQUESTS_CA_BUNDLE over a client's own verify option, so point it at the bundle."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


@pytest.fixture(scope="module")
def setup(server: Server) -> Iterator[Setup]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    roles = rules.app_roles([
        {"id": READ, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["Application"]},
        {"id": WRITE, "value": "Things.Write", "displayName": "Write", "allowedMemberTypes": ["Application"]},
    ])
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], app_roles=roles,
                               with_service_principal=True)
    v2 = d.create_application(tid, "Things API v2", identifier_uris=["api://things-v2"], app_roles=roles,
                              requested_access_token_version=2, with_service_principal=True)
    web = d.create_application(tid, "Things web (dev)", with_service_principal=True)
    _, secret = d.add_password(tid, web.id)
    web_sp = d.service_principal_by_app_id(tid, web.app_id).id
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    d.assign(tid, web_sp, api_sp, READ)
    d.assign(tid, web_sp, d.service_principal_by_app_id(tid, v2.app_id).id, WRITE)
    rt.store.dispose()
    yield Setup(web.app_id, secret, web_sp, api_sp, api.app_id, v2.app_id)


def _verify(server: Server, token: str, audience: str, version: str = "v2.0") -> dict[str, Any]:
    """Verify as an API would: discovery document, its jwks_uri, its issuer, the expected audience."""
    path = f"/{server.tenant_id}/v2.0/.well-known/openid-configuration" if version == "v2.0" else \
        f"/{server.tenant_id}/.well-known/openid-configuration"
    with server.http() as client:
        discovery = client.get(path).json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=discovery["issuer"])


def test_msal_confidential_client_gets_a_token_with_the_assigned_role(server: Server, setup: Setup) -> None:
    app = msal.ConfidentialClientApplication(
        setup.client_id, client_credential=setup.secret, authority=f"{server.url}/{server.tenant_id}",
        instance_discovery=False, verify=server.ca_cert,
    )
    result = app.acquire_token_for_client(scopes=["api://things/.default"])
    assert "access_token" in result, result
    claims = _verify(server, result["access_token"], "api://things", version="v1")
    assert claims["roles"] == ["Things.Read.All"]
    assert claims["appid"] == setup.client_id and claims["oid"] == claims["sub"] == setup.client_sp
    assert claims["ver"] == "1.0" and claims["idtyp"] == "app" and claims["tid"] == server.tenant_id
    assert claims["appidacr"] == "1"
    assert 3600 <= claims["exp"] - claims["iat"] <= 5400


def test_azure_identity_sync_credential_gets_a_v2_token_for_a_v2_resource(server: Server, setup: Setup) -> None:
    credential = ClientSecretCredential(server.tenant_id, setup.client_id, setup.secret, authority=server.url,
                                        disable_instance_discovery=True, connection_verify=server.ca_cert)
    token = credential.get_token("api://things-v2/.default")
    claims = _verify(server, token.token, setup.v2_app_id)
    assert claims["roles"] == ["Things.Write"]
    assert claims["ver"] == "2.0" and claims["azp"] == setup.client_id and claims["azpacr"] == "1"
    assert claims["iss"] == f"{server.url}/{server.tenant_id}/v2.0"
    assert abs(token.expires_on - claims["exp"]) <= 5


def test_azure_identity_async_credential_gets_a_token(server: Server, setup: Setup) -> None:
    async def get() -> str:
        credential = AsyncClientSecretCredential(server.tenant_id, setup.client_id, setup.secret,
                                                 authority=server.url, disable_instance_discovery=True,
                                                 connection_verify=server.ca_cert)
        async with credential:
            return (await credential.get_token("api://things/.default")).token

    claims = _verify(server, asyncio.run(get()), "api://things", version="v1")
    assert claims["roles"] == ["Things.Read.All"]


def test_no_assignment_means_no_roles_claim_and_revoke_removes_the_role(server: Server, setup: Setup) -> None:
    rt = server.runtime()
    other = rt.directory.create_application(server.tenant_id, "no roles", with_service_principal=True)
    _, other_secret = rt.directory.add_password(server.tenant_id, other.id)
    response = server.token(other.app_id, other_secret, "api://things/.default")
    assert response.status_code == 200, response.text
    assert "roles" not in jwt.decode(response.json()["access_token"], options={"verify_signature": False})

    sp = rt.directory.service_principal_by_app_id(server.tenant_id, other.app_id).id
    assignment = rt.directory.assign(server.tenant_id, sp, setup.api_sp, READ)
    claims = _verify(server, server.token(other.app_id, other_secret, "api://things/.default").json()
                     ["access_token"], "api://things", version="v1")
    assert claims["roles"] == ["Things.Read.All"]
    rt.directory.unassign(server.tenant_id, assignment.id, principal_id=sp)
    after = server.token(other.app_id, other_secret, "api://things/.default").json()["access_token"]
    assert "roles" not in jwt.decode(after, options={"verify_signature": False})
    rt.store.dispose()


def test_http_basic_client_authentication_and_v1_endpoint_shape(server: Server, setup: Setup) -> None:
    with server.http() as client:
        response = client.post(f"/{server.tenant_id}/oauth2/token",
                               data={"grant_type": "client_credentials", "resource": "api://things"},
                               auth=httpx.BasicAuth(setup.client_id, setup.secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: type(v) for k, v in body.items()} == {
        "token_type": str, "expires_in": str, "ext_expires_in": str, "expires_on": str, "not_before": str,
        "resource": str, "access_token": str}
    assert body["resource"] == "api://things"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "JWT" and header["alg"] == "RS256" and header["x5t"] == header["kid"]


def test_discovery_issuer_equals_token_issuer_and_jwks_has_no_private_members(server: Server, setup: Setup) -> None:
    with server.http() as client:
        v2 = client.get(f"/{server.tenant_id}/v2.0/.well-known/openid-configuration").json()
        v1 = client.get(f"/{server.tenant_id}/.well-known/openid-configuration").json()
        jwks = client.get(f"/{server.tenant_id}/discovery/v2.0/keys").json()
        instance = client.get("/common/discovery/instance", params={
            "api-version": "1.1", "authorization_endpoint": f"{server.url}/{server.tenant_id}/oauth2/v2.0/authorize"})
    assert v2["issuer"] == f"{server.url}/{server.tenant_id}/v2.0"
    assert v1["issuer"] == f"{server.url}/{server.tenant_id}/"
    assert v2["token_endpoint"] == f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
    for key in jwks["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["x5c"]
    assert instance.status_code == 200 and instance.json()["tenant_discovery_endpoint"].startswith(server.url)
    v2_token = server.token(setup.client_id, setup.secret, "api://things-v2/.default").json()["access_token"]
    assert jwt.decode(v2_token, options={"verify_signature": False})["iss"] == v2["issuer"]
