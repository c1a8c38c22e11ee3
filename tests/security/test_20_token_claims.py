"""SECURITY.md item 20: every token carries the right iss, tid, aud, roles, appid/azp and oid, an id of its
own (uti), and a lifetime in the configured window (Entra's 60 to 90 minutes for app tokens)."""

from __future__ import annotations

from typing import Any

import jwt

from ..http.graph_support import new_api, new_client, ok, role
from ..support import Server


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_20_tokens_carry_the_right_claims_a_unique_id_and_a_lifetime_in_the_window(server: Server) -> None:
    api, api_sp = new_api(server, role("Claims.Read"))
    app, sp, secret = new_client(server)
    ok(server.graph("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", json={
        "principalId": sp["id"], "resourceId": api_sp["id"], "appRoleId": api["appRoles"][0]["id"]}), 201)
    uri = api["identifierUris"][0]
    seen: set[str] = set()
    for version in (1, 2):
        ok(server.graph("PATCH", f"/applications/{api['id']}", json={"api": {"requestedAccessTokenVersion": version}}),
           204)
        for _ in range(10):
            claims = _claims(ok(server.token(app["appId"], secret, f"{uri}/.default"))["access_token"])
            assert claims["tid"] == server.tenant_id and claims["oid"] == claims["sub"] == sp["id"]
            assert claims["roles"] == ["Claims.Read"] and claims["idtyp"] == "app"
            if version == 1:
                assert claims["iss"] == f"{server.url}/{server.tenant_id}/" and claims["aud"] == uri
                assert claims["appid"] == app["appId"] and claims["ver"] == "1.0"
            else:
                assert claims["iss"] == f"{server.url}/{server.tenant_id}/v2.0" and claims["aud"] == api["appId"]
                assert claims["azp"] == app["appId"] and claims["ver"] == "2.0"
            assert 3600 <= claims["exp"] - claims["iat"] <= 5400 and claims["nbf"] <= claims["iat"]
            assert claims["uti"] not in seen
            seen.add(claims["uti"])
