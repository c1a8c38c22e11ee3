"""The Azure Resource Manager surface under /arm, through a real server: the cloud metadata the Azure CLI reads,
tenants and subscriptions in ARM's shapes, who sees which subscription, the audiences ARM accepts and refuses,
and ARM's error envelope for everything else."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenantd.domain import builtins

from ..support import Server
from .graph_support import graph_token, new_client, ok

PASSWORD = "Correct-Horse-7"
ARM = "https://management.core.windows.net/"
Obj = dict[str, Any]
SUB_KEYS = {"id", "authorizationSource", "managedByTenants", "subscriptionId", "tenantId", "displayName", "state",
            "subscriptionPolicies"}


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[Obj]:
    alice = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
        "userPrincipalName": "alice@contoso.test",
        "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False}}), 201)
    app, sp, secret = new_client(server)
    ids = {name: str(uuid.uuid4()) for name in ("dev", "shared", "ci")}
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    d.put_subscription(tid, ids["dev"], "Dev", visible_to_all=False, viewers=[alice["id"]])
    d.put_subscription(tid, ids["shared"], "Shared", visible_to_all=True, viewers=[])
    d.put_subscription(tid, ids["ci"], "CI", visible_to_all=False, viewers=[sp["id"]])
    rt.store.dispose()
    yield {"alice": alice, "app": app, "sp": sp, "secret": secret, **ids}


def _user_token(server: Server, resource: str = ARM) -> str:
    response = server.http().post(f"/{server.tenant_id}/oauth2/token", data={
        "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": "alice@contoso.test",
        "password": PASSWORD, "resource": resource})
    return str(ok(response)["access_token"])


def _app_token(server: Server, world: Obj, resource: str = ARM) -> str:
    return str(ok(server.token(world["app"]["appId"], world["secret"], f"{resource}/.default"))["access_token"])


def _arm(server: Server, path: str, token: str | None, *, method: str = "GET",
         version: str | None = "2022-12-01") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    params = {"api-version": version} if version else {}
    with server.http() as client:
        return client.request(method, "/arm" + path, headers=headers, params=params)


def _arm_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


def test_the_metadata_document_describes_tenantd_as_a_cloud(server: Server) -> None:
    port = httpx.URL(server.url).port
    for path in ("/arm/metadata/endpoints", "/arm//metadata/endpoints"):
        with server.http() as client:
            doc = ok(client.get(path, params={"api-version": "2022-09-01"}))
        assert doc["name"] == "tenantd"
        assert doc["authentication"] == {
            "loginEndpoint": server.url, "audiences": [ARM, "https://management.azure.com/"], "tenant": "common",
            "identityProvider": "AAD"}
        # Resource Manager on the other loopback name: the Azure CLI picks a token by origin, and Graph is
        # on the public URL's
        assert doc["resourceManager"] == f"https://127.0.0.1:{port}/arm/"
        assert doc["microsoftGraphResourceId"] == server.url + "/"
        assert doc["graphAudience"] == "https://graph.windows.net/"
        assert isinstance(doc["suffixes"], dict) and doc["portal"] == server.url


def test_a_user_sees_her_subscriptions_and_those_visible_to_all(server: Server, world: Obj) -> None:
    listed = ok(_arm(server, "/subscriptions", _user_token(server)))
    assert [s["displayName"] for s in listed["value"]] == ["Dev", "Shared"]
    assert "nextLink" not in listed and listed["count"] == {"type": "Total", "value": 2}
    dev = listed["value"][0]
    assert set(dev) == SUB_KEYS
    assert dev["id"] == f"/subscriptions/{world['dev']}" and dev["subscriptionId"] == world["dev"]
    assert (dev["tenantId"], dev["state"], dev["managedByTenants"]) == (server.tenant_id, "Enabled", [])
    assert ok(_arm(server, f"/subscriptions/{world['dev'].upper()}", _user_token(server))) == dev


def test_an_app_sees_only_what_is_declared_visible_to_it(server: Server, world: Obj) -> None:
    token = _app_token(server, world)
    assert [s["displayName"] for s in ok(_arm(server, "/subscriptions", token))["value"]] == ["CI", "Shared"]
    message = _arm_error(_arm(server, f"/subscriptions/{world['dev']}", token), 404, "SubscriptionNotFound")
    assert message == f"The subscription '{world['dev']}' could not be found."
    _arm_error(_arm(server, "/subscriptions/not-a-guid", token), 400, "InvalidSubscriptionId")


def test_the_tenant_list_names_the_callers_tenant(server: Server, world: Obj) -> None:
    listed = ok(_arm(server, "/tenants", _user_token(server)))
    [tenant] = listed["value"]
    assert tenant["id"] == f"/tenants/{server.tenant_id}" and tenant["tenantId"] == server.tenant_id
    assert tenant["tenantCategory"] == "Home" and tenant["defaultDomain"] in tenant["domains"]
    assert tenant["displayName"]


def test_every_resource_manager_audience_is_accepted(server: Server, world: Obj) -> None:
    for resource in (ARM, "https://management.azure.com/", "https://management.azure.com"):
        listed = ok(_arm(server, "/subscriptions", _app_token(server, world, resource.rstrip("/") + "/")))
        assert len(listed["value"]) == 2, resource
        assert ok(_arm(server, "/subscriptions", _user_token(server, resource)))["count"]["value"] == 2


def test_tokens_for_other_audiences_and_bad_tokens_get_arms_401(server: Server, world: Obj) -> None:
    graph = graph_token(server, world["app"], world["secret"])
    response = _arm(server, "/subscriptions", graph)
    message = _arm_error(response, 401, "InvalidAuthenticationTokenAudience")
    assert message.startswith("The access token has been obtained for wrong audience or resource "
                              "'https://graph.microsoft.com'.")
    assert response.headers["www-authenticate"].startswith(
        f'Bearer authorization_uri="{server.url}/", error="invalid_token", error_description=')
    _arm_error(_arm(server, "/subscriptions", _user_token(server, "https://graph.microsoft.com")), 401,
               "InvalidAuthenticationTokenAudience")
    assert _arm_error(_arm(server, "/subscriptions", None), 401, "AuthenticationFailed") == \
        "Authentication failed. The 'Authorization' header is missing."
    forged = _user_token(server)[:-8] + "AAAAAAAA"
    for bad in (forged, "not-a-token"):
        _arm_error(_arm(server, "/subscriptions", bad), 401, "InvalidAuthenticationToken")
    _arm_error(_arm(server, "/nothing/here", graph), 401, "InvalidAuthenticationTokenAudience")


def test_other_paths_methods_and_a_missing_api_version_get_arms_errors(server: Server, world: Obj) -> None:
    token = _user_token(server)
    message = _arm_error(_arm(server, f"/subscriptions/{world['dev']}/resourceGroups", token), 404,
                         "InvalidResourceType")
    assert message == ("The resource type 'resourceGroups' could not be found in the namespace "
                       "'Microsoft.Resources' for api version '2022-12-01'.")
    _arm_error(_arm(server, "/providers/Microsoft.Compute", token), 404, "InvalidResourceType")
    _arm_error(_arm(server, "/subscriptions", token, version=None), 400, "MissingApiVersionParameter")
    _arm_error(_arm(server, "/subscriptions", token, method="POST"), 405, "MethodNotAllowed")


def test_a_long_list_pages_with_next_links(server: Server, world: Obj) -> None:
    rt = server.runtime()
    added = [str(uuid.uuid4()) for _ in range(120)]
    for i, sub_id in enumerate(added):
        rt.directory.put_subscription(server.tenant_id, sub_id, f"Bulk {i:03}", visible_to_all=False,
                                      viewers=[world["alice"]["id"]])
    rt.store.dispose()
    token, seen = _user_token(server), []
    first = ok(_arm(server, "/subscriptions", token))
    assert len(first["value"]) == 100 and first["count"]["value"] == 122
    port = httpx.URL(server.url).port
    assert first["nextLink"].startswith(f"https://127.0.0.1:{port}/arm/subscriptions?api-version=2022-12-01&")
    seen += first["value"]
    with server.http() as client:   # the link's own host is the loopback alias: follow its path here
        link = httpx.URL(first["nextLink"])
        second = ok(client.get(link.path, params=link.params, headers={"Authorization": f"Bearer {token}"}))
    seen += second["value"]
    assert "nextLink" not in second
    assert len({s["subscriptionId"] for s in seen}) == 122
    rt = server.runtime()
    for sub_id in added:
        rt.directory.remove_subscription(server.tenant_id, sub_id)
    rt.store.dispose()


def test_a_token_of_another_tenant_sees_that_tenants_subscriptions_only(server: Server, world: Obj) -> None:
    second = ok(server.admin("POST", "/tenants", json={"name": f"second-{uuid.uuid4().hex[:6]}"}), 201)
    theirs = str(uuid.uuid4())
    rt = server.runtime()
    rt.directory.put_subscription(second["id"], theirs, "Theirs", visible_to_all=True, viewers=[])
    rt.store.dispose()
    response = server.token(second["admin"]["clientId"], second["admin"]["clientSecret"], f"{ARM}/.default",
                            tenant=second["id"])
    token = str(ok(response)["access_token"])
    listed = ok(_arm(server, "/subscriptions", token))
    assert [(s["displayName"], s["tenantId"]) for s in listed["value"]] == [("Theirs", second["id"])]
    assert ok(_arm(server, "/tenants", token))["value"][0]["tenantId"] == second["id"]
    # "Shared" is visible to everyone, in its own tenant
    _arm_error(_arm(server, f"/subscriptions/{world['shared']}", token), 404, "SubscriptionNotFound")
    _arm_error(_arm(server, f"/subscriptions/{theirs}", _user_token(server)), 404, "SubscriptionNotFound")
