"""The directory of the people acceptance tests, arranged through Graph as an admin would: the Things API
(a `Things.Read` scope, a `Things.Read.All` role for users, requestedAccessTokenVersion 2) that pre-authorizes
its clients, a desktop app (public client, loopback redirect, device code allowed), a web app (confidential,
a secret, its redirect URI on a loopback port), and two people: Alice, assigned the role, and Bob."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

import jwt

from tenantd.domain import builtins

from ..http.graph_support import ok
from ..support import Server

READ_ALL = "32028ccd-3212-4f39-3212-beabd6787d81"
READ_SCOPE = "5c4f3e2d-1b0a-4f9e-8d7c-6b5a4f3e2d1c"
SCOPE = "api://things/Things.Read"


@dataclass(frozen=True)
class Person:
    id: str
    user_name: str
    display_name: str
    password: str


@dataclass(frozen=True)
class People:
    tenant_id: str
    api_app_id: str
    desktop_app_id: str
    web_app_id: str
    web_secret: str
    web_redirect: str
    alice: Person
    bob: Person


def _app(server: Server, **body: Any) -> dict[str, Any]:
    app = ok(server.graph("POST", "/applications", json=body), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    return app


def _person(server: Server, nickname: str, display_name: str) -> Person:
    password = f"{display_name}-Signs-In-1"
    user = ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": display_name, "mailNickname": nickname,
        "userPrincipalName": f"{nickname}@contoso.test",
        "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False}}), 201)
    return Person(user["id"], user["userPrincipalName"], display_name, password)


def arrange(server: Server, web_redirect: str) -> People:
    desktop = _app(server, displayName="Things desktop", isFallbackPublicClient=True,
                   publicClient={"redirectUris": ["http://localhost"]})
    web = _app(server, displayName="Things web", web={"redirectUris": [web_redirect]})
    secret = ok(server.graph("POST", f"/applications/{web['id']}/addPassword", json={}))["secretText"]
    trusted = [builtins.AZURE_CLI_APP_ID, desktop["appId"], web["appId"]]
    api = _app(server, displayName="Things API", identifierUris=["api://things"], api={
        "requestedAccessTokenVersion": 2,
        "oauth2PermissionScopes": [{
            "id": READ_SCOPE, "value": "Things.Read", "type": "User", "isEnabled": True,
            "adminConsentDisplayName": "Read things", "adminConsentDescription": "Read all things",
            "userConsentDisplayName": "Read your things", "userConsentDescription": "Read things as you"}],
        "preAuthorizedApplications": [{"appId": app_id, "delegatedPermissionIds": [READ_SCOPE]}
                                      for app_id in trusted]},
        appRoles=[{"id": READ_ALL, "value": "Things.Read.All", "displayName": "Read all things",
                   "description": "Read all things", "allowedMemberTypes": ["User"], "isEnabled": True}])
    api_sp = ok(server.graph("GET", f"/servicePrincipals(appId='{api['appId']}')"))
    alice, bob = _person(server, "alice", "Alice"), _person(server, "bob", "Bob")
    ok(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json={
        "principalId": alice.id, "resourceId": api_sp["id"], "appRoleId": READ_ALL}), 201)
    return People(server.tenant_id, api["appId"], desktop["appId"], web["appId"], secret, web_redirect, alice, bob)


def verified(server: Server, token: str, audience: str) -> dict[str, Any]:
    """A v2 token's claims, checked as an API or an app would: the discovery document's keys and issuer."""
    with server.http() as client:
        discovery = client.get(f"/{server.tenant_id}/v2.0/.well-known/openid-configuration").json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    key = keys.get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=discovery["issuer"]))


def assert_user_token(claims: dict[str, Any], people: People, person: Person, client_app_id: str) -> None:
    """An access token for the Things API on ``person``'s behalf: scope from pre-authorization, roles from
    her assignments (Alice has one, Bob none)."""
    assert claims["aud"] == people.api_app_id and claims["tid"] == people.tenant_id
    assert claims["oid"] == person.id and claims["azp"] == client_app_id
    assert claims["scp"] == "Things.Read"
    assert claims.get("roles") == (["Things.Read.All"] if person == people.alice else None)
    assert claims["name"] == person.display_name and claims["preferred_username"] == person.user_name


def assert_id_token(claims: dict[str, Any], people: People, person: Person, client_app_id: str,
                    nonce: str | None) -> None:
    assert claims["aud"] == client_app_id and claims["tid"] == people.tenant_id and claims["ver"] == "2.0"
    assert claims["oid"] == person.id and claims.get("nonce") == nonce
    assert claims["name"] == person.display_name and claims["preferred_username"] == person.user_name
