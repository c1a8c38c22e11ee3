"""The password grant (ROPC) through a real server: users' passwords set through Graph, the v2 and v1 token
endpoints, Entra's refusals, the user realm msal asks first, and the sign-in log."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenantd.domain import builtins, rules
from tenantd.domain.sign_in_state import Domain
from tenantd.tokens import jwt

from ..support import Server
from .graph_support import new_client, ok
from .test_graph_signins import of_app

READ = "32028ccd-3212-4f39-3212-beabd6787d81"
ACCESS = "5c1f7a52-0b55-4a8e-9d7e-2f0a3c9b1e64"
PASSWORD = "Correct-Horse-7"
Obj = dict[str, Any]


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[Obj]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    role = {"id": READ, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["User"]}
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([role]))
    others = d.create_application(tid, "Other API", identifier_uris=["api://other"], with_service_principal=True,
                                  app_roles=rules.app_roles([role]))
    readers = d.create_group(tid, "Things readers")
    rt.store.dispose()
    ok(server.graph("PATCH", f"/applications/{api.id}", json={"api": {
        "oauth2PermissionScopes": [{"id": ACCESS, "value": "Things.Access", "type": "User", "isEnabled": True,
                                    "adminConsentDisplayName": "Access", "adminConsentDescription": "Access"}],
        "preAuthorizedApplications": [{"appId": builtins.AZURE_CLI_APP_ID, "delegatedPermissionIds": [ACCESS]}]}}),
       204)
    alice = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
        "userPrincipalName": "alice@contoso.test",
        "passwordProfile": {"password": PASSWORD, "forceChangePasswordNextSignIn": False}}), 201)
    ok(server.graph("POST", f"/groups/{readers.id}/members/$ref",
                    json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{alice['id']}"}), 204)
    rt = server.runtime()
    for app in (api, others):
        rt.directory.assign(tid, readers.id, rt.directory.service_principal_by_app_id(tid, app.app_id).id, READ)
    rt.store.dispose()
    yield {"alice": alice, "api_app_id": api.app_id}


def ropc(server: Server, username: str, password: str, version: int = 2, **form: str) -> httpx.Response:
    path = "oauth2/v2.0/token" if version == 2 else "oauth2/token"
    data = {"grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": username,
            "password": password}
    data.update({"scope": "openid profile offline_access api://things/.default"} if version == 2
                else {"resource": "api://things"})
    data.update(form)
    return server.http().post(f"/{server.tenant_id}/{path}", data=data)


def claims(response: httpx.Response) -> Obj:
    assert response.status_code == 200, response.text
    return jwt.unverified_parts(response.json()["access_token"])[1]


def refusal(response: httpx.Response) -> tuple[int, str, list[int], str]:
    body = response.json()
    return response.status_code, body["error"], body["error_codes"], body["error_description"].split("\r\n")[0]


def test_a_user_signs_in_with_her_password_and_gets_her_groups_roles(server: Server, world: Obj) -> None:
    response = ropc(server, "Alice@Contoso.test", PASSWORD, client_info="1")
    token = claims(response)
    assert token["oid"] == world["alice"]["id"] and token["upn"] == "alice@contoso.test"
    assert token["roles"] == ["Things.Read.All"] and token["aud"] == "api://things" and token["amr"] == ["pwd"]
    assert token["scp"] == "Things.Access"   # what the API pre-authorizes the Azure CLI for
    assert token["appid"] == builtins.AZURE_CLI_APP_ID and token["appidacr"] == "0" and token["idtyp"] == "user"
    body = response.json()
    assert body["scope"] == "api://things/Things.Access api://things/.default openid profile offline_access"
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] and jwt.unverified_parts(body["id_token"])[1]["aud"] == builtins.AZURE_CLI_APP_ID
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    assert info == {"uid": world["alice"]["id"], "utid": server.tenant_id}


def test_the_v1_endpoint_takes_a_resource(server: Server, world: Obj) -> None:
    response = ropc(server, "alice@contoso.test", PASSWORD, version=1)
    token = claims(response)
    assert token["upn"] == "alice@contoso.test" and token["appid"] == builtins.AZURE_CLI_APP_ID
    assert token["aud"] == "api://things" and response.json()["resource"] == "api://things"
    assert "client_info" not in response.json()


def test_a_client_holding_nothing_on_the_api_gets_no_token_whatever_her_roles(server: Server, world: Obj) -> None:
    """Entra's 65001 (azure-cli issues 12566, 15056): a delegated token needs consent for the client to the
    resource; Alice's role on it does not make up for it."""
    for response in (ropc(server, "alice@contoso.test", PASSWORD, scope="api://other/.default"),
                     ropc(server, "alice@contoso.test", PASSWORD, version=1, resource="api://other")):
        assert refusal(response) == (400, "invalid_grant", [65001], (
            f"AADSTS65001: The user or administrator has not consented to use the application with ID "
            f"'{builtins.AZURE_CLI_APP_ID}' named 'Microsoft Azure CLI'. Send an interactive authorization "
            "request for this user and resource."))
        assert response.json()["suberror"] == "consent_required" and "access_token" not in response.json()
    refresh_token = ropc(server, "alice@contoso.test", PASSWORD).json()["refresh_token"]
    refreshed = server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "client_id": builtins.AZURE_CLI_APP_ID, "refresh_token": refresh_token,
        "scope": "api://other/.default offline_access"})   # as az account get-access-token asks, by refresh token
    assert refusal(refreshed)[:3] == (400, "invalid_grant", [65001])


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(server: Server, world: Obj) -> None:
    wrong = refusal(ropc(server, "alice@contoso.test", PASSWORD + "x"))
    unknown = refusal(ropc(server, "nobody@contoso.test", PASSWORD))
    assert wrong == unknown == (400, "invalid_grant", [50126], "AADSTS50126: Error validating credentials due to "
                                "invalid username or password.")


