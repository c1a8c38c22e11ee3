"""azure-identity, unmodified, authenticates with a certificate (sync through msal: RS256 and x5t; async: PS256
and x5t#S256), with an assertion of its own (ClientAssertionCredential), and with a token file
(WorkloadIdentityCredential) that an external issuer or tenantd itself signed; each token carries the roles
assigned to the client, and ``appidacr``/``azpacr`` "2"."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import msal
import pytest
from azure.identity import CertificateCredential, ClientAssertionCredential, WorkloadIdentityCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential
from cryptography.hazmat.primitives import hashes, serialization

from tenantd.domain import rules

from ..support import Server, start_server
from ..tokens.support import Issuer, assertion, certificate, der_b64, new_key, pem

READ = "32028ccd-3212-4f39-3212-beabd6787d81"
WRITE = "0d7c3e58-1f2a-4b6c-9d8e-7f6a5b4c3d2e"
UA_B = "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/rg/providers/" \
       "Microsoft.ManagedIdentity/userAssignedIdentities/orders-b"
UA_A = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/" \
       "Microsoft.ManagedIdentity/userAssignedIdentities/orders-a"
K8S_SUBJECT = "system:serviceaccount:default:orders"


@dataclass
class Setup:
    client_id: str
    pem_file: Path
    key: Any
    cert: Any
    api_app_id: str
    v2_app_id: str
    workload_app_id: str
    tenant_b: str
    ua_a: str
    ua_b_client_id: str


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuer]:
    running = Issuer(tmp_path_factory.mktemp("issuer"))
    yield running
    running.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Iterator[Server]:
    """tenantd trusting the test issuer's CA (OpenSSL's SSL_CERT_FILE), loopback issuers allowed (the default)."""
    running = start_server(tmp_path_factory.mktemp("tenantd"), env={"SSL_CERT_FILE": str(issuer.ca_file)})
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


@pytest.fixture(scope="module")
def setup(server: Server, issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Setup:
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
    key = new_key()
    cert = certificate(key, "things-cert-client")
    client = d.create_application(tid, "cert client", with_service_principal=True,
                                  key_credentials=[{"key": der_b64(cert), "displayName": "ci"}])
    client_sp = d.service_principal_by_app_id(tid, client.app_id).id
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    d.assign(tid, client_sp, api_sp, READ)
    d.assign(tid, client_sp, d.service_principal_by_app_id(tid, v2.app_id).id, WRITE)
    workload = d.create_application(tid, "k8s workload", with_service_principal=True)
    d.add_federated_credential(tid, workload.id, "application", "orders", issuer.url, K8S_SUBJECT)
    d.assign(tid, d.service_principal_by_app_id(tid, workload.app_id).id, api_sp, WRITE)
    # Tenant B trusts tenant A's user-assigned identity: B's own identity federates from A's tokens.
    ua_a = d.create_managed_identity(tid, "orders-a", "UserAssigned", UA_A)
    tenant_b = d.create_tenant("tenant-b")
    api_b = d.create_application(tenant_b.id, "Things API", identifier_uris=["api://things"], app_roles=roles,
                                 with_service_principal=True)
    ua_b = d.create_managed_identity(tenant_b.id, "orders-b", "UserAssigned", UA_B)
    d.add_federated_credential(tenant_b.id, ua_b.id, "managedIdentity", "from-tenant-a",
                               f"{server.url}/{tid}/", ua_a.id)
    d.assign(tenant_b.id, ua_b.id, d.service_principal_by_app_id(tenant_b.id, api_b.app_id).id, READ)
    rt.store.dispose()
    pem_file = tmp_path_factory.mktemp("cert") / "client.pem"
    pem_file.write_bytes(pem(key, cert))
    return Setup(client.app_id, pem_file, key, cert, api.app_id, v2.app_id, workload.app_id, tenant_b.id, ua_a.id,
                 ua_b.app_id)


def _verify(server: Server, token: str, audience: str, tenant: str, version: str = "v2.0") -> dict[str, Any]:
    """Verify as an API would: the tenant's discovery document, its jwks_uri, its issuer."""
    path = f"/{tenant}/v2.0/.well-known/openid-configuration" if version == "v2.0" else \
        f"/{tenant}/.well-known/openid-configuration"
    with server.http() as client:
        discovery = client.get(path).json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=discovery["issuer"])


def test_certificate_credential_sync_signs_through_msal(server: Server, setup: Setup) -> None:
    credential = CertificateCredential(server.tenant_id, setup.client_id, certificate_path=str(setup.pem_file),
                                       authority=server.url, disable_instance_discovery=True)
    claims = _verify(server, credential.get_token("api://things/.default").token, "api://things", server.tenant_id,
                     "v1")
    assert claims["roles"] == ["Things.Read.All"]
    assert claims["appid"] == setup.client_id and claims["appidacr"] == "2" and claims["idtyp"] == "app"


