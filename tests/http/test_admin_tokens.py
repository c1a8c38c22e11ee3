"""The admin API's token decoder (/_tenantd/token/decode) on a real server, against the tenant's real keys: a
good token verifies; every reason a validator refuses one is named (malformed, alg none, a tampered payload,
an unknown kid, another tenant's token, expired or not yet valid with the times, the other version's issuer,
a key dropped by rotation and revocation); the token is never logged. And who may preview, decode and mint."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantd.domain import builtins
from tenantd.tokens import jwt

from ..support import Server, start_server
from .graph_support import new_client, ok

Obj = dict[str, Any]
TENANTD_SP = f"/servicePrincipals(appId='{builtins.TENANTD_APP_ID}')"


def decode(server: Server, token: str, token_for_api: str | None = None, **body: Any) -> Obj:
    return ok(server.admin("POST", "/token/decode", token=token_for_api, json={"token": token, **body}))


def codes(answer: Obj) -> list[str]:
    return [r["code"] for r in answer["reasons"]]


def b64(value: Obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def signed(server: Server, **changes: Any) -> str:
    """A token signed by the tenant's active key (read from its store, as the server signs), whose claims are
    a fresh app token's with ``changes``."""
    base = jwt.unverified_parts(server.admin_token())[1]
    rt = server.runtime()
    try:
        key = rt.tokens.keyring.active(server.tenant_id)
    finally:
        rt.store.dispose()
    return jwt.sign({**base, **changes}, key, with_x5t=False)


def test_a_token_of_this_tenant_verifies(server: Server) -> None:
    token = server.admin_token()
    answer = decode(server, token)
    assert answer["valid"] and answer["signatureVerified"] and answer["reasons"] == []
    assert answer["key"]["status"] == "active" and answer["key"]["published"]
    assert answer["payload"]["tid"] == server.tenant_id and answer["header"]["alg"] == "RS256"
    assert set(answer["times"]) == {"iat", "nbf", "exp"}
    assert decode(server, f"Bearer {token}\n")["valid"]   # pasted as a header or with a newline


def test_malformed_tokens_are_named_and_what_can_be_read_is_shown(server: Server) -> None:
    assert codes(decode(server, "not a token")) == ["malformed"]
    assert "encrypted" in decode(server, "a.b.c.d.e")["reasons"][0]["message"]
    header = b64({"alg": "RS256", "kid": "x"})
    half = decode(server, f"{header}.%%%.sig")
    assert half["header"] == {"alg": "RS256", "kid": "x"} and half["payload"] is None
    assert "malformed" in codes(half) and not half["valid"]


def test_alg_none_and_a_tampered_payload_are_refused(server: Server) -> None:
    header, payload, signature = server.admin_token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    unsigned = decode(server, f"{b64({'typ': 'JWT', 'alg': 'none'})}.{payload}.")
    assert codes(unsigned) == ["alg_none"] and unsigned["payload"] == claims
    tampered = decode(server, f"{header}.{b64({**claims, 'roles': ['Everything']})}.{signature}")
    assert codes(tampered) == ["bad_signature"] and tampered["payload"]["roles"] == ["Everything"]
    assert not tampered["signatureVerified"]


def test_a_key_that_is_not_this_tenants_is_unknown(server: Server) -> None:
    claims = jwt.unverified_parts(server.admin_token())[1]
    stranger = pyjwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048),
                            algorithm="RS256", headers={"kid": "made-up-kid"})
    assert codes(decode(server, stranger)) == ["unknown_kid"]


def test_another_tenants_token_is_refused_for_its_key_issuer_and_tenant(server: Server) -> None:
    other = ok(server.admin("POST", "/tenants", json={"name": "decoder-elsewhere"}), 201)
    response = server.token(other["admin"]["clientId"], other["admin"]["clientSecret"],
                            "https://graph.microsoft.com/.default", tenant=other["id"])
    answer = decode(server, ok(response)["access_token"])
    assert codes(answer) == ["wrong_issuer", "wrong_tenant", "unknown_kid"]
    assert server.tenant_id in answer["reasons"][0]["message"]


