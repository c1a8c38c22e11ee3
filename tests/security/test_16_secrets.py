"""SECURITY.md item 16 (client secrets: generated with 256 bits, stored only as keyed hashes, compared with
hmac.compare_digest, checked in full) and the constant-time half of item 26 (host secrets, which managed
identity headers carry, are looked up by the same keyed hash)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tenantd.runtime import Runtime
from tenantd.store import schema
from tenantd.tokens import secrets as secrets_module
from tenantd.tokens.request import TokenRequest

from ..http.graph_support import new_client, ok
from ..support import Server


def test_16_secrets_carry_256_bits_and_are_shown_once(server: Server) -> None:
    app, _, secret = new_client(server)
    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) == 32
    listed = ok(server.graph("GET", f"/applications/{app['id']}"))["passwordCredentials"]
    assert [c["secretText"] for c in listed] == [None] and secret not in str(listed)


def test_16_secrets_are_stored_only_as_keyed_hashes(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    app = rt.directory.create_application(tenant.id, "web", with_service_principal=True)
    _, secret = rt.directory.add_password(tenant.id, app.id)
    with rt.store.read() as tx:
        rows = tx.conn.execute(sa.select(schema.password_credentials)).all()
        pepper = rt.vault.decrypt(tx.secret("pepper") or b"")
    assert len(rows) == 1 and secret not in str(rows[0])
    stored = bytes(rows[0].secret_hash)
    assert stored == hmac.new(pepper, secret.encode(), hashlib.sha256).digest()
    assert stored != hashlib.sha256(secret.encode()).digest()   # keyed: a stolen table alone is no oracle


def test_16_secrets_are_compared_with_compare_digest(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = rt.directory.create_tenant("contoso")
    app = rt.directory.create_application(tenant.id, "web", with_service_principal=True)
    _, secret = rt.directory.add_password(tenant.id, app.id)
    stored = rt.directory.application(tenant.id, app.id).password_credentials[0].secret_hash
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(secrets_module.hmac, "compare_digest", spy)
    request = TokenRequest(tenant.id, 2, {"grant_type": "client_credentials", "client_id": app.app_id,
                                          "client_secret": secret, "scope": "https://graph.microsoft.com/.default"})
    assert rt.tokens.token(request)["access_token"]
    assert any(stored in pair for pair in compared)


def test_16_long_secrets_are_checked_in_full(server: Server) -> None:
    app, _, secret = new_client(server)
    scope = "https://graph.microsoft.com/.default"
    for wrong in (secret + "x", secret[:-1], secret[:16], secret + "x" * 4000, secret[:-1] + chr(ord(secret[-1]) ^ 1)):
        response = server.token(app["appId"], wrong, scope)
        assert response.status_code == 401 and response.json()["error_codes"] == [7000215]
    assert server.token(app["appId"], secret, scope).status_code == 200


def test_26_host_secrets_are_looked_up_by_keyed_hash_only(server: Server) -> None:
    """The identity header is never compared as text: its HMAC with the server's pepper is looked up. Timing can
    tell at most how many leading bytes of HMAC(pepper, guess) match a stored HMAC, which says nothing about the
    next guess to make, since the pepper is unknown."""
    host = "/subscriptions/8d1c1f43-3b7e-4a4f-9a3c-2f7e1b0c9d11/resourceGroups/rg/providers/Microsoft.Web/sites/h"
    identity = ok(server.admin("POST", "/identities", json={"name": "header-check", "type": "SystemAssigned",
                                                            "host": host}), 201)
    session = ok(server.admin("POST", "/hosts/sessions", json={"host": identity["resourceId"]}), 201)["secret"]
    rt = server.runtime()
    try:
        with rt.store.read() as tx:
            stored = [bytes(r.secret_hash) for r in tx.conn.execute(sa.select(schema.host_credentials))]
        assert rt.tokens.hasher(session) in stored and all(session.encode() not in h for h in stored)
    finally:
        rt.store.dispose()
    params = {"api-version": "2019-08-01", "resource": "https://graph.microsoft.com"}
    with httpx.Client(base_url=server.info["identity_url"], timeout=30) as client:
        assert client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": session}).status_code == 200
        for wrong in (session[:-1], session + "A", session.upper(), ""):
            assert client.get("/msi/token", params=params, headers={"X-IDENTITY-HEADER": wrong}).status_code == 401