def test_certificate_credential_async_signs_ps256(server: Server, setup: Setup) -> None:
    async def get() -> str:
        credential = AsyncCertificateCredential(server.tenant_id, setup.client_id,
                                                certificate_path=str(setup.pem_file), authority=server.url,
                                                disable_instance_discovery=True, connection_verify=server.ca_cert)
        async with credential:
            return (await credential.get_token("api://things-v2/.default")).token

    claims = _verify(server, asyncio.run(get()), setup.v2_app_id, server.tenant_id)
    assert claims["roles"] == ["Things.Write"]
    assert claims["azp"] == setup.client_id and claims["azpacr"] == "2" and claims["ver"] == "2.0"


@pytest.mark.parametrize("by", ["id", "name"])
def test_certificate_clients_put_one_audience_tenantd_accepts(server: Server, setup: Setup, by: str) -> None:
    """msal and azure-identity (sync through msal, async on its own) with the tenant named by id or by name: msal
    signs for the discovery document's token endpoint, async azure-identity for the endpoint it posts to, each
    one audience string that tenantd accepts."""
    tenant = server.tenant_id if by == "id" else "default"
    key_pem = setup.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
    app = msal.ConfidentialClientApplication(
        setup.client_id, authority=f"{server.url}/{tenant}", instance_discovery=False, verify=server.ca_cert,
        client_credential={"private_key": key_pem, "thumbprint": setup.cert.fingerprint(hashes.SHA1()).hex()})
    result = app.acquire_token_for_client(scopes=["api://things/.default"])
    assert "access_token" in result, result
    sync = CertificateCredential(tenant, setup.client_id, certificate_path=str(setup.pem_file), authority=server.url,
                                 disable_instance_discovery=True)

    async def get() -> str:
        async with AsyncCertificateCredential(tenant, setup.client_id, certificate_path=str(setup.pem_file),
                                              authority=server.url, disable_instance_discovery=True,
                                              connection_verify=server.ca_cert) as credential:
            return (await credential.get_token("api://things/.default")).token

    for token in (result["access_token"], sync.get_token("api://things/.default").token, asyncio.run(get())):
        assert _verify(server, token, "api://things", server.tenant_id, "v1")["roles"] == ["Things.Read.All"]


def test_client_assertion_credential_with_an_assertion_of_its_own(server: Server, setup: Setup) -> None:
    endpoint = f"{server.url}/{server.tenant_id}/oauth2/v2.0/token"
    credential = ClientAssertionCredential(
        server.tenant_id, setup.client_id, lambda: assertion(setup.key, setup.cert, setup.client_id, endpoint),
        authority=server.url, disable_instance_discovery=True)
    claims = _verify(server, credential.get_token("api://things/.default").token, "api://things", server.tenant_id,
                     "v1")
    assert claims["roles"] == ["Things.Read.All"] and claims["appidacr"] == "2"


def test_workload_identity_credential_with_an_external_issuers_token(server: Server, setup: Setup, issuer: Issuer,
                                                                     tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(issuer.token(K8S_SUBJECT))
    credential = WorkloadIdentityCredential(tenant_id=server.tenant_id, client_id=setup.workload_app_id,
                                            token_file_path=str(token_file), authority=server.url)
    claims = _verify(server, credential.get_token("api://things/.default").token, "api://things", server.tenant_id,
                     "v1")
    assert claims["roles"] == ["Things.Write"]
    assert claims["appid"] == setup.workload_app_id and claims["appidacr"] == "2"
    assert "/issuer/.well-known/openid-configuration" in issuer.requests and "/issuer/keys" in issuer.requests


def test_workload_identity_of_a_user_assigned_identity_federating_from_another_tenant(
        server: Server, setup: Setup, tmp_path: Path) -> None:
    minted = server.admin("POST", "/token", json={"principalId": setup.ua_a, "resource": "api://AzureADTokenExchange"})
    assert minted.status_code == 200, minted.text
    exchange = jwt.decode(minted.json()["access_token"], options={"verify_signature": False})
    assert exchange["iss"] == f"{server.url}/{server.tenant_id}/" and exchange["sub"] == setup.ua_a
    token_file = tmp_path / "token"
    token_file.write_text(minted.json()["access_token"])
    credential = WorkloadIdentityCredential(tenant_id=setup.tenant_b, client_id=setup.ua_b_client_id,
                                            token_file_path=str(token_file), authority=server.url)
    claims = _verify(server, credential.get_token("api://things/.default").token, "api://things", setup.tenant_b,
                     "v1")
    assert claims["tid"] == setup.tenant_b and claims["roles"] == ["Things.Read.All"]
    assert claims["appid"] == setup.ua_b_client_id and claims["appidacr"] == "2" and claims["idtyp"] == "app"
    assert claims["xms_mirid"] == UA_B
