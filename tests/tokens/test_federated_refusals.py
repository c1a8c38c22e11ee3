"""Federated client assertions (workload identity), one rule of SECURITY.md item 19 per test: issuer, subject
and audience match exactly, the signature is the issuer's, the token is valid now, and keys are never fetched
from link-local or private addresses, nor from loopback where the operator did not allow it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest

from tenantd.domain import builtins, rules

from ..support import Server, start_server
from .support import Issuer, form, new_key

READ = "6c1d7b5f-2e3a-4b4c-8d9e-0f1a2b3c4d5e"
SCOPE = "api://federated/.default"
SUBJECT = "system:serviceaccount:default:orders"
REFUSED_ISSUERS = ["https://169.254.169.254/metadata", "https://10.1.2.3/issuer", "https://192.168.7.8",
                   "https://[fe80::1]/issuer", "https://[::ffff:169.254.169.254]/issuer", "https://0.0.0.0/x"]


@dataclass
class Setup:
    client_id: str
    own_issuer: str
    signing_key: Any
    kid: str


@pytest.fixture(scope="module")
def setup(server: Server) -> Setup:
    """An application trusting tenantd's own tenant issuer for one subject, and issuers at refused addresses."""
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    api = d.create_application(tid, "Federated API", identifier_uris=["api://federated"], with_service_principal=True,
                               app_roles=rules.app_roles([{"id": READ, "value": "Read", "displayName": "Read",
                                                           "allowedMemberTypes": ["Application"]}]))
    app = d.create_application(tid, "workload", with_service_principal=True)
    d.assign(tid, d.service_principal_by_app_id(tid, app.app_id).id,
             d.service_principal_by_app_id(tid, api.app_id).id, READ)
    own = f"{server.url}/{tid}/v2.0"
    d.add_federated_credential(tid, app.id, "application", "own", own, SUBJECT)
    for i, issuer in enumerate(REFUSED_ISSUERS):
        d.add_federated_credential(tid, app.id, "application", f"refused-{i}", issuer, SUBJECT)
    active = rt.tokens.keyring.active(tid)  # tenantd's own key, to arrange tokens tenantd would have signed
    rt.store.dispose()
    return Setup(app.app_id, own, active.private_key, active.kid)


def federated(setup: Setup, *, key: Any = None, lifetime: int = 600, start: float | None = None,
              **claims: Any) -> str:
    now = time.time() if start is None else start
    body = {"iss": setup.own_issuer, "sub": SUBJECT, "aud": "api://AzureADTokenExchange", "iat": int(now),
            "nbf": int(now), "exp": int(now + lifetime), **claims}
    return jwt.encode(body, key or setup.signing_key, algorithm="RS256", headers={"kid": setup.kid})


def token(server: Server, setup: Setup, assertion: str) -> httpx.Response:
    with server.http() as client:
        return client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data=form(setup.client_id, assertion, SCOPE))


def refused(response: httpx.Response, error: str, code: int, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and body["error_codes"] == [code], body
    return str(body["error_description"])


def test_a_token_of_a_trusted_issuer_and_subject_signs_in(server: Server, setup: Setup) -> None:
    response = token(server, setup, federated(setup, aud=builtins.TOKEN_EXCHANGE_APP_ID))
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["Read"] and claims["appidacr"] == "2"


def test_wrong_issuer(server: Server, setup: Setup) -> None:
    for issuer in (setup.own_issuer + "/", setup.own_issuer.upper(), "https://token.actions.githubusercontent.com"):
        text = refused(token(server, setup, federated(setup, iss=issuer)), "invalid_request", 70021)
        assert f"Assertion Issuer: '{issuer}'" in text


def test_wrong_subject(server: Server, setup: Setup) -> None:
    for subject in (SUBJECT.upper(), SUBJECT + ":x", "system:serviceaccount:default"):
        refused(token(server, setup, federated(setup, sub=subject)), "invalid_request", 70021)


def test_wrong_audience(server: Server, setup: Setup) -> None:
    for audience in ("api://AzureADTokenExchange/", "api://federated", ["api://other"]):
        refused(token(server, setup, federated(setup, aud=audience)), "invalid_request", 70021)


def test_a_signature_that_is_not_the_issuers(server: Server, setup: Setup) -> None:
    refused(token(server, setup, federated(setup, key=new_key())), "invalid_client", 700027, 401)


def test_an_expired_or_not_yet_valid_federated_token(server: Server, setup: Setup) -> None:
    refused(token(server, setup, federated(setup, start=time.time() - 4000)), "invalid_client", 700024)
    refused(token(server, setup, federated(setup, start=time.time() + 4000)), "invalid_client", 700024)


@pytest.mark.parametrize("issuer", REFUSED_ISSUERS)
def test_issuers_at_link_local_or_private_addresses_are_never_fetched(server: Server, setup: Setup,
                                                                      issuer: str) -> None:
    started = time.monotonic()
    text = refused(token(server, setup, federated(setup, iss=issuer)), "invalid_request", 50166)
    assert "does not fetch from" in text
    assert time.monotonic() - started < 2  # refused before any connection attempt (which would time out)


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuer]:
    running = Issuer(tmp_path_factory.mktemp("issuer"))
    yield running
    running.close()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory, issuer: Issuer) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("strict"), "--no-allow-loopback-issuers",
                           env={"SSL_CERT_FILE": str(issuer.ca_file)})
    yield running
    running.stop()


def test_a_loopback_issuer_is_refused_unless_the_operator_allows_it(strict_server: Server, issuer: Issuer) -> None:
    rt = strict_server.runtime()
    tid = strict_server.tenant_id
    app = rt.directory.create_application(tid, "workload", with_service_principal=True)
    rt.directory.add_federated_credential(tid, app.id, "application", "local", issuer.url, SUBJECT)
    rt.store.dispose()
    with strict_server.http() as client:
        response = client.post(f"/{tid}/oauth2/v2.0/token",
                               data=form(app.app_id, issuer.token(SUBJECT), "https://graph.microsoft.com/.default"))
    assert "does not fetch from" in refused(response, "invalid_request", 50166)
    assert issuer.requests == []
