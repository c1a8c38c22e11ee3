"""Groups in ID tokens the authorize endpoint sends through the browser, on SQLite and PostgreSQL: up to five
groups are listed; past five the token says ``hasgroups: true`` instead, as Entra's implicit flow does (the
URL would grow too long). The token endpoint lists up to 200 (``test_group_claims.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.runtime import Runtime

from ..support import Server
from .pages_support import PASSWORD, Browser, add_domain, answer, authorize_query, sign_in, verified_id_token

WEB = "https://groups.example/signin-oidc"


@dataclass
class World:
    server: Server
    tenant_id: str
    client: str           # appId: ID tokens from the authorize endpoint, groupMembershipClaims SecurityGroup
    five: list[str]       # the groups of five@ (two directly, three through nesting)
    six: list[str]        # the groups of six@ (one directly, five through nesting)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    rt: Runtime = tenantd.runtime()
    tid, d = tenantd.tenant_id, rt.directory
    add_domain(rt, tid, "groups.test")
    client = d.create_application(tid, "Groups Web", with_service_principal=True, settings={
        "web.redirectUris": [WEB], "web.implicitGrantSettings": {"enableIdTokenIssuance": True},
        "groupMembershipClaims": "SecurityGroup"})
    groups = [d.create_group(tid, f"implicit {i}").id for i in range(6)]
    for inner, outer in pairwise(groups):     # groups[0] in [1] in [2] ... in [5]
        d.add_member(tid, outer, inner)
    five = d.create_user(tid, "five@groups.test", "Five", password=PasswordProfile(PASSWORD))
    six = d.create_user(tid, "six@groups.test", "Six", password=PasswordProfile(PASSWORD))
    d.add_member(tid, groups[1], five.id)
    d.add_member(tid, groups[5], five.id)
    d.add_member(tid, groups[0], six.id)
    yield World(tenantd, tid, client.app_id, groups[1:], groups)
    rt.store.dispose()


@pytest.fixture
def browser(world: World) -> Iterator[Browser]:
    b = Browser(world.server)
    yield b
    b.close()


def _id_token(world: World, browser: Browser, user: str, version: int = 2) -> dict[str, object]:
    query = authorize_query(world.client, WEB, response_type="id_token", scope="openid profile", code_challenge=None,
                            code_challenge_method=None)
    path = "oauth2/v2.0/authorize" if version == 2 else "oauth2/authorize"
    found = answer(sign_in(browser, browser.get(f"/{world.tenant_id}/{path}", **query), user))
    return verified_id_token(browser, world.tenant_id, found["id_token"], world.client, version)


def test_five_groups_are_listed(world: World, browser: Browser) -> None:
    claims = _id_token(world, browser, "five@groups.test")
    assert sorted(claims["groups"]) == sorted(world.five) and "hasgroups" not in claims  # type: ignore[arg-type]


@pytest.mark.parametrize("version", [1, 2])
def test_past_five_groups_the_token_says_hasgroups(world: World, browser: Browser, version: int) -> None:
    claims = _id_token(world, browser, "six@groups.test", version)
    assert claims["hasgroups"] is True
    assert not {"groups", "_claim_names", "_claim_sources"} & set(claims)
