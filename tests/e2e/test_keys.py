"""`tenantd keys` against a running server: tokens signed before a rotation keep validating through PyJWT's
JWKS client until they expire; a revoked key's tokens fail there and at Graph."""

from __future__ import annotations

import json
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest

from ..support import TENANTD, Server, start_server
from .cli_support import fails, run, run_json

GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def slow_publishing(tmp_path: Path) -> Iterator[Server]:
    """A server that publishes a next key 7 minutes before it signs."""
    running = start_server(tmp_path / "tenantd", "--key-publish-minutes", "7")
    yield running
    running.stop()


def _fresh_token(server: Server) -> str:
    response = server.token(server.info["admin_client_id"], server.info["admin_client_secret"], f"{GRAPH}/.default")
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _verify(server: Server, token: str) -> dict[str, Any]:
    """Verify as an API would: the discovery document for the token's version, its live JWKS, its issuer."""
    unverified = jwt.decode(token, options={"verify_signature": False})
    version = "" if unverified["ver"] == "1.0" else "/v2.0"
    with server.http() as client:
        discovery = client.get(f"/{server.tenant_id}{version}/.well-known/openid-configuration").json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=False,
                           ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=unverified["aud"], issuer=discovery["issuer"])


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _jwks(server: Server) -> list[str]:
    with server.http() as client:
        return [k["kid"] for k in client.get(f"/{server.tenant_id}/discovery/v2.0/keys").json()["keys"]]


def test_a_token_signed_before_a_rotation_validates_until_it_expires(slow_publishing: Server) -> None:
    server = slow_publishing
    before = _fresh_token(server)
    old = _kid(before)
    assert _verify(server, before)["tid"] == server.tenant_id

    pending = run_json(server, "keys", "rotate")
    assert pending["new"] and pending["status"] == "next" and pending["kid"] != old
    assert 7 * 60 <= _epoch(pending["activates"]) - _epoch(pending["created"]) <= 7 * 60 + 1
    assert [k["activates"] for k in run_json(server, "keys", "list") if k["kid"] == pending["kid"]] == \
        [pending["activates"]]
    assert set(_jwks(server)) == {old, pending["kid"]}  # published at once ...
    assert _kid(_fresh_token(server)) == old              # ... but not signing for 7 minutes
    again = run(server, "keys", "rotate")
    assert "already pending" in again and pending["kid"] in again

    result = subprocess.run([*TENANTD, "--data", str(server.data), "keys", "rotate", "--now", "--json"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "--now skips the publish lead" in result.stderr
    now = json.loads(result.stdout)
    assert now["kid"] == pending["kid"] and now["status"] == "active" and now["new"] is False

    after = _fresh_token(server)
    assert _kid(after) == now["kid"]
    claims = _verify(server, before)  # the old key is retired, still published
    assert claims["tid"] == server.tenant_id
    assert server.graph("GET", "/applications", token=before).status_code == 200
    assert _verify(server, after)["tid"] == server.tenant_id

    listed = {k["kid"]: k for k in run_json(server, "keys", "list")}
    assert listed[old]["status"] == "retired" and listed[old]["published"] is True
    retires = jwt.decode(before, options={"verify_signature": False})["exp"] + 300
    assert listed[old]["retires"] >= _iso(retires)  # published until its tokens (of any kind) have expired
    assert listed[old]["retires"] >= _iso(int(claims["iat"]) + 24 * 3600 + 300)
    human = run(server, "keys", "list")
    assert old in human and "retired" in human and now["kid"] in human and "active" in human


def test_a_revoked_keys_tokens_fail(fresh_server: Server) -> None:
    server = fresh_server
    token = _fresh_token(server)
    kid = _kid(token)
    assert server.graph("GET", "/applications", token=token).status_code == 200

    refused = fails(server, "keys", "revoke", kid, code=2)
    assert "--yes" in refused
    assert kid in _jwks(server)

    done = run_json(server, "keys", "revoke", kid, "--yes")
    assert done["revoked"]["kid"] == kid and done["revoked"]["status"] == "revoked"
    replacement = done["replacement"]["kid"]
    assert _jwks(server) == [replacement]
    with pytest.raises(jwt.PyJWKClientError, match="Unable to find a signing key"):
        _verify(server, token)
    rejected = server.graph("GET", "/applications", token=token)
    assert rejected.status_code == 401 and rejected.json()["error"]["code"] == "InvalidAuthenticationToken"

    fresh = _fresh_token(server)
    assert _kid(fresh) == replacement and _verify(server, fresh)["tid"] == server.tenant_id
    assert server.graph("GET", "/applications", token=fresh).status_code == 200
    statuses = {k["kid"]: k["status"] for k in run_json(server, "keys", "list")}
    assert statuses == {kid: "revoked", replacement: "active"}
    assert "no signing key 'nosuchkid'" in fails(server, "keys", "revoke", "nosuchkid", "--yes")


def test_the_key_admin_api_needs_an_admin_token(server: Server) -> None:
    with server.http() as client:
        assert client.get("/_tenantd/keys").status_code == 401
        assert client.post("/_tenantd/keys/rotate").status_code == 401
    assert server.admin("POST", "/keys/rotate", json={"now": "yes"}).status_code == 400
    assert server.admin("GET", "/keys").json()["value"][0]["status"] == "active"


def test_up_refuses_a_negative_schedule(tmp_path: Path) -> None:
    result = subprocess.run([*TENANTD, "--data", str(tmp_path), "up", "--port", "0", "--identity-port", "0",
                             "--key-rotation-days", "-1"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "must not be negative" in result.stderr


def test_up_warns_when_keys_would_be_published_too_late(tmp_path: Path) -> None:
    server = start_server(tmp_path / "tenantd", "--key-publish-minutes", "2", "--key-rotation-days", "0")
    try:
        pending = server.admin("POST", "/keys/rotate").json()
        assert _epoch(pending["activates"]) - _epoch(pending["created"]) == 120
    finally:
        server.stop()
    log = (server.data / "server.log").read_text()
    assert "warning" in log and "--key-publish-minutes 2 is shorter than the 5 minutes" in log
