"""People signing in, arranged for the grant tests: an API with delegated scopes and a role, client applications
of each kind (web, spa, mobile and desktop), users with passwords, and the codes the authorize endpoint would
hand out, issued straight into the server's store as ``tokens/authorize.py`` does."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from tenantd.domain.sign_in_state import DeviceCode, RefreshToken, secret_hash
from tenantd.runtime import sqlite_url
from tenantd.store import Store
from tenantd.tokens import jwt
from tenantd.tokens.codes import CodeRequest, issue_code

from ..support import Server
from .graph_support import ok, unique

PASSWORD = "People-Sign-In-7"
WEB_REDIRECT = "https://web.contoso.test/signin-oidc"
SPA_REDIRECT = "https://spa.contoso.test/"
SPA_ORIGIN = "https://spa.contoso.test"
NATIVE_REDIRECT = "http://localhost/callback"
Obj = dict[str, Any]


@dataclass
class World:
    server: Server
    api: Obj                 # the API application, as Graph shows it
    api_sp: Obj
    web: Obj                 # a confidential web app and its secret
    web_secret: str
    spa: Obj
    native: Obj              # a mobile and desktop app that allows public client flows
    alice: Obj               # a user who holds the API's role through a group
    bob: Obj                 # a user without it

    @property
    def tenant_id(self) -> str:
        return self.server.tenant_id

    @property
    def api_uri(self) -> str:
        return str(self.api["identifierUris"][0])

    def scope(self, *names: str) -> str:
        return " ".join(f"{self.api_uri}/{n}" for n in names)


def arrange(server: Server) -> World:
    """An API (v2 tokens) offering Things.Read (pre-authorized for the three clients) and Things.Write (for
    none), with a role for users; Alice holds the role through a group, Bob nothing."""
    web = _client(server, "web", web={"redirectUris": [WEB_REDIRECT]})
    secret = ok(server.graph("POST", f"/applications/{web['id']}/addPassword", json={}))["secretText"]
    spa = _client(server, "spa", spa={"redirectUris": [SPA_REDIRECT]})
    native = _client(server, "native", publicClient={"redirectUris": [NATIVE_REDIRECT, "http://localhost"]},
                     isFallbackPublicClient=True)
    read, write, role = (str(uuid.uuid4()) for _ in range(3))
    name = unique("things").replace(" ", "-")
    api = ok(server.graph("POST", "/applications", json={
        "displayName": name, "identifierUris": [f"api://{name}"],
        "appRoles": [{"id": role, "value": "Things.Reader", "displayName": "Reader", "description": "Reads",
                      "allowedMemberTypes": ["User"], "isEnabled": True}],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [
            _scope(read, "Things.Read", "User"), _scope(write, "Things.Write", "Admin")],
            "preAuthorizedApplications": [{"appId": c["appId"], "delegatedPermissionIds": [read]}
                                          for c in (web, spa, native)]}}), 201)
    api_sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": api["appId"]}), 201)
    alice, bob = (new_user(server, who) for who in ("alice", "bob"))
    group = ok(server.graph("POST", "/groups", json={"displayName": unique("readers"), "mailEnabled": False,
                                                     "mailNickname": "readers", "securityEnabled": True}), 201)
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{alice['id']}"}), 204)
    ok(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json={
        "principalId": group["id"], "resourceId": api_sp["id"], "appRoleId": role}), 201)
    return World(server, api, api_sp, web, secret, spa, native, alice, bob)


def new_user(server: Server, name: str) -> Obj:
    local = f"{name}{uuid.uuid4().hex[:6]}"
    return ok(server.graph("POST", "/users", json={
        "accountEnabled": True, "displayName": name.title(), "mailNickname": local,
        "userPrincipalName": f"{local}@contoso.test", "passwordProfile": {"password": PASSWORD}}), 201)


def _client(server: Server, name: str, **settings: Any) -> Obj:
    app = ok(server.graph("POST", "/applications", json={"displayName": unique(name), **settings}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    return app


def _scope(scope_id: str, value: str, kind: str) -> Obj:
    return {"id": scope_id, "value": value, "type": kind, "isEnabled": True, "adminConsentDisplayName": value,
            "adminConsentDescription": value, "userConsentDisplayName": value, "userConsentDescription": value}


# -- the store, as the authorize endpoint and the device login page write it ----------------------------------
@contextlib.contextmanager
def store_of(server: Server) -> Iterator[Store]:
    store = Store(server.database or sqlite_url(server.data))
    try:
        yield store
    finally:
        store.dispose()


def pkce() -> tuple[str, str]:
    """(verifier, its S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def code_for(world: World, client: Obj, redirect_uri: str, user: Obj, scope: str = "", *,
             challenge: str | None = None, method: str = "S256", nonce: str | None = None,
             resource: str | None = None, issued: float | None = None) -> str:
    """A code as the authorize endpoint gives it once ``user`` signed in to ``client``."""
    request = CodeRequest(
        tenant_id=world.tenant_id, client_app_id=client["appId"], user_id=user["id"], redirect_uri=redirect_uri,
        scope=scope, resource=resource, endpoint_version=1 if resource else 2, code_challenge=challenge,
        code_challenge_method=method if challenge else None, nonce=nonce, auth_time=int(time.time()),
        session_hash=None)
    with store_of(world.server) as store:
        return issue_code(store, request, int(issued or time.time()))


def approve(server: Server, user_code: str, user: Obj, answer: str = "approved") -> None:
    """What the device login page does when a person answers a code."""
    with store_of(server) as store, store.write() as tx:
        assert tx.decide_device_code(user_code, answer, server.tenant_id, user["id"], int(time.time()))


def stored_device_code(server: Server, **fields: Any) -> str:
    """A device code written straight into the store (``fields`` override a pending one's); the code."""
    code, now = secrets.token_urlsafe(32), int(time.time())
    record = DeviceCode(**{
        "device_code_hash": secret_hash(code), "user_code": secrets.token_hex(4).upper(),
        "tenant_id": server.tenant_id, "client_app_id": "", "scope": "openid", "resource": None,
        "endpoint_version": 2, "created": now, "expires": now + 900, "interval": 5, **fields})
    with store_of(server) as store, store.write() as tx:
        tx.insert_device_code(record)
    return code


def stored_refresh_token(server: Server, token: str) -> RefreshToken | None:
    with store_of(server) as store, store.read() as tx:
        return tx.refresh_token(secret_hash(token))


# -- the token endpoint --------------------------------------------------------------------------------------
def token(server: Server, tenant: str | None = None, version: int = 2, origin: str | None = None,
          **form: str) -> httpx.Response:
    path = "oauth2/v2.0/token" if version == 2 else "oauth2/token"
    headers = {"Origin": origin} if origin else {}
    with server.http() as client:
        return client.post(f"/{tenant or server.tenant_id}/{path}", data=form, headers=headers)


def redeem(world: World, code: str, client: Obj, redirect_uri: str, **form: str) -> httpx.Response:
    return token(world.server, grant_type="authorization_code", client_id=client["appId"], code=code,
                 redirect_uri=redirect_uri, **form)


def refresh(server: Server, refresh_token: str, client: Obj, **form: str) -> httpx.Response:
    return token(server, grant_type="refresh_token", client_id=client["appId"], refresh_token=refresh_token,
                 **form)


def issued(response: httpx.Response) -> Obj:
    assert response.status_code == 200, response.text
    body: Obj = response.json()
    return body


def claims(token_text: str) -> Obj:
    return jwt.unverified_parts(token_text)[1]


def refusal(response: httpx.Response) -> tuple[int, str, list[int]]:
    body = response.json()
    return response.status_code, body.get("error", ""), body.get("error_codes", [])


@contextlib.contextmanager
def audience(server: Server, app: Obj, sign_in_audience: str) -> Iterator[None]:
    """``app``'s signInAudience set for the block, and set back after it."""
    ok(server.graph("PATCH", f"/applications/{app['id']}", json={"signInAudience": sign_in_audience}), 204)
    try:
        yield
    finally:
        ok(server.graph("PATCH", f"/applications/{app['id']}", json={"signInAudience": "AzureADMyOrg"}), 204)