def test_times_are_checked_and_shown(server: Server) -> None:
    now = int(time.time())
    expired = decode(server, signed(server, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    assert codes(expired) == ["expired"] and expired["signatureVerified"]
    assert expired["times"]["exp"] in expired["reasons"][0]["message"]
    early = decode(server, signed(server, nbf=now + 3600, exp=now + 7200))
    assert codes(early) == ["not_yet_valid"] and early["times"]["nbf"] in early["reasons"][0]["message"]


def test_the_other_versions_issuer_is_named(server: Server) -> None:
    claims = jwt.unverified_parts(server.admin_token())[1]
    v1_issuer = claims["iss"].removesuffix("v2.0") if claims["ver"] == "2.0" else claims["iss"]
    answer = decode(server, signed(server, iss=v1_issuer, ver="2.0"))
    assert codes(answer) == ["version_mismatch"]
    assert codes(decode(server, signed(server, iss="https://login.microsoftonline.com/x/v2.0"))) == ["wrong_issuer"]


def test_a_given_audience_is_checked(server: Server) -> None:
    token = server.admin_token()
    assert decode(server, token, audience="https://graph.microsoft.com")["valid"]
    assert codes(decode(server, token, audience="api://someone-else")) == ["wrong_audience"]


def test_a_key_rotated_out_and_revoked_names_why(fresh_server: Server) -> None:
    server = fresh_server
    token = server.admin_token()
    old_kid = jwt.unverified_parts(token)[0]["kid"]
    ok(server.admin("POST", "/keys/rotate", json={"now": True}), 201)
    server._tokens.clear()   # the admin API's token was signed by the old key too
    retired = decode(server, token)
    assert retired["valid"] and retired["key"] == {"kid": old_kid, "status": "retired", "published": True}
    ok(server.admin("POST", f"/keys/{old_kid}/revoke"))
    server._tokens.clear()
    revoked = decode(server, token)
    assert codes(revoked) == ["retired_kid"] and "revoked" in revoked["reasons"][0]["message"]
    assert revoked["key"] == {"kid": old_kid, "status": "revoked", "published": False}


def test_the_token_is_never_logged(tmp_path: Path) -> None:
    """On a server that logs everything (debug), a decoded token, a refused one and a preview minted as
    another principal leave no token in the log."""
    server = start_server(tmp_path / "tenantd", "--log-level", "debug")
    try:
        token = signed(server, exp=int(time.time()) - 10)
        decode(server, token)
        server.admin("POST", "/token/decode", json={"token": token + "x" * 40000})   # refused as too long
        minted = ok(server.admin("POST", "/token/preview", json={
            "principal": server.info["admin_client_id"], "resource": "https://graph.microsoft.com", "mint": True}))
    finally:
        server.stop()
    log = (server.data / "server.log").read_text(errors="replace")
    assert "minted a previewed token" in log   # tenantd.audit logs at info, and said no token
    for text in (token, minted["access_token"]):
        assert text.split(".")[2] not in log and text.split(".")[1] not in log


def test_bad_bodies_get_graph_errors(server: Server) -> None:
    for body in ({}, {"token": 5}, {"token": "   "}, {"token": "a.b.c", "audience": 3}):
        response = server.admin("POST", "/token/decode", json=body)
        assert response.status_code == 400 and response.json()["error"]["message"], body
    too_long = server.admin("POST", "/token/decode", json={"token": "a" * 40000})
    assert too_long.status_code == 400 and "longer" in too_long.json()["error"]["message"]
    for body in ({"resource": "api://x"}, {"principal": "x"}, {"principal": "x", "resource": "y", "mint": "yes"},
                 {"principal": "x", "resource": "y", "scopes": "Things.Read"}):
        response = server.admin("POST", "/token/preview", json=body)
        assert response.status_code == 400 and response.json()["error"]["message"], body


def _admin_client(server: Server, *roles: str) -> str:
    app, sp, secret = new_client(server)
    tenantd = ok(server.graph("GET", TENANTD_SP))
    for role in roles:
        ok(server.graph("POST", f"/servicePrincipals/{tenantd['id']}/appRoleAssignedTo", json={
            "principalId": sp["id"], "resourceId": tenantd["id"], "appRoleId": builtins.TENANTD_ROLES[role]}), 201)
    return str(ok(server.token(app["appId"], secret, f"{builtins.TENANTD_RESOURCE}/.default"))["access_token"])


def test_preview_and_decode_need_an_admin_role_and_minting_needs_impersonate(server: Server) -> None:
    target = {"principal": server.info["admin_client_id"], "resource": "https://graph.microsoft.com"}
    nobody, admin_only = _admin_client(server), _admin_client(server, "Tenantd.Admin")
    impersonator = _admin_client(server, "Tenantd.Impersonate")
    for path, body in (("/token/preview", target), ("/token/decode", {"token": server.admin_token()})):
        assert server.admin("POST", path, token=nobody, json=body).status_code == 403
        assert server.admin("POST", path, token=server.admin_token(), json=body).status_code == 401  # Graph's
        assert server.admin("POST", path, token=admin_only, json=body).status_code == 200
    refused = server.admin("POST", "/token/preview", token=admin_only, json={**target, "mint": True})
    assert refused.status_code == 403 and "access_token" not in refused.text
    # The admin app holds every Graph role: Tenantd.Impersonate alone may preview it but not mint as it.
    assert ok(server.admin("POST", "/token/preview", token=impersonator, json=target))["issued"]
    privileged = server.admin("POST", "/token/preview", token=impersonator, json={**target, "mint": True})
    assert privileged.status_code == 403 and "access_token" not in privileged.text
    plain_app, plain_sp, _ = new_client(server)
    minted = ok(server.admin("POST", "/token/preview", token=impersonator, json={
        "principal": plain_sp["id"], "resource": "https://graph.microsoft.com", "mint": True}))
    assert jwt.unverified_parts(minted["access_token"])[1]["appid"] == plain_app["appId"]
    audits = ok(server.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": "activityDisplayName eq 'Issue token as service principal'", "$top": "999"}))["value"]
    assert any(a["targetResources"][0]["id"] == plain_sp["id"] for a in audits)
