"""SECURITY.md item 48: the password and device code grants only for a public client or a client that proves
itself with its credential. Anyone knowing a confidential client's id must not be able to sign users in through
it (and get tokens in its name) without its secret: AADSTS7000218, as from Entra, at the device authorization
endpoint and at every poll."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenantd.domain import builtins

from ..http.graph_support import new_app, new_client, ok
from ..support import Server
from .support import aadsts

PASSWORD = "Public-Client-48"


@pytest.fixture(scope="module")
def alice(server: Server) -> Iterator[dict[str, Any]]:
    rt = server.runtime()
    rt.directory.create_application(server.tenant_id, "Things API", identifier_uris=["api://things"],
                                    with_service_principal=True)
    rt.store.dispose()
    yield ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
        "userPrincipalName": "alice48@contoso.test", "passwordProfile": {"password": PASSWORD}}), 201)


def ropc(server: Server, client_id: str, **extra: str) -> Any:
    return server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "password", "client_id": client_id, "username": "alice48@contoso.test",
        "password": PASSWORD, "scope": "openid profile", **extra})   # Graph's User.Read: held without consent


def test_48_a_confidential_client_without_its_credential_is_refused(server: Server, alice: dict[str, Any]) -> None:
    app, _, secret = new_client(server)
    assert aadsts(ropc(server, app["appId"])) == (401, "invalid_client", [7000218])
    assert ropc(server, app["appId"], client_secret=secret).status_code == 200
    assert aadsts(ropc(server, app["appId"], client_secret="wrong" + secret))[:2] == (401, "invalid_client")


def test_48_a_client_with_no_credential_at_all_is_no_public_client(server: Server, alice: dict[str, Any]) -> None:
    app = new_app(server, "no credential")
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    assert aadsts(ropc(server, app["appId"])) == (401, "invalid_client", [7000218])


def test_48_a_public_first_party_client_signs_in_without_a_credential(server: Server,
                                                                       alice: dict[str, Any]) -> None:
    assert ropc(server, builtins.AZURE_CLI_APP_ID).status_code == 200


def devicecode(server: Server, client_id: str, tenant: str | None = None, **extra: str) -> Any:
    return server.http().post(f"/{tenant or server.tenant_id}/oauth2/v2.0/devicecode", data={
        "client_id": client_id, "scope": "api://things/.default", **extra})


@pytest.mark.parametrize("tenant", [None, "common"])
def test_48_the_device_code_flow_refuses_a_confidential_client_without_its_credential(
        server: Server, alice: dict[str, Any], tenant: str | None) -> None:
    app, _, secret = new_client(server)
    if tenant == "common":   # only an application for every organization asks there (else AADSTS50194)
        assert aadsts(devicecode(server, app["appId"], tenant)) == (400, "invalid_request", [50194])
        ok(server.graph("PATCH", f"/applications/{app['id']}", json={"signInAudience": "AzureADMultipleOrgs"}), 204)
    assert aadsts(devicecode(server, app["appId"], tenant)) == (401, "invalid_client", [7000218])
    flow = devicecode(server, app["appId"], tenant, client_secret=secret)
    assert flow.status_code == 200
    polled = server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": app["appId"],
        "device_code": flow.json()["device_code"]})
    assert aadsts(polled) == (401, "invalid_client", [7000218])   # each poll proves the client again


def test_48_the_device_code_flow_takes_public_clients(server: Server, alice: dict[str, Any]) -> None:
    assert devicecode(server, builtins.AZURE_CLI_APP_ID).status_code == 200
    app = new_app(server, "public", isFallbackPublicClient=True)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    assert devicecode(server, app["appId"]).status_code == 200
