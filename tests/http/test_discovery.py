"""OIDC discovery advertises exactly what is served: a client that trusts the document (the Azure CLI opens
the device code endpoint it finds there) must never meet a 404. The multi-tenant authorities ``common`` and
``organizations`` have documents of their own, whose issuer holds the literal ``{tenantid}``."""

from __future__ import annotations

import pytest

from tests.support import Server

ADVERTISED = {"token_endpoint", "jwks_uri", "authorization_endpoint", "device_authorization_endpoint",
              "userinfo_endpoint", "end_session_endpoint"}


def _no_such_endpoint(server: Server, url: str) -> bool:
    """True when neither GET nor POST reaches a route: the application's own 404, not a route's refusal."""
    with server.http() as client:
        for method in ("GET", "POST"):
            response = client.request(method, url)
            if response.status_code != 404 or response.json().get("error") != "not_found":
                return False
    return True


@pytest.mark.parametrize("tenant", ["id", "common", "organizations"])
@pytest.mark.parametrize("path", ["/v2.0/.well-known/openid-configuration", "/.well-known/openid-configuration"])
def test_every_advertised_endpoint_is_served(server: Server, path: str, tenant: str) -> None:
    segment = server.tenant_id if tenant == "id" else tenant
    with server.http() as client:
        document = client.get(f"/{segment}{path}").json()
    endpoints = {key: value for key, value in document.items() if key.endswith(("_endpoint", "_uri"))}
    assert endpoints.keys() == ADVERTISED
    assert all(url.startswith(f"{server.url}/") for url in endpoints.values())
    assert all(f"/{segment}/" in url for key, url in endpoints.items() if key != "userinfo_endpoint")
    assert endpoints["userinfo_endpoint"] == f"{server.url}/oidc/userinfo"
    missing = {key: url for key, url in endpoints.items() if _no_such_endpoint(server, url)}
    assert not missing, f"advertised but not served: {missing}"


@pytest.mark.parametrize("tenant", ["common", "organizations"])
def test_multi_tenant_documents_hold_the_tenantid_placeholder_and_every_tenants_keys(server: Server,
                                                                                     tenant: str) -> None:
    with server.http() as client:
        v2 = client.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
        v1 = client.get(f"/{tenant}/.well-known/openid-configuration").json()
        keys = client.get(v2["jwks_uri"]).json()["keys"]
        own = client.get(f"/{server.tenant_id}/discovery/v2.0/keys").json()["keys"]
    assert v2["issuer"] == f"{server.url}/{{tenantid}}/v2.0" and v1["issuer"] == f"{server.url}/{{tenantid}}/"
    assert {k["kid"] for k in own} <= {k["kid"] for k in keys}
    assert all("d" not in k for k in keys)


def test_a_route_that_does_not_exist_is_told_apart(server: Server) -> None:
    """The check above can fail: an unserved path is recognised as such."""
    assert _no_such_endpoint(server, f"{server.url}/{server.tenant_id}/oauth2/v2.0/nothing-here")
