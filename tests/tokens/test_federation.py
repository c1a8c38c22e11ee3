"""The issuer key rules of federation.py, in process: which addresses may be fetched from, tenantd's own
issuers, and the cache (one fetch, a bounded refetch for an unknown kid, the last good keys kept)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantd.tokens.federation import Federation, FederationError, VerificationKey, address_allowed, own_tenant_id

from .support import Issuer

TID = "8c3dad1d-b6bc-4f8b-939b-8263372eced6"


@pytest.mark.parametrize("address", [
    "169.254.169.254", "10.0.0.1", "172.16.5.4", "192.168.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.1",
    "255.255.255.255", "fe80::1", "fc00::1", "::", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "2002:a00:1::",
    "64:ff9b::a00:1", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
])
def test_link_local_private_and_reserved_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ipaddress.ip_address(address), allow_loopback=True)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"])
def test_loopback_only_when_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), allow_loopback=True)
    assert not address_allowed(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize("address", ["20.190.160.1", "140.82.112.3", "2603:1030:20e:3::23c"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ipaddress.ip_address(address), allow_loopback=False)


def test_own_issuers_are_exactly_the_tenant_issuers() -> None:
    base = "https://localhost:8443"
    assert own_tenant_id(base, f"{base}/{TID}/") == TID
    assert own_tenant_id(base + "/", f"{base}/{TID}/v2.0") == TID
    for other in (f"{base}/{TID}", f"{base}/{TID}/v2.0/", f"{base}/{TID.upper()}/", f"{base}/contoso/",
                  f"https://localhost:9443/{TID}/", f"{base}/{TID}/v3.0"):
        assert own_tenant_id(base, other) is None, other


@pytest.fixture
def no_http(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("an HTTP client was made")
    monkeypatch.setattr(httpx, "Client", refuse)


def _never_own(_issuer: str) -> list[VerificationKey] | None:
    return None


@pytest.mark.usefixtures("no_http")
@pytest.mark.parametrize("resolved", [["10.0.0.7"], ["20.190.160.1", "169.254.169.254"], ["fd00::1"]])
def test_a_name_that_resolves_to_a_refused_address_is_not_fetched(resolved: list[str]) -> None:
    asked: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        return resolved

    federation = Federation(_never_own, allow_loopback=True, resolve=resolve)
    with pytest.raises(FederationError, match="does not fetch from"):
        federation.keys("https://issuer.example/tenant", "kid")
    assert asked == ["issuer.example"]


@pytest.mark.usefixtures("no_http")
@pytest.mark.parametrize("issuer", ["http://issuer.example", "https://user:pw@issuer.example", "ftp://x"])
def test_only_plain_https_urls_are_fetched(issuer: str) -> None:
    with pytest.raises(FederationError, match="not an https URL"):
        Federation(_never_own, allow_loopback=True).keys(issuer, None)


@pytest.mark.usefixtures("no_http")
def test_own_issuers_are_answered_without_http() -> None:
    key = VerificationKey("k1", object())
    federation = Federation(lambda issuer: [key] if issuer == "https://self/t/" else None)
    assert federation.keys("https://self/t/", "k1") == [key]


@pytest.fixture
def issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Issuer]:
    running = Issuer(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(running.ca_file))  # read when Federation makes its TLS context
    yield running
    running.close()


def test_keys_are_fetched_once_and_an_unknown_kid_refetches_once_per_cooldown(issuer: Issuer) -> None:
    now = [1000.0]
    federation = Federation(_never_own, allow_loopback=True, clock=lambda: now[0])
    first = federation.keys(issuer.url, issuer.kid)
    assert [k.kid for k in first] == [issuer.kid] and len(issuer.requests) == 2
    federation.keys(issuer.url, issuer.kid)
    assert len(issuer.requests) == 2                       # cached
    for _ in range(20):
        federation.keys(issuer.url, "bogus")
    assert len(issuer.requests) == 2                       # fetched moments ago: no refetch yet
    now[0] += 301
    for _ in range(20):
        federation.keys(issuer.url, "bogus")
    assert len(issuer.requests) == 4                       # one refetch for twenty unknown kids
    now[0] += 3600
    issuer.close()                                         # the issuer goes away: the last good keys stay
    assert [k.kid for k in federation.keys(issuer.url, issuer.kid)] == [issuer.kid]


def test_a_discovery_document_naming_another_issuer_is_refused(issuer: Issuer) -> None:
    with pytest.raises(FederationError, match="names another issuer"):
        Federation(_never_own, allow_loopback=True).keys(issuer.url + "/", None)


def test_loopback_issuers_need_the_operators_consent(issuer: Issuer) -> None:
    with pytest.raises(FederationError, match="does not fetch from"):
        Federation(_never_own, allow_loopback=False).keys(issuer.url, None)
    assert issuer.requests == []
