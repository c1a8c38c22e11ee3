"""ID tokens from the authorize endpoint (``response_type=id_token`` and ``code id_token``) through a real
server, on SQLite and PostgreSQL: only for an application whose ``web.implicitGrantSettings`` enable them,
with the request's ``nonce``, a ``c_hash`` beside a code, the fragment by default and form_post on request,
v1's shape on the v1 endpoint, each signature checked against the tenant's published keys; and Entra's
refusals (no nonce, the query response mode, access tokens)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.runtime import Runtime

from ..support import Server
from .pages_support import (
    PASSWORD,
    Browser,
    add_domain,
    answer,
    authorize_query,
    forms,
    left_half_sha256,
    sign_in,
    stored_code,
    verified_id_token,
)

WEB = "https://implicit.example/signin-oidc"
ID_TOKENS = {"web.redirectUris": [WEB], "web.implicitGrantSettings": {"enableIdTokenIssuance": True}}


@dataclass
class World:
    server: Server
    runtime: Runtime
    tenant_id: str
    implicit: str     # appIds: ID token issuance on
    plain: str        # off (every application's default)
    access: str       # access token issuance on, ID tokens off
    alice: str

    def authorize(self, browser: Browser, client_id: str, response_type: str = "id_token", version: int = 2,
                  **extra: str | None) -> tuple[dict[str, str], httpx.Response]:
        query = authorize_query(client_id, WEB, **{"response_type": response_type, "scope": "openid profile",
                                                   "code_challenge": None, "code_challenge_method": None, **extra})
        path = "oauth2/v2.0/authorize" if version == 2 else "oauth2/authorize"
        return query, browser.get(f"/{self.tenant_id}/{path}", **query)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    rt = tenantd.runtime()
    tid, d = tenantd.tenant_id, rt.directory
    add_domain(rt, tid, "contoso.test")
    implicit = d.create_application(tid, "Implicit Web", with_service_principal=True, settings=ID_TOKENS)
    plain = d.create_application(tid, "Plain Web", with_service_principal=True, settings={"web.redirectUris": [WEB]})
    access = d.create_application(tid, "Access Web", with_service_principal=True, settings={
        "web.redirectUris": [WEB], "web.implicitGrantSettings": {"enableAccessTokenIssuance": True}})
    alice = d.create_user(tid, "alice@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    yield World(tenantd, rt, tid, implicit.app_id, plain.app_id, access.app_id, alice.id)
    rt.store.dispose()


@pytest.fixture
def browser(world: World) -> Iterator[Browser]:
    b = Browser(world.server)
    yield b
    b.close()


def test_an_id_token_goes_back_in_the_fragment_with_the_nonce(world: World, browser: Browser) -> None:
    query, page = world.authorize(browser, world.implicit)
    reply = sign_in(browser, page, "alice@contoso.test")
    assert urlsplit(reply.headers["location"]).query == ""   # nothing in the query string
    found = answer(reply)
    assert set(found) == {"id_token", "state", "session_state"} and found["state"] == query["state"]
    claims = verified_id_token(browser, world.tenant_id, found["id_token"], world.implicit)
    assert claims["nonce"] == query["nonce"] and claims["oid"] == world.alice and claims["tid"] == world.tenant_id
    assert claims["ver"] == "2.0" and claims["preferred_username"] == "alice@contoso.test"
    assert "c_hash" not in claims and "idtyp" not in claims and "scp" not in claims


def test_code_id_token_carries_the_code_s_hash(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.implicit)
    sign_in(browser, page, "alice@contoso.test")
    query, silent = world.authorize(browser, world.implicit, "code id_token")   # the session signs her in
    found = answer(silent)
    assert list(found) == ["code", "id_token", "state", "session_state"]
    assert silent.headers["location"].startswith(f"{WEB}#code=")
    claims = verified_id_token(browser, world.tenant_id, found["id_token"], world.implicit)
    assert claims["c_hash"] == left_half_sha256(found["code"]) and claims["nonce"] == query["nonce"]
    code = stored_code(world.runtime, found["code"])
    assert (code.client_app_id, code.nonce, code.redirect_uri) == (world.implicit, query["nonce"], WEB)
    reordered = answer(world.authorize(browser, world.implicit, "id_token code")[1])
    assert {"code", "id_token"} <= set(reordered)


def test_form_post_posts_the_id_token(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.implicit)
    sign_in(browser, page, "alice@contoso.test")
    query, posted = world.authorize(browser, world.implicit, response_mode="form_post")
    form = forms(posted.text)[0]
    assert posted.status_code == 200 and (form.action, form.method) == (WEB, "post")
    assert form.fields["state"] == query["state"]
    claims = verified_id_token(browser, world.tenant_id, form.fields["id_token"], world.implicit)
    assert claims["nonce"] == query["nonce"]


def test_the_v1_endpoint_answers_with_a_v1_id_token(world: World, browser: Browser) -> None:
    query, page = world.authorize(browser, world.implicit, version=1, scope=None)
    found = answer(sign_in(browser, page, "alice@contoso.test"))
    claims = verified_id_token(browser, world.tenant_id, found["id_token"], world.implicit, version=1)
    assert claims["ver"] == "1.0" and claims["upn"] == claims["unique_name"] == "alice@contoso.test"
    assert claims["nonce"] == query["nonce"] and claims["ipaddr"] == "127.0.0.1" and claims["amr"] == ["pwd"]


def test_without_openid_the_v2_endpoint_sends_no_id_token(world: World, browser: Browser) -> None:
    """Entra's documented condition: an ID token only when the scope holds ``openid``."""
    _, page = world.authorize(browser, world.implicit, scope="profile")
    assert set(answer(sign_in(browser, page, "alice@contoso.test"))) == {"state", "session_state"}


@pytest.mark.parametrize(("client", "response_type", "extra", "error", "code"), [
    ("plain", "id_token", {}, "unsupported_response_type", 700054),
    ("plain", "code id_token", {}, "unsupported_response_type", 700054),
    ("implicit", "id_token", {"nonce": None}, "invalid_request", 90014),
    ("implicit", "code id_token", {"nonce": ""}, "invalid_request", 90014),
    ("implicit", "id_token", {"response_mode": "query"}, "invalid_request", 70007),
    ("implicit", "code id_token", {"response_mode": "query"}, "invalid_request", 70007),
    ("implicit", "token", {}, "unsupported_response_type", 700051),
    ("implicit", "id_token token", {}, "unsupported_response_type", 700051),
    ("access", "token", {}, "unsupported_response_type", 70005),   # enabled, and still not issued
    ("implicit", "id_token banana", {}, "unsupported_response_type", 70005),
])
def test_refusals_go_back_in_the_fragment_with_state(world: World, browser: Browser, client: str,
                                                     response_type: str, extra: dict[str, str | None], error: str,
                                                     code: int) -> None:
    query, page = world.authorize(browser, getattr(world, client), response_type, state=f"st-{uuid.uuid4().hex}",
                                  **extra)
    assert page.headers["location"].startswith(f"{WEB}#error=")
    refused = answer(page)
    assert refused["error"] == error and refused["error_description"].startswith(f"AADSTS{code}:")
    assert refused["state"] == query["state"] and "id_token" not in refused