def test_graph_refuses_passwords_entra_refuses_and_creates_nothing(server: Server, world: Obj) -> None:
    for password in ("Short-1", "alllowercaseletters", "NoDigitsOrSymbols", "Ünïcödé-Pässwörd-1", "x" * 300):
        response = server.graph("POST", "/users", json={
            "accountEnabled": True, "displayName": "Weak", "mailNickname": "weak",
            "userPrincipalName": "weak@contoso.test", "passwordProfile": {"password": password}})
        assert response.status_code == 400, password
        assert response.json()["error"]["code"] == "Request_BadRequest"
        assert "password complexity" in response.json()["error"]["message"]
    for profile in ({}, {"password": 1}, "text", {"password": PASSWORD, "unknown": True}):
        response = server.graph("POST", "/users", json={
            "accountEnabled": True, "displayName": "Weak", "mailNickname": "weak",
            "userPrincipalName": "weak@contoso.test", "passwordProfile": profile})
        assert response.status_code == 400 and response.json()["error"]["code"] == "Request_BadRequest"
    assert server.graph("GET", "/users/weak@contoso.test").status_code == 404
    patched = server.graph("PATCH", f"/users/{world['alice']['id']}", json={"passwordProfile": {"password": "weak"}})
    assert patched.status_code == 400
    claims(ropc(server, "alice@contoso.test", PASSWORD))   # unchanged


def test_a_reset_password_replaces_the_old_and_can_force_a_change(server: Server, world: Obj) -> None:
    bob = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Bob", "mailNickname": "bob", "userPrincipalName": "bob@contoso.test",
        "passwordProfile": {"password": PASSWORD}}), 201)
    claims(ropc(server, "bob@contoso.test", PASSWORD))
    assert server.graph("PATCH", f"/users/{bob['id']}", json={
        "passwordProfile": {"password": "Another-Pass-9"}}).status_code == 204
    assert refusal(ropc(server, "bob@contoso.test", PASSWORD))[2] == [50126]
    claims(ropc(server, "bob@contoso.test", "Another-Pass-9"))
    assert server.graph("PATCH", f"/users/{bob['id']}", json={
        "passwordProfile": {"password": "Temporary-Pass-1", "forceChangePasswordNextSignIn": True}}).status_code == 204
    assert refusal(ropc(server, "bob@contoso.test", "Temporary-Pass-1"))[2] == [50055]
    assert "passwordProfile" not in ok(server.graph("GET", f"/users/{bob['id']}"))


def test_a_disabled_user_is_refused_with_50057(server: Server, world: Obj) -> None:
    carol = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Carol", "mailNickname": "carol",
        "userPrincipalName": "carol@contoso.test", "passwordProfile": {"password": PASSWORD}}), 201)
    claims(ropc(server, "carol@contoso.test", PASSWORD))
    assert server.graph("PATCH", f"/users/{carol['id']}", json={"accountEnabled": False}).status_code == 204
    assert refusal(ropc(server, "carol@contoso.test", PASSWORD))[:3] == (400, "invalid_grant", [50057])


