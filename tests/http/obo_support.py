"""On-behalf-of, arranged through Graph as an admin would: a desktop client (public, signs people in with their
password), middle tiers that expose an API to it and call a downstream API, and the downstream API.

- ``mid``: the middle tier (v2 tokens), with a secret and a certificate, exposing ``access_as_user``
  pre-authorized for the desktop client; ``mid_v1`` the same with v1 tokens (``aud`` as the client named it);
- ``other``: a second middle tier with a secret, holding the same consent on the downstream API as ``mid``;
- ``down``: the downstream API (v2 tokens) offering ``Things.Read`` (pre-authorized for the three middle tiers)
  and ``Things.Write`` (for none), with a role for users that Alice holds and Bob does not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import Certificate

from tenantd.tokens import jwt

from ..support import Server
from ..tokens.support import certificate, der_b64, new_key, pem
from .graph_support import ok, unique
from .people_support import PASSWORD, _scope, new_user, token

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
Obj = dict[str, Any]


@dataclass
class Middle:
    """A middle tier: its application (as Graph shows it), its secret, and its API's App ID URI."""

    app: Obj
    secret: str
    uri: str

    @property
    def app_id(self) -> str:
        return str(self.app["appId"])


@dataclass
class Obo:
    server: Server
    desktop: Obj
    mid: Middle
    mid_v1: Middle
    other: Middle
    down: Obj
    down_sp: Obj
    down_uri: str
    key: rsa.RSAPrivateKey     # the certificate credential of ``mid``
    cert: Certificate
    alice: Obj                 # holds the downstream API's role
    bob: Obj

    @property
    def tenant_id(self) -> str:
        return self.server.tenant_id

    def down_scope(self, *names: str) -> str:
        return " ".join(f"{self.down_uri}/{n}" for n in names)

    def cert_pem(self) -> bytes:
        return pem(self.key, self.cert)

    def msal_certificate(self) -> dict[str, str]:
        """msal's ``client_credential`` for ``mid``'s certificate."""
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        return {"private_key": key, "thumbprint": self.cert.fingerprint(hashes.SHA1()).hex()}


def arrange(server: Server) -> Obo:
    desktop = _app(server, "desktop", isFallbackPublicClient=True, publicClient={"redirectUris": ["http://localhost"]})
    key = new_key()
    cert = certificate(key, "middle-tier")
    mid = _middle(server, "mid", desktop, 2, keyCredentials=[{"type": "AsymmetricX509Cert", "usage": "Verify",
                                                             "key": der_b64(cert)}])
    mid_v1, other = _middle(server, "mid-v1", desktop, None), _middle(server, "other", desktop, 2)
    read, write, role = (str(uuid.uuid4()) for _ in range(3))
    name = unique("down").replace(" ", "-")
    down = _app(server, name, identifierUris=[f"api://{name}"], appRoles=[{
        "id": role, "value": "Things.Reader", "displayName": "Reader", "description": "Reads",
        "allowedMemberTypes": ["User"], "isEnabled": True}], api={
        "requestedAccessTokenVersion": 2,
        "oauth2PermissionScopes": [_scope(read, "Things.Read", "User"), _scope(write, "Things.Write", "Admin")],
        "preAuthorizedApplications": [{"appId": m.app_id, "delegatedPermissionIds": [read]}
                                      for m in (mid, mid_v1, other)]})
    down_sp = ok(server.graph("GET", f"/servicePrincipals(appId='{down['appId']}')"))
    alice, bob = new_user(server, "alice"), new_user(server, "bob")
    ok(server.graph("POST", f"/servicePrincipals/{down_sp['id']}/appRoleAssignedTo", json={
        "principalId": alice["id"], "resourceId": down_sp["id"], "appRoleId": role}), 201)
    return Obo(server, desktop, mid, mid_v1, other, down, down_sp, f"api://{name}", key, cert, alice, bob)


def _app(server: Server, name: str, **settings: Any) -> Obj:
    app = ok(server.graph("POST", "/applications", json={"displayName": unique(name), **settings}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    return app


def _middle(server: Server, name: str, desktop: Obj, version: int | None, **settings: Any) -> Middle:
    uri = f"api://{unique(name).replace(' ', '-')}"
    scope = str(uuid.uuid4())
    app = _app(server, name, identifierUris=[uri], web={"redirectUris": [f"https://{name}.contoso.test/"]}, api={
        "requestedAccessTokenVersion": version, "oauth2PermissionScopes": [_scope(scope, "access_as_user", "User")],
        "preAuthorizedApplications": [{"appId": desktop["appId"], "delegatedPermissionIds": [scope]}]}, **settings)
    secret = ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"]
    return Middle(app, secret, uri)


# -- requests ------------------------------------------------------------------------------------------------
def user_token(obo: Obo, user: Obj, scope: str, version: int = 2, **form: str) -> str:
    """``user``'s access token for ``scope`` (v1: ``resource``) through the desktop client, by her password."""
    asked = {"resource": scope} if version == 1 else {"scope": scope}
    response = token(obo.server, version=version, grant_type="password", client_id=obo.desktop["appId"],
                     username=user["userPrincipalName"], password=PASSWORD, **asked, **form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def on_behalf_of(obo: Obo, middle: Middle, assertion: str, scope: str | None = None, *, tenant: str | None = None,
                 version: int = 2, secret: str | None = None, **form: str) -> httpx.Response:
    """``middle``'s on-behalf-of request with its secret (``secret`` another; "" none)."""
    fields = {"grant_type": JWT_BEARER, "requested_token_use": "on_behalf_of", "client_id": middle.app_id,
              "assertion": assertion, "client_secret": middle.secret if secret is None else secret,
              **({"scope": scope} if scope is not None else {}), **form}
    return token(obo.server, tenant, version, **{name: value for name, value in fields.items() if value})


def claims(token_text: str) -> Obj:
    return jwt.unverified_parts(token_text)[1]


def header(token_text: str) -> Obj:
    return jwt.unverified_parts(token_text)[0]
