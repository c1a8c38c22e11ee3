"""The real msal and azure-identity run the on-behalf-of flow against tenantd: the desktop client signs Alice in
with her password (msal, ROPC) for the middle tier's API; the middle tier exchanges that token for one to the
downstream API with ``ConfidentialClientApplication.acquire_token_on_behalf_of`` (a secret, a certificate) and
with azure-identity's ``OnBehalfOfCredential`` (sync through msal, with its silent refresh; async on its own,
signing PS256). Each result passes ``tenantd.protect`` and PyJWT as the downstream API would check it."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from typing import Any

import jwt
import msal
import pytest
from azure.identity import OnBehalfOfCredential
from azure.identity.aio import OnBehalfOfCredential as AsyncOnBehalfOfCredential

from tenantd.domain.claims import pairwise_subject
from tenantd.protect import TokenValidator

from ..http.obo_support import Obo, arrange
from ..http.people_support import PASSWORD
from ..support import Server
from .user_realm import session_for


@pytest.fixture(scope="module")
def obo(server: Server) -> Iterator[Obo]:
    yield arrange(server)


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def alices_token(obo: Obo) -> str:
    """What the desktop client sends the middle tier: Alice's token for its API, from msal's password sign-in."""
    server = obo.server
    desktop = msal.PublicClientApplication(obo.desktop["appId"], authority=f"{server.url}/{server.tenant_id}",
                                           instance_discovery=False, http_client=session_for(server))
    result = desktop.acquire_token_by_username_password(obo.alice["userPrincipalName"], PASSWORD,
                                                       scopes=[f"{obo.mid.uri}/access_as_user"])
    assert "access_token" in result, result
    return str(result["access_token"])


def middle_tier(obo: Obo, credential: Any) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(obo.mid.app_id, client_credential=credential,
                                              authority=f"{obo.server.url}/{obo.tenant_id}", instance_discovery=False)


def as_the_api_checks_it(obo: Obo, token: str) -> dict[str, Any]:
    """The downstream API's two checks: ``tenantd.protect``, and PyJWT with the v2 discovery document's keys and
    issuer. Both must accept the token; the claims PyJWT read."""
    server = obo.server
    validator = TokenValidator(tenant_id=obo.tenant_id, audiences=[obo.down["appId"], obo.down_uri],
                               authority=server.url, verify=server.ca_cert)
    protected = validator.validate(token)
    with server.http() as client:
        discovery = client.get(f"/{obo.tenant_id}/v2.0/.well-known/openid-configuration").json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    claims: dict[str, Any] = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                                        audience=obo.down["appId"], issuer=discovery["issuer"])
    assert (protected.oid, protected.app_id, protected.scp, protected.roles) == \
        (claims["oid"], claims["azp"], claims["scp"], tuple(claims["roles"]))
    assert not protected.is_app_only
    return claims


def test_msal_on_behalf_of_with_a_secret(obo: Obo) -> None:
    assertion = alices_token(obo)
    result = middle_tier(obo, obo.mid.secret).acquire_token_on_behalf_of(assertion, [obo.down_scope("Things.Read")])
    assert "access_token" in result, result
    claims = as_the_api_checks_it(obo, result["access_token"])
    assert claims["oid"] == obo.alice["id"] and claims["azp"] == obo.mid.app_id and claims["azpacr"] == "1"
    assert claims["sub"] == pairwise_subject(obo.alice["id"], obo.mid.app_id)
    assert claims["scp"] == "Things.Read" and claims["roles"] == ["Things.Reader"]
    assert result["id_token_claims"]["aud"] == obo.mid.app_id   # msal asks openid profile offline_access
    assert result["id_token_claims"]["oid"] == obo.alice["id"]


def test_msal_on_behalf_of_with_a_certificate(obo: Obo) -> None:
    assertion = alices_token(obo)
    result = middle_tier(obo, obo.msal_certificate()).acquire_token_on_behalf_of(assertion,
                                                                                  [f"{obo.down_uri}/.default"])
    assert "access_token" in result, result
    claims = as_the_api_checks_it(obo, result["access_token"])
    assert claims["azp"] == obo.mid.app_id and claims["azpacr"] == "2" and claims["scp"] == "Things.Read"


def test_msal_shows_entras_refusals(obo: Obo) -> None:
    server = obo.server
    desktop = msal.PublicClientApplication(obo.desktop["appId"], authority=f"{server.url}/{server.tenant_id}",
                                           instance_discovery=False, http_client=session_for(server))
    for_graph = desktop.acquire_token_by_username_password(obo.alice["userPrincipalName"], PASSWORD,
                                                           scopes=["User.Read"])
    app = middle_tier(obo, obo.mid.secret)
    wrong = app.acquire_token_on_behalf_of(for_graph["access_token"], [obo.down_scope("Things.Read")])
    assert wrong["error"] == "invalid_grant" and wrong["error_codes"] == [500131]
    ungranted = app.acquire_token_on_behalf_of(alices_token(obo), [obo.down_scope("Things.Write")])
    assert ungranted["error"] == "invalid_grant" and ungranted["error_codes"] == [65001]


def test_azure_identity_on_behalf_of_credential_then_its_silent_refresh(obo: Obo) -> None:
    credential = OnBehalfOfCredential(obo.tenant_id, obo.mid.app_id, client_secret=obo.mid.secret,
                                      user_assertion=alices_token(obo), authority=obo.server.url,
                                      disable_instance_discovery=True)
    first = as_the_api_checks_it(obo, credential.get_token(f"{obo.down_uri}/.default").token)
    assert first["oid"] == obo.alice["id"] and first["azp"] == obo.mid.app_id and first["roles"] == ["Things.Reader"]
    graph = credential.get_token("https://graph.microsoft.com/User.Read").token   # msal: the refresh token
    claims = jwt.decode(graph, options={"verify_signature": False})
    assert claims["aud"] == "https://graph.microsoft.com" and claims["appid"] == obo.mid.app_id
    assert claims["oid"] == obo.alice["id"] and claims["scp"] == "User.Read"


def test_async_azure_identity_on_behalf_of_credential_with_a_certificate(obo: Obo) -> None:
    assertion = alices_token(obo)

    async def get() -> str:
        async with AsyncOnBehalfOfCredential(obo.tenant_id, obo.mid.app_id, client_certificate=obo.cert_pem(),
                                             user_assertion=assertion, authority=obo.server.url,
                                             disable_instance_discovery=True,
                                             connection_verify=obo.server.ca_cert) as credential:
            return (await credential.get_token(f"{obo.down_uri}/.default")).token

    claims = as_the_api_checks_it(obo, asyncio.run(get()))
    assert claims["oid"] == obo.alice["id"] and claims["azp"] == obo.mid.app_id and claims["azpacr"] == "2"
