"""The real msal and azure-identity sign people in through tenantd's authorization code, refresh token and
device code grants: msal's device flow (the person approving meanwhile, as the device login page records it),
its silent refresh for the same and another resource, its confidential client redeeming a code, and
azure-identity's DeviceCodeCredential and AuthorizationCodeCredential."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import msal
import pytest
from azure.identity import AuthorizationCodeCredential, DeviceCodeCredential

from tenantd.domain import builtins

from ..http.people_support import WEB_REDIRECT, World, approve, arrange, claims, code_for
from ..support import Server


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])


def approve_soon(server: Server, user_code: str, user: dict[str, str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(0.5), approve(server, user_code, user)))
    thread.start()
    return thread


def test_msal_device_flow_then_silent_refresh_for_another_resource(world: World) -> None:
    server = world.server
    app = msal.PublicClientApplication(world.native["appId"], authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False)
    scopes = [f"{world.api_uri}/Things.Read"]
    flow = app.initiate_device_flow(scopes=scopes)
    assert flow["verification_uri"] == f"{server.url}/devicelogin", flow
    approving = approve_soon(server, flow["user_code"], world.alice)
    result = app.acquire_token_by_device_flow(flow)
    approving.join()
    assert "access_token" in result, result
    assert claims(result["access_token"])["roles"] == ["Things.Reader"]
    assert result["id_token_claims"]["oid"] == world.alice["id"]
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{world.alice['id']}.{server.tenant_id}"
    cached = app.acquire_token_silent(scopes, account)
    assert cached is not None and cached["access_token"] == result["access_token"]   # msal's cache hit
    renewed = app.acquire_token_silent(scopes, account, force_refresh=True)
    assert renewed is not None and renewed["access_token"] != result["access_token"], renewed
    graph = app.acquire_token_silent(["User.Read"], account)   # no such token cached: the refresh token
    assert graph is not None and claims(graph["access_token"])["scp"] == "User.Read", graph


def test_msal_confidential_client_redeems_a_code(world: World) -> None:
    server = world.server
    app = msal.ConfidentialClientApplication(
        world.web["appId"], client_credential=world.web_secret, authority=f"{server.url}/{server.tenant_id}",
        instance_discovery=False)
    scopes = [f"{world.api_uri}/Things.Read"]
    code = code_for(world, world.web, WEB_REDIRECT, world.alice,
                    f"{world.api_uri}/Things.Read offline_access openid profile", nonce="msal-nonce")
    result = app.acquire_token_by_authorization_code(code, scopes, redirect_uri=WEB_REDIRECT)
    assert "access_token" in result, result
    access = claims(result["access_token"])
    assert access["azp"] == world.web["appId"] and access["azpacr"] == "1" and access["scp"] == "Things.Read"
    assert result["id_token_claims"]["nonce"] == "msal-nonce" and result["id_token_claims"]["aud"] == world.web["appId"]
    (account,) = app.get_accounts()
    again = app.acquire_token_silent(scopes, account, force_refresh=True)
    assert again is not None and "access_token" in again, again
    reused = app.acquire_token_by_authorization_code(code, scopes, redirect_uri=WEB_REDIRECT)
    assert reused["error"] == "invalid_grant" and reused["error_codes"] == [54005]


def test_azure_identity_device_code_credential(world: World) -> None:
    server = world.server
    prompts: list[tuple[str, str]] = []

    def prompt(verification_uri: str, user_code: str, expires_on: datetime) -> None:
        prompts.append((verification_uri, user_code))
        approve(server, user_code, world.bob)   # the person answers at once

    credential = DeviceCodeCredential(world.native["appId"], tenant_id=server.tenant_id, authority=server.url,
                                      disable_instance_discovery=True, prompt_callback=prompt)
    access = credential.get_token(f"{world.api_uri}/Things.Read")
    assert prompts and prompts[0][0] == f"{server.url}/devicelogin"
    assert claims(access.token)["oid"] == world.bob["id"] and "roles" not in claims(access.token)


def test_azure_identity_authorization_code_credential(world: World) -> None:
    server = world.server
    code = code_for(world, world.web, WEB_REDIRECT, world.alice,
                    f"openid offline_access {world.api_uri}/Things.Read")
    credential = AuthorizationCodeCredential(server.tenant_id, world.web["appId"], code, WEB_REDIRECT,
                                             client_secret=world.web_secret, authority=server.url)
    first = credential.get_token(f"{world.api_uri}/Things.Read")
    assert claims(first.token)["scp"] == "Things.Read" and claims(first.token)["roles"] == ["Things.Reader"]
    assert credential.get_token(f"{world.api_uri}/Things.Read").token == first.token   # its cache, not the code


def test_msal_device_flow_through_organizations_as_the_azure_cli_signs_in(world: World) -> None:
    """The Azure CLI's way: the ``organizations`` authority (an issuer holding ``{tenantid}``), its client id,
    ARM's ``.default``; the tokens are the tenant of the person who answered."""
    server = world.server
    app = msal.PublicClientApplication(builtins.AZURE_CLI_APP_ID, authority=f"{server.url}/organizations",
                                       instance_discovery=False)
    flow = app.initiate_device_flow(scopes=["https://management.core.windows.net//.default"])
    approving = approve_soon(server, flow["user_code"], world.bob)
    result = app.acquire_token_by_device_flow(flow)
    approving.join()
    assert "access_token" in result, result
    access = claims(result["access_token"])
    assert access["tid"] == server.tenant_id and access["scp"] == "user_impersonation"
    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{world.bob['id']}.{server.tenant_id}"
    renewed = app.acquire_token_silent(["https://management.core.windows.net//.default"], account,
                                       force_refresh=True)
    assert renewed is not None and "access_token" in renewed, renewed
