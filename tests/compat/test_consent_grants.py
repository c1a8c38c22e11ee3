"""The real msal, signing people in with their passwords (ROPC) through a public client, holds what delegated
permission grants give it: a grant for every user adds a scope to the next token's ``scp`` (asked for by name
or through ``.default``), a user's own grant adds it for her alone, and a deleted grant takes it away from the
very next token (AADSTS65001 for the scope by name; ``.default`` without it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msal
import pytest

from ..http.graph_support import ok
from ..http.people_support import PASSWORD, World, arrange, claims
from ..support import Server
from .user_realm import session_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # msal deprecates ROPC for public clients


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    yield arrange(server)


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])


def _sign_in(world: World, user: dict[str, Any], *scopes: str) -> dict[str, Any]:
    """msal's answer to a password sign-in through the desktop app (a public client)."""
    server = world.server
    app = msal.PublicClientApplication(world.native["appId"], authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False, http_client=session_for(server))
    result: dict[str, Any] = app.acquire_token_by_username_password(
        user["userPrincipalName"], PASSWORD, scopes=[f"{world.api_uri}/{s}" for s in scopes])
    return result


def _scp(result: dict[str, Any]) -> list[str]:
    assert "access_token" in result, result
    return sorted(claims(result["access_token"])["scp"].split())


def _grant(world: World, user: dict[str, Any] | None = None) -> str:
    """Things.Write granted to the desktop app on the API, for every user or for ``user``; the grant's id."""
    client = ok(world.server.graph("GET", f"/servicePrincipals(appId='{world.native['appId']}')"))
    body = {"clientId": client["id"], "resourceId": world.api_sp["id"], "scope": "Things.Write",
            "consentType": "Principal" if user else "AllPrincipals", **({"principalId": user["id"]} if user else {})}
    return str(ok(world.server.graph("POST", "/oauth2PermissionGrants", json=body), 201)["id"])


def _consent_required(result: dict[str, Any]) -> bool:
    return result.get("error") == "invalid_grant" and result.get("error_codes") == [65001]


def test_a_grant_for_every_user_adds_the_scope_and_its_deletion_takes_it_away(world: World) -> None:
    assert _consent_required(_sign_in(world, world.alice, "Things.Write"))
    assert _scp(_sign_in(world, world.alice, ".default")) == ["Things.Read"]   # pre-authorized only

    grant = _grant(world)
    assert _scp(_sign_in(world, world.alice, "Things.Write")) == ["Things.Write"]
    assert _scp(_sign_in(world, world.bob, "Things.Read", "Things.Write")) == ["Things.Read", "Things.Write"]
    assert _scp(_sign_in(world, world.bob, ".default")) == ["Things.Read", "Things.Write"]

    ok(world.server.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
    assert _consent_required(_sign_in(world, world.alice, "Things.Write"))
    assert _scp(_sign_in(world, world.bob, ".default")) == ["Things.Read"]


def test_a_users_own_grant_counts_for_her_alone(world: World) -> None:
    grant = _grant(world, world.alice)
    assert _scp(_sign_in(world, world.alice, "Things.Write")) == ["Things.Write"]
    assert _consent_required(_sign_in(world, world.bob, "Things.Write"))
    assert _scp(_sign_in(world, world.bob, ".default")) == ["Things.Read"]

    ok(world.server.graph("PATCH", f"/oauth2PermissionGrants/{grant}", json={"scope": ""}), 204)
    assert _consent_required(_sign_in(world, world.alice, "Things.Write"))
    ok(world.server.graph("DELETE", f"/oauth2PermissionGrants/{grant}"), 204)
