"""The managed identity listener's protocol rules (SECURITY.md items 24-27), on a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from ..support import Server

SUB = "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/rg/providers"
SITE = f"{SUB}/Microsoft.Web/sites/app"
BARE = f"{SUB}/Microsoft.Web/sites/bare"
UA = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/loose"
TOKEN = "/metadata/identity/oauth2/token"


@dataclass
class Host:
    url: str
    secret: str
    loose_client_id: str


@pytest.fixture(scope="module")
def host(server: Server) -> Iterator[Host]:
    rt = server.runtime()
    rt.directory.create_managed_identity(server.tenant_id, "app", "SystemAssigned", SITE)
    loose = rt.directory.create_managed_identity(server.tenant_id, "loose", "UserAssigned", UA)
    rt.store.dispose()
    session = server.admin("POST", "/hosts/sessions", json={"host": SITE})
    assert session.status_code == 201, session.text
    yield Host(server.info["identity_url"], session.json()["secret"], loose.app_id)


def _imds(host: Host, params: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(base_url=host.url) as client:
        return client.get(f"/{host.secret}{TOKEN}?{params}", headers={"Metadata": "true", **(headers or {})})


def test_the_listener_binds_loopback(server: Server) -> None:
    assert urlsplit(server.info["identity_url"]).hostname == "127.0.0.1"


def test_imds_needs_the_metadata_header(host: Host) -> None:
    with httpx.Client(base_url=host.url) as client:
        response = client.get(f"/{host.secret}{TOKEN}?api-version=2018-02-01&resource=https://graph.microsoft.com")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request",
                               "error_description": "Required metadata header not specified"}


def test_imds_refuses_forwarded_requests_duplicates_and_bad_versions(host: Host) -> None:
    ok = "api-version=2018-02-01&resource=https://graph.microsoft.com"
    assert _imds(host, ok).status_code == 200
    assert _imds(host, ok, {"X-Forwarded-For": "10.0.0.1"}).status_code == 400
    assert _imds(host, ok + "&resource=api://other").status_code == 400
    missing = _imds(host, "resource=https://graph.microsoft.com")
    assert missing.status_code == 400 and "newest-versions" in missing.json()
    assert _imds(host, "api-version=1999-01-01&resource=https://graph.microsoft.com").status_code == 400
    assert _imds(host, ok + "&client_id=a&object_id=b").status_code == 400


def test_imds_values_are_strings(host: Host) -> None:
    body = _imds(host, "api-version=2018-02-01&resource=https://graph.microsoft.com").json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "expires_on", "ext_expires_in",
                         "not_before", "resource", "token_type", "client_id"}
    assert all(isinstance(v, str) for v in body.values())
    assert 23 * 3600 < int(body["expires_in"]) <= 24 * 3600


def test_the_host_prefix_survives_what_clients_do_to_urls(host: Host) -> None:
    """msal-node (under @azure/identity for JS too) lowercases the URL it builds from
    AZURE_POD_IDENTITY_AUTHORITY_HOST or MSI_ENDPOINT and appends a slash; other clients double a slash where
    they join or percent-encode the path. Each of these URLs names the same host, answered without a redirect."""
    query = "?api-version=2018-02-01&resource=https://graph.microsoft.com"
    encoded = "".join(f"%{ord(c):02X}" for c in host.secret)
    paths = [f"/{host.secret.lower()}{TOKEN}/", f"//{host.secret}/{TOKEN}", f"/{host.secret}{TOKEN}//",
             f"/{encoded}{TOKEN}"]
    with httpx.Client() as client:
        for path in paths:
            response = client.get(host.url + path + query, headers={"Metadata": "true"})
            assert response.status_code == 200, (path, response.status_code, response.text)
        shell = client.post(f"{host.url}/{host.secret.lower()}/cloudshell/token/", headers={"Metadata": "true"},
                            data={"resource": "https://graph.microsoft.com"})
        assert shell.status_code == 200, shell.text
        service = client.get(f"{host.url}/msi/token/", params={"api-version": "2019-08-01",
                             "resource": "https://graph.microsoft.com"}, headers={"X-IDENTITY-HEADER": host.secret})
        assert service.status_code == 200, service.text


def test_host_secrets_are_lowercase_hex_of_256_bits(host: Host) -> None:
    """The one shape that survives lowercasing, percent-encoding and slash handling unchanged."""
    assert len(host.secret) == 64 and int(host.secret, 16) >= 0 and host.secret == host.secret.lower()


def test_a_user_assigned_identity_not_attached_to_the_host_is_refused(host: Host) -> None:
    response = _imds(host, f"api-version=2018-02-01&resource=https://graph.microsoft.com&client_id={host.loose_client_id}")
    assert response.status_code == 400 and response.json()["error_description"] == "Identity not found"


def test_app_service_rejects_a_wrong_or_missing_header_and_several_selectors(host: Host) -> None:
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}
    with httpx.Client(base_url=host.url) as client:
        assert client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": host.secret}).status_code == 200
        wrong = client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": host.secret[:-1] + "x"})
        missing = client.get("/msi/token", params=params)
        several = client.get("/msi/token", params={**params, "client_id": "a", "principal_id": "b"},
                             headers={"X-IDENTITY-HEADER": host.secret})
    assert wrong.status_code == 401 and missing.status_code == 401
    assert set(wrong.json()) == {"statusCode", "message", "correlationId"}
    assert several.status_code == 400


def test_a_closed_session_no_longer_gets_tokens(server: Server, host: Host) -> None:
    session = server.admin("POST", "/hosts/sessions", json={"host": SITE}).json()["secret"]
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}
    with httpx.Client(base_url=host.url) as client:
        assert client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": session}).status_code == 200
        assert server.admin("DELETE", "/hosts/sessions", json={"secret": session}).status_code == 204
        assert client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": session}).status_code == 401


def test_a_host_without_identities_gets_no_session(server: Server) -> None:
    response = server.admin("POST", "/hosts/sessions", json={"host": BARE})
    assert response.status_code == 400


def _cloud_shell(host: Host, content: bytes | None = None, headers: dict[str, str] | None = None,
                 query: str = "") -> httpx.Response:
    with httpx.Client(base_url=host.url) as client:
        return client.post(f"/{host.secret}/cloudshell/token{query}", content=content, headers={
            "Metadata": "true", "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def test_cloud_shell_refuses_what_imds_refuses(host: Host) -> None:
    """Cloud Shell's endpoint takes no secret header either: a relayed request is refused as IMDS refuses it."""
    ok = b"resource=https://graph.microsoft.com"
    assert _cloud_shell(host, ok).status_code == 200
    for response in (_cloud_shell(host, ok, {"X-Forwarded-For": "10.0.0.1"}),
                     _cloud_shell(host, ok, {"Metadata": "false"}),
                     _cloud_shell(host, ok + b"&resource=api://other"),
                     _cloud_shell(host, ok, query="?a=1&a=2")):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(("content", "content_type"), [
    (b"resource=https://graph.microsoft.com", "application/json"),
    (b"resource=https://graph.microsoft.com", "text/plain"),
    (b"resource=https://graph.microsoft.com", "multipart/form-data; boundary=x"),
    (b"resource=https://graph.microsoft.com", ""),
    (b"resource=https://graph.microsoft.com&\xff\xfe", "application/x-www-form-urlencoded"),
    (b"resource=https://graph.microsoft.com" + b"".join(b"&a%d=1" % i for i in range(40)),
     "application/x-www-form-urlencoded"),
])
def test_cloud_shell_takes_a_form_body_and_nothing_else(host: Host, content: bytes, content_type: str) -> None:
    response = _cloud_shell(host, content, {"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


def test_an_unknown_resource_is_named_within_bounds_on_every_endpoint(host: Host) -> None:
    resource = "api://" + "x" * 6000
    with httpx.Client(base_url=host.url) as client:
        responses = [
            _imds(host, f"api-version=2018-02-01&resource={resource}"),
            client.get("/msi/token", params={"api-version": "2019-08-01", "resource": resource},
                       headers={"X-IDENTITY-HEADER": host.secret}),
            client.get("/msi/token", params={"api-version": "2017-09-01", "resource": resource},
                       headers={"secret": host.secret}),
            _cloud_shell(host, f"resource={resource}".encode()),
        ]
    for response in responses:
        assert response.status_code == 400, response.text
        assert "AADSTS500011" in response.text and "api://xxxx" in response.text and len(response.text) < 1000


def test_imds_rate_limit_answers_429_with_retry_after(host: Host) -> None:
    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=host.url) as client:
            url = f"/{host.secret}{TOKEN}?api-version=2018-02-01&resource=https://graph.microsoft.com"
            return await asyncio.gather(*(client.get(url, headers={"Metadata": "true"}) for _ in range(40)))

    responses = asyncio.run(burst())
    limited = [r for r in responses if r.status_code == 429]
    assert limited and all(r.headers["Retry-After"] for r in limited)
    assert all(r.status_code in (200, 429) for r in responses)
