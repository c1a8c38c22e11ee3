"""OIDC discovery advertises only what is served: a client that trusts the document (the Azure CLI opens
the device code endpoint it finds there) must never meet a 404."""

from __future__ import annotations

import pytest

from tests.support import Server

# msal reads ``authorization_endpoint`` unconditionally (``Authority.__init__``): without it no msal client
# starts, so it is advertised before it is served.
ADVERTISED_BEFORE_SERVED = {"authorization_endpoint"}


def _no_such_endpoint(server: Server, url: str) -> bool:
    """True when neither GET nor POST reaches a route: the application's own 404, not a route's refusal."""
    with server.http() as client:
        for method in ("GET", "POST"):
            response = client.request(method, url)
            if response.status_code != 404 or response.json().get("error") != "not_found":
                return False
    return True


@pytest.mark.parametrize("path", ["/v2.0/.well-known/openid-configuration", "/.well-known/openid-configuration"])
def test_every_advertised_endpoint_is_served(server: Server, path: str) -> None:
    with server.http() as client:
        document = client.get(f"/{server.tenant_id}{path}").json()
    endpoints = {key: value for key, value in document.items()
                 if key.endswith(("_endpoint", "_uri")) and key not in ADVERTISED_BEFORE_SERVED}
    assert {"token_endpoint", "jwks_uri"} <= endpoints.keys()
    missing = {key: url for key, url in endpoints.items() if _no_such_endpoint(server, url)}
    assert not missing, f"advertised but not served: {missing}"
    assert "end_session_endpoint" not in document and "device_authorization_endpoint" not in document


def test_a_route_that_does_not_exist_is_told_apart(server: Server) -> None:
    """The check above can fail: an unserved path is recognised as such."""
    assert _no_such_endpoint(server, f"{server.url}/{server.tenant_id}/oauth2/v2.0/devicecode")
