"""Certificate client assertions at the token endpoint, one rule of SECURITY.md item 18 per test: what msal and
azure-identity send is accepted (float times, padded base64url, a reused jti), and every refusal is Entra's."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantd.domain import rules

from ..support import Server, start_server
from .support import JWT_BEARER, assertion, certificate, der_b64, form, new_key, x5t

READ = "5b0c6a4e-1d2f-4a3b-9c8d-7e6f5a4b3c2d"
SCOPE = "api://refusals/.default"


@dataclass
class Client:
    app_id: str
    key_id: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


@dataclass
class Setup:
    a: Client
    b: Client
    endpoint: str


@pytest.fixture(scope="module")
def setup(server: Server) -> Setup:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    api = d.create_application(tid, "Refusals API", identifier_uris=["api://refusals"], with_service_principal=True,
                               app_roles=rules.app_roles([{"id": READ, "value": "Read", "displayName": "Read",
                                                           "allowedMemberTypes": ["Application"]}]))
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    clients = []
    for name in ("client a", "client b"):
        key = new_key()
        cert = certificate(key, name)
        app = d.create_application(tid, name, with_service_principal=True, key_credentials=[{"key": der_b64(cert)}])
        d.assign(tid, d.service_principal_by_app_id(tid, app.app_id).id, api_sp, READ)
        clients.append(Client(app.app_id, app.key_credentials[0].key_id, key, cert))
    rt.store.dispose()
    return Setup(clients[0], clients[1], f"{server.url}/{tid}/oauth2/v2.0/token")


def token(server: Server, data: dict[str, str]) -> httpx.Response:
    with server.http() as client:
        return client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data=data)


def refused(response: httpx.Response, status: int, error: str, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [code], body
    return str(body["error_description"])


def claims_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(jwt.decode(response.json()["access_token"], options={"verify_signature": False}))


def test_msal_shaped_assertion_float_times_padded_x5t_and_padded_signature(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, start=time.time() + 0.25)
    head, body, signature = signed.split(".")
    padded = f"{head}.{body}.{signature}{'=' * (-len(signature) % 4)}"
    assert padded != signed and isinstance(jwt.decode(signed, options={"verify_signature": False})["iat"], float)
    claims = claims_of(token(server, form(setup.a.app_id, padded, SCOPE)))
    assert claims["roles"] == ["Read"] and claims["appidacr"] == "2" and claims["appid"] == setup.a.app_id


def test_ps256_with_x5t_s256_and_the_v1_endpoint_as_audience(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, None, setup.a.app_id, f"{server.url}/{server.tenant_id}/oauth2/token",
                       alg="PS256", headers={"x5t#S256": x5t(setup.a.cert, sha256=True, padded=True)})
    assert claims_of(token(server, form(setup.a.app_id, signed, SCOPE)))["roles"] == ["Read"]


def test_kid_may_name_the_certificate_and_the_issuer_is_an_audience(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, None, setup.a.app_id, f"{server.url}/{server.tenant_id}/v2.0",
                       headers={"kid": setup.a.key_id})
    assert claims_of(token(server, form(setup.a.app_id, signed, SCOPE)))["appidacr"] == "2"


def test_a_reused_jti_inside_the_lifetime_is_accepted(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint)
    first, second = (token(server, form(setup.a.app_id, signed, SCOPE)) for _ in range(2))
    assert claims_of(first)["roles"] == claims_of(second)["roles"] == ["Read"]


def test_expired_assertion(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, start=time.time() - 3000)
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700024)


def test_assertion_not_yet_valid(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, start=time.time() + 1800)
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700024)


def test_assertion_valid_for_longer_than_an_hour(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, lifetime=2 * 3600)
    text = refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700024)
    assert "at most 3600 seconds" in text


def test_wrong_audience(server: Server, setup: Setup) -> None:
    for audience in (f"{server.url}/00000000-0000-0000-0000-0000000000ff/oauth2/v2.0/token",
                     "https://login.microsoftonline.com/common/oauth2/v2.0/token", "api://refusals"):
        signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, audience)
        refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700023)


def test_an_audience_list_that_names_another_server_too(server: Server, setup: Setup) -> None:
    """Audience injection: an assertion made for another server that also lists ours must not sign in here
    (draft-ietf-oauth-rfc7523bis); nor may a list of several of our own spellings."""
    attacker = "https://attacker.example/oauth2/token"
    ours = f"{server.url}/{server.tenant_id}/oauth2/token"
    for audience in ([attacker, setup.endpoint], [setup.endpoint, attacker], [setup.endpoint, ours]):
        signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, aud=audience)
        text = refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 5002741)
        assert "2 audience values provided, maximum allowed is 1" in text


def test_a_one_element_audience_list_naming_us_is_accepted(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, aud=[setup.endpoint])
    assert claims_of(token(server, form(setup.a.app_id, signed, SCOPE)))["roles"] == ["Read"]
    for audience in ([], [None], [["nested"]], {"aud": setup.endpoint}, 7):
        signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, aud=audience)
        refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700023)


def test_our_endpoints_and_issuer_as_clients_spell_them_are_accepted(server: Server, setup: Setup) -> None:
    """The v2 and v1 token endpoints by tenant id (msal, azure-identity) and by the tenant's name (azure-identity
    and msal-node told the name), and the v2 issuer."""
    base, tid = server.url, server.tenant_id
    for audience in (f"{base}/{tid}/oauth2/v2.0/token", f"{base}/{tid}/oauth2/token",
                     f"{base}/{tid.upper()}/oauth2/v2.0/token", f"{base}/default/oauth2/v2.0/token",
                     f"{base}/default/oauth2/token", f"{base}/{tid}/v2.0"):
        signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, audience)
        assert claims_of(token(server, form(setup.a.app_id, signed, SCOPE)))["roles"] == ["Read"], audience


def test_other_spellings_of_our_endpoints_are_refused(server: Server, setup: Setup) -> None:
    base, tid = server.url, server.tenant_id
    for audience in (f"{base}/{tid}/oauth2/v2.0/token/",
                     f"{base}/{tid}/oauth2/v2.0/token?x=1", f"{base.upper()}/{tid}/oauth2/v2.0/token",
                     base.replace("https://", "http://") + f"/{tid}/oauth2/v2.0/token", f"{base}/{tid}/",
                     f"{base}/{tid}/v2.0/", f"{base}/DEFAULT/oauth2/v2.0/token", f"{base}/common/oauth2/v2.0/token",
                     f"{base}/{tid}/oauth2/v2.0/authorize", base, ""):
        signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, audience)
        refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700023)


def test_iss_and_sub_must_both_be_the_client_id(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, sub=setup.b.app_id)
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_client", 700021)


def test_another_clients_certificate(server: Server, setup: Setup) -> None:
    signed = assertion(setup.b.key, setup.b.cert, setup.a.app_id, setup.endpoint)
    text = refused(token(server, form(setup.a.app_id, signed, SCOPE)), 401, "invalid_client", 700027)
    assert "The key was not found" in text


def test_a_registered_thumbprint_on_a_signature_of_another_key(server: Server, setup: Setup) -> None:
    signed = assertion(setup.b.key, setup.a.cert, setup.a.app_id, setup.endpoint)
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 401, "invalid_client", 700027)


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_symmetric_or_unsigned_assertions(server: Server, setup: Setup, alg: str) -> None:
    claims = {"aud": setup.endpoint, "iss": setup.a.app_id, "sub": setup.a.app_id, "exp": time.time() + 600}
    secret = der_b64(setup.a.cert).encode() if alg == "HS256" else None
    signed = jwt.encode(claims, secret, algorithm=alg, headers={"x5t": x5t(setup.a.cert)})
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_request", 50027)


def test_an_assertion_without_exp(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, exp=None)
    refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_request", 50027)


def test_a_secret_and_an_assertion_together_or_a_wrong_assertion_type(server: Server, setup: Setup) -> None:
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint)
    refused(token(server, {**form(setup.a.app_id, signed, SCOPE), "client_secret": "x"}), 400, "invalid_request",
            900144)
    with server.http() as client:   # HTTP Basic with the client id alone is a second method too
        basic = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data=form(setup.a.app_id, signed, SCOPE),
                            auth=(setup.a.app_id, ""))
    assert "HTTP Basic and client_assertion" in refused(basic, 400, "invalid_request", 900144)
    wrong_type = {**form(setup.a.app_id, signed, SCOPE), "client_assertion_type": JWT_BEARER + "x"}
    refused(token(server, wrong_type), 400, "invalid_request", 900144)


@pytest.mark.parametrize("name", ["x5t", "kid"])
def test_a_non_ascii_thumbprint_is_an_unknown_certificate(server: Server, setup: Setup, name: str) -> None:
    signed = assertion(setup.a.key, None, setup.a.app_id, setup.endpoint, headers={name: "é" * 27})
    text = refused(token(server, form(setup.a.app_id, signed, SCOPE)), 401, "invalid_client", 700027)
    assert "É" * 27 in text   # quoted as sent (upper-cased, as Entra shows a thumbprint), since it is no base64


def test_an_unpaired_surrogate_in_the_claims_is_quoted_renderably(server: Server, setup: Setup) -> None:
    """JSON's "\\ud800" parses to a lone surrogate, which no UTF-8 body can hold: the refusal that quotes the
    issuer shows U+FFFD in its place."""
    signed = assertion(setup.a.key, setup.a.cert, setup.a.app_id, setup.endpoint, iss="\ud800", sub="s\udc00")
    assert "\\ud800" in base64.urlsafe_b64decode(signed.split(".")[1] + "==").decode("ascii")
    text = refused(token(server, form(setup.a.app_id, signed, SCOPE)), 400, "invalid_request", 70021)
    assert "'\ufffd'" in text and "'s\ufffd'" in text


def test_non_ascii_thumbprints_count_as_failed_authentications(tmp_path: Path) -> None:
    """Refused as an unknown certificate, they count towards the failed-authentication limit (a 500 did not)."""
    running = start_server(tmp_path / "tenantd", "--auth-failure-limit", "2")
    try:
        rt = running.runtime()
        app = rt.directory.create_application(running.tenant_id, "thumbprints", with_service_principal=True)
        rt.store.dispose()
        endpoint = f"{running.url}/{running.tenant_id}/oauth2/v2.0/token"
        statuses = [token(running, form(app.app_id, assertion(new_key(), None, app.app_id, endpoint,
                                                              headers={"x5t": "é" * 27}), SCOPE)).status_code
                    for _ in range(4)]
    finally:
        running.stop()
    assert statuses[:2] == [401, 401] and statuses[-1] == 429, statuses
