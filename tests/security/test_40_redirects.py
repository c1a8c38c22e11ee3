"""SECURITY.md item 40: redirect URIs match exactly (a public client's loopback URI aside, whose port may
change, RFC 8252); an unknown client's, an unregistered or a look-alike redirect URI is never redirected to,
whatever else the request says; and sign-out sends the browser only to a URI the application named by
``client_id`` or by a genuine ``id_token_hint`` registered (no open redirect)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins

from ..http.pages_support import PASSWORD, Browser, add_domain, answer, authorize_query, forms
from ..support import Server

WEB = "https://app.example/callback"
PUBLIC = "http://localhost/native"
ATTACKER = "https://evil.example/collect"
LOOKALIKES = [
    "https://app.example/callback/", "https://app.example/callbackx", "https://app.example/callback?x=1",
    "https://app.example/callback#x", "http://app.example/callback", "https://app.example:8443/callback",
    "https://app.example.evil.example/callback", "https://app.example@evil.example/callback",
    "https://evil.example/callback", "https://app.example/callback/../evil", ATTACKER,
]
LOOPBACK_LOOKALIKES = [
    "http://localhost:5000@evil.example/native", "http://localhost.evil.example:5000/native",
    "https://localhost:5000/native", "http://localhost:5000/other", "http://127.0.0.1:5000/native",
    "http://localhost:5000/native#x", "http://localhost:notaport/native",
]


@pytest.fixture(scope="module")
def apps(server: Server) -> Iterator[dict[str, str]]:
    rt = server.runtime()
    tid = server.tenant_id
    add_domain(rt, tid, "contoso.test")
    web = rt.directory.create_application(tid, "Web", with_service_principal=True, settings={"web.redirectUris": [WEB]})
    native = rt.directory.create_application(tid, "Native", with_service_principal=True, settings={
        "publicClient.redirectUris": [PUBLIC], "isFallbackPublicClient": True})
    rt.directory.create_user(tid, "alice40@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    rt.store.dispose()
    yield {"web": web.app_id, "native": native.app_id}


def authorize(browser: Browser, server: Server, client_id: str, redirect_uri: str, **extra: str) -> httpx.Response:
    return browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize",
                       **authorize_query(client_id, redirect_uri, **extra))


def shown_not_sent(response: httpx.Response, aadsts: int, uri: str) -> None:
    assert response.status_code == 400 and f"AADSTS{aadsts}" in response.text
    assert "location" not in response.headers
    assert all(f.action != uri for f in forms(response.text))


@pytest.mark.parametrize("uri", LOOKALIKES)
def test_40_a_look_alike_redirect_uri_is_shown_never_used(server: Server, apps: dict[str, str], uri: str) -> None:
    browser = Browser(server)
    for prompt in ("none", "login"):   # a silent request gets no redirect either
        shown_not_sent(authorize(browser, server, apps["web"], uri, prompt=prompt), 50011, uri)
    browser.close()


@pytest.mark.parametrize("uri", LOOPBACK_LOOKALIKES)
def test_40_only_the_port_of_a_public_client_s_loopback_uri_may_change(server: Server, apps: dict[str, str],
                                                                         uri: str) -> None:
    browser = Browser(server)
    shown_not_sent(authorize(browser, server, apps["native"], uri), 50011, uri)
    moved = authorize(browser, server, apps["native"], "http://localhost:5000/native", prompt="none")
    assert answer(moved)["error"] == "login_required"   # the port is free: the answer goes there
    assert moved.headers["location"].startswith("http://localhost:5000/native?")
    web_port = authorize(browser, server, apps["web"], "https://app.example:443/callback")
    shown_not_sent(web_port, 50011, "https://app.example:443/callback")   # a web URI's port is part of it
    browser.close()


def test_40_an_unknown_client_is_shown_never_redirected(server: Server, apps: dict[str, str]) -> None:
    browser = Browser(server)
    for client_id in ("6a1c4d0e-0000-4000-8000-00000000dead", "not-a-guid", builtins.GRAPH_APP_ID):
        shown_not_sent(authorize(browser, server, client_id, ATTACKER, prompt="none"), 700016, ATTACKER)
    browser.close()


def test_40_sign_out_redirects_only_to_a_registered_uri(server: Server, apps: dict[str, str]) -> None:
    browser = Browser(server)
    logout = f"/{server.tenant_id}/oauth2/v2.0/logout"
    assert browser.get(logout, post_logout_redirect_uri=WEB, client_id=apps["web"]).headers["location"] == WEB
    for params in ({"post_logout_redirect_uri": ATTACKER},
                   {"post_logout_redirect_uri": ATTACKER, "client_id": apps["web"]},
                   {"post_logout_redirect_uri": WEB + "/", "client_id": apps["web"]},
                   {"post_logout_redirect_uri": WEB, "client_id": "6a1c4d0e-0000-4000-8000-00000000dead"},
                   {"post_logout_redirect_uri": "https://app.example@evil.example/callback", "client_id": apps["web"]}):
        out = browser.get(logout, **params)
        assert out.status_code == 200 and "You signed out" in out.text and "location" not in out.headers, params
    browser.close()


def test_40_only_a_genuine_id_token_hint_names_the_app(server: Server, apps: dict[str, str]) -> None:
    ropc = server.http().post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": "alice40@contoso.test",
        "password": PASSWORD, "scope": "openid https://graph.microsoft.com/.default"})
    id_token = ropc.json()["id_token"]
    claims = pyjwt.decode(id_token, options={"verify_signature": False})
    header = pyjwt.get_unverified_header(id_token)
    target = "http://localhost:7000"   # the Azure CLI's loopback URI, any port
    browser = Browser(server)
    logout = f"/{server.tenant_id}/oauth2/v2.0/logout"
    assert browser.get(logout, post_logout_redirect_uri=target, id_token_hint=id_token).headers["location"] == target
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = pyjwt.encode({**claims, "aud": apps["web"]}, forged_key, algorithm="RS256", headers={"kid": header["kid"]})
    unsigned = pyjwt.encode({**claims, "aud": apps["web"]}, None, algorithm="none")
    for hint in (forged, unsigned, "garbage"):
        out = browser.get(logout, post_logout_redirect_uri=WEB, id_token_hint=hint)
        assert out.status_code == 200 and "location" not in out.headers
    browser.close()