def test_a_confidential_client_signs_in_a_user_with_its_secret(server: Server, world: Obj) -> None:
    app, _, secret = new_client(server)
    token = claims(ropc(server, "alice@contoso.test", PASSWORD, client_id=app["appId"], client_secret=secret,
                        scope="openid profile"))
    assert token["appid"] == app["appId"] and token["appidacr"] == "1" and token["upn"] == "alice@contoso.test"
    unconsented = ropc(server, "alice@contoso.test", PASSWORD, client_id=app["appId"], client_secret=secret)
    assert refusal(unconsented)[:3] == (400, "invalid_grant", [65001])   # pre-authorized is the Azure CLI only


def test_missing_parameters_and_scopes_get_oauth_errors(server: Server, world: Obj) -> None:
    assert refusal(ropc(server, "", PASSWORD))[:3] == (400, "invalid_request", [900144])
    assert refusal(ropc(server, "alice@contoso.test", ""))[:3] == (400, "invalid_request", [900144])
    assert refusal(ropc(server, "alice@contoso.test", PASSWORD, scope="api://things/.default User.Read"))[:3] == (
        400, "invalid_scope", [28000])
    graph = claims(ropc(server, "alice@contoso.test", PASSWORD, scope="openid profile"))   # only OIDC: Graph's
    assert graph["aud"] == builtins.GRAPH_RESOURCE and graph["scp"] == "User.Read"
    assert refusal(ropc(server, "a" * 5000 + "@contoso.test", PASSWORD))[2] == [50126]


def test_sign_ins_are_logged_with_the_user_and_their_codes(server: Server, world: Obj) -> None:
    app, _, secret = new_client(server)
    claims(ropc(server, "alice@contoso.test", PASSWORD, client_id=app["appId"], client_secret=secret,
                scope="openid profile"))
    ropc(server, "alice@contoso.test", "Wrong-Pass-1", client_id=app["appId"], client_secret=secret)
    rows = of_app(server, app["appId"], 2)
    codes = sorted(r["status"]["errorCode"] for r in rows)
    assert codes == [0, 50126]
    success = next(r for r in rows if r["status"]["errorCode"] == 0)
    # The log's rows name their principal in servicePrincipalId/-Name: here the user who signed in.
    assert success["servicePrincipalName"] == "alice@contoso.test"
    assert success["servicePrincipalId"] == world["alice"]["id"] and success["tenantdKind"] == "password"
    assert "Wrong-Pass-1" not in json.dumps(rows)


def test_the_user_realm_says_managed_for_a_verified_domain(server: Server) -> None:
    assert ok(server.http().get("/common/userrealm/alice@contoso.test"))["account_type"] == "Unknown"
    ok(server.graph("POST", "/domains", json={"id": "contoso.test"}), 201)
    body = ok(server.http().get("/common/userrealm/alice@contoso.test?api-version=1.0"))
    assert body == {"ver": "1.0", "account_type": "Managed", "domain_name": "contoso.test",
                    "cloud_instance_name": "microsoftonline.com",
                    "cloud_audience_urn": "urn:federation:MicrosoftOnline"}
    assert ok(server.http().get("/common/userrealm/nobody?api-version=1.0"))["account_type"] == "Unknown"


@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_through_common_the_user_names_domain_names_the_tenant(server: Server, world: Obj, authority: str) -> None:
    domain = f"{authority}{uuid.uuid4().hex[:6]}.test"
    ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": "Dana", "mailNickname": "dana", "userPrincipalName": f"dana@{domain}",
        "passwordProfile": {"password": PASSWORD}}), 201)
    form = {"grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "password": PASSWORD,
            "scope": "api://things/.default"}
    with server.http() as client:
        unknown = client.post(f"/{authority}/oauth2/v2.0/token", data={**form, "username": f"dana@{domain}"})
        assert refusal(unknown)[:3] == (400, "invalid_grant", [50126])   # no tenant holds the domain yet
        rt = server.runtime()
        with rt.store.write() as tx:
            tx.insert_domain(Domain(server.tenant_id, domain, False, False, "2026-01-01T00:00:00Z"))
        rt.store.dispose()
        token = claims(client.post(f"/{authority}/oauth2/v2.0/token", data={**form, "username": f"Dana@{domain}"}))
    assert token["tid"] == server.tenant_id and token["upn"] == f"dana@{domain}"
