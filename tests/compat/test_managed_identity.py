"""azure-identity and msal, unmodified, get managed identity tokens from tenantd's identity endpoints,
through every platform protocol, with exactly the roles assigned to the identity."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import jwt
import msal
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ManagedIdentityCredential
from azure.identity.aio import ManagedIdentityCredential as AsyncManagedIdentityCredential

from ..support import Server, start_server
from .identities import READ, things_and_identities

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers"
SITE = f"{SUB}/Microsoft.Web/sites/joonasmsitest"
OTHER_SITE = f"{SUB}/Microsoft.Web/sites/other"
UA = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-worker"
PLATFORM_VARS = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET",
                 "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_CLIENT_ID", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT")


@dataclass
class World:
    identity_url: str
    secret: str
    other_secret: str
    system_id: str
    ua_id: str
    ua_client_id: str
    api_sp: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without IMDS's per-host rate limit: these tests send bursts (tests/http covers the limit)."""
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--imds-rate", "0", "--imds-concurrency", "0")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    api_sp, system, ua = things_and_identities(d, tid, SITE, UA)
    d.create_managed_identity(tid, "other", "SystemAssigned", OTHER_SITE)
    rt.store.dispose()
    sessions = [server.admin("POST", "/hosts/sessions", json={"host": host}) for host in (SITE, OTHER_SITE)]
    assert all(s.status_code == 201 for s in sessions), [s.text for s in sessions]
    yield World(server.info["identity_url"], sessions[0].json()["secret"], sessions[1].json()["secret"],
                system.id, ua.id, ua.app_id, api_sp)


def _platform(monkeypatch: pytest.MonkeyPatch, world: World, platform: str) -> None:
    for name in PLATFORM_VARS:
        monkeypatch.delenv(name, raising=False)
    url, secret = world.identity_url, world.secret
    if platform == "imds":
        monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", f"{url}/{secret}")
    elif platform == "appservice":
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"{url}/msi/token")
        monkeypatch.setenv("IDENTITY_HEADER", secret)
    elif platform == "msi2017":
        monkeypatch.setenv("MSI_ENDPOINT", f"{url}/msi/token")
        monkeypatch.setenv("MSI_SECRET", secret)
    elif platform == "cloudshell":
        monkeypatch.setenv("MSI_ENDPOINT", f"{url}/{secret}/cloudshell/token")


def _claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("platform", ["imds", "appservice", "msi2017", "cloudshell"])
def test_system_assigned_identity_sync_and_async(server: Server, world: World, platform: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, platform)
    token = ManagedIdentityCredential().get_token("api://things/.default").token

    async def get_async() -> str:
        async with AsyncManagedIdentityCredential() as credential:
            return (await credential.get_token("api://things/.default")).token

    for claims in (_claims(token), _claims(asyncio.run(get_async()))):
        assert claims["roles"] == ["Things.Read.All"]
        assert claims["oid"] == world.system_id and claims["appidacr"] == "2" and claims["idtyp"] == "app"
        assert claims["xms_mirid"] == SITE and "xms_az_rid" not in claims
        assert claims["aud"] == "api://things" and claims["tid"] == server.tenant_id


@pytest.mark.parametrize("platform", ["imds", "appservice"])
@pytest.mark.parametrize("selector", ["client_id", "object_id", "resource_id"])
def test_user_assigned_identity_by_each_selector(world: World, platform: str, selector: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, platform)
    value = {"client_id": world.ua_client_id, "object_id": world.ua_id, "resource_id": UA}[selector]
    claims = _claims(ManagedIdentityCredential(identity_config={selector: value})
                     .get_token("api://things/.default").token)
    assert claims["roles"] == ["Things.Write"] and claims["oid"] == world.ua_id
    assert claims["xms_mirid"] == UA and claims["xms_az_rid"] == SITE


@pytest.mark.parametrize("identity", ["system", "user"])
def test_msal_managed_identity_client(world: World, identity: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, "appservice")
    managed = (msal.SystemAssignedManagedIdentity() if identity == "system"
               else msal.UserAssignedManagedIdentity(client_id=world.ua_client_id))
    result = msal.ManagedIdentityClient(managed, http_client=requests.Session()).acquire_token_for_client(
        resource="api://things")
    assert "access_token" in result, result
    expected = ["Things.Read.All"] if identity == "system" else ["Things.Write"]
    assert _claims(result["access_token"])["roles"] == expected


def test_unknown_resource_and_identities_of_other_hosts_are_refused(world: World,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, "imds")
    with pytest.raises(ClientAuthenticationError, match="AADSTS500011"):
        ManagedIdentityCredential().get_token("api://nowhere/.default")
    with httpx.Client(base_url=world.identity_url) as client:
        other_host = client.get(f"/{world.other_secret}/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                                params={"api-version": "2018-02-01", "resource": "api://things",
                                        "object_id": world.ua_id})
        wrong_secret = client.get("/not-a-host/metadata/identity/oauth2/token", headers={"Metadata": "true"},
                                  params={"api-version": "2018-02-01", "resource": "api://things"})
    assert other_host.status_code == 400 and other_host.json()["error_description"] == "Identity not found"
    assert wrong_secret.status_code == 400


def test_a_revoked_role_leaves_the_next_token_although_it_was_cached(server: Server, world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, "appservice")
    params = {"api-version": "2019-08-01", "resource": "api://things"}
    headers = {"X-IDENTITY-HEADER": world.secret}
    rt = server.runtime()
    try:
        with httpx.Client(base_url=world.identity_url) as client:
            first = client.get("/msi/token", params=params, headers=headers).json()
            assert client.get("/msi/token", params=params, headers=headers).json() == first  # served from cache
            assignment = next(a for a in rt.directory.assignments_of(server.tenant_id, world.system_id)
                              if a.app_role_id == READ)
            rt.directory.unassign(server.tenant_id, assignment.id, principal_id=world.system_id)
            after = client.get("/msi/token", params=params, headers=headers).json()
            assert "roles" not in _claims(after["access_token"])
            rt.directory.assign(server.tenant_id, world.system_id, world.api_sp, READ)
            again = client.get("/msi/token", params=params, headers=headers).json()
            assert _claims(again["access_token"])["roles"] == ["Things.Read.All"]
    finally:
        rt.store.dispose()


@pytest.mark.parametrize(("scope", "audience"), [
    ("https://management.azure.com/.default", "https://management.azure.com"),  # v1: aud as requested
    ("https://vault.azure.net/.default", "https://vault.azure.net"),
    ("https://storage.azure.com/.default", "https://storage.azure.com"),
    ("https://graph.microsoft.com/.default", "https://graph.microsoft.com"),
])
def test_tokens_for_well_known_azure_resources(world: World, scope: str, audience: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _platform(monkeypatch, world, "imds")
    claims = _claims(ManagedIdentityCredential().get_token(scope).token)
    assert claims["aud"] == audience and claims["oid"] == world.system_id and "roles" not in claims
