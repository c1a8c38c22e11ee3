"""SECURITY.md item 43: the session cookie is ``__Host-``, Secure, HttpOnly, SameSite=Lax, 256 random bits
and a server-side record (the database holds its hash only); each sign-in starts a new cookie (an old or
planted one signs no one in), and sign-out, revocation and disabling end the session on every replica."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain.sign_in_state import secret_hash
from tenantd.http.pages.flow import BINDING_COOKIE
from tenantd.tokens.sessions import SESSION_COOKIE

from ..http.pages_support import PASSWORD, Browser, add_domain, answer, authorize_query, sign_in
from ..support import Server, servers_on_one_database

WEB = "https://app.example/callback"
USER = "alice43@contoso.test"


def prepare(server: Server) -> str:
    rt = server.runtime()
    try:
        add_domain(rt, server.tenant_id, "contoso.test")
        app = rt.directory.create_application(server.tenant_id, "Web", with_service_principal=True,
                                              settings={"web.redirectUris": [WEB]})
        if all(u.user_principal_name != USER for u in rt.directory.users(server.tenant_id)):
            rt.directory.create_user(server.tenant_id, USER, "Alice", password=PasswordProfile(PASSWORD))
        return app.app_id
    finally:
        rt.store.dispose()


def authorize(browser: Browser, server: Server, client_id: str, **extra: str) -> httpx.Response:
    return browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **authorize_query(client_id, WEB, **extra))


def cookie_header(response: httpx.Response, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(name + "="))


def test_43_the_cookies_are_host_only_secure_httponly_and_lax(server: Server) -> None:
    client_id = prepare(server)
    browser = Browser(server)
    page = authorize(browser, server, client_id)
    reply = sign_in(browser, page, USER)
    for response, name in ((page, BINDING_COOKIE), (reply, SESSION_COOKIE)):
        header = cookie_header(response, name)
        attributes = {a.strip().split("=")[0].lower() for a in header.split(";")[1:]}
        assert name.startswith("__Host-") and {"secure", "httponly", "path", "samesite"} <= attributes
        assert "samesite=lax" in header.lower() and "path=/" in header.lower() and "domain" not in attributes
    value = browser.http.cookies[SESSION_COOKIE]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)   # 32 random bytes
    database = b"".join(p.read_bytes() for p in Path(server.data).glob("*.db*"))
    assert value.encode() not in database and secret_hash(value).encode() in database
    browser.close()


def test_43_each_sign_in_starts_a_new_cookie_and_the_old_one_ends(server: Server) -> None:
    client_id = prepare(server)
    browser = Browser(server)
    sign_in(browser, authorize(browser, server, client_id), USER)
    first = browser.http.cookies[SESSION_COOKIE]
    sign_in(browser, authorize(browser, server, client_id, prompt="login"), USER)
    second = browser.http.cookies[SESSION_COOKIE]
    assert second != first
    planted = Browser(server)   # an attacker's browser holding the cookie of before
    planted.http.cookies.set(SESSION_COOKIE, first)
    assert answer(authorize(planted, server, client_id, prompt="none"))["error"] == "login_required"
    assert "code" in answer(authorize(browser, server, client_id, prompt="none"))
    browser.close()
    planted.close()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    with servers_on_one_database(tmp_path_factory) as servers:
        yield servers


def test_43_sign_out_and_revocation_end_the_session_on_every_replica(replicas: list[Server]) -> None:
    a, b = replicas
    client_id = prepare(a)
    browser = Browser(a)
    sign_in(browser, authorize(browser, a, client_id), USER)
    at_b = Browser(b)
    at_b.http.cookies.set(SESSION_COOKIE, browser.http.cookies[SESSION_COOKIE])
    assert "code" in answer(authorize(at_b, b, client_id, prompt="none"))   # one session, any replica
    assert at_b.get(f"/{b.tenant_id}/oauth2/v2.0/logout").status_code == 200
    assert answer(authorize(browser, a, client_id, prompt="none"))["error"] == "login_required"
    sign_in(browser, authorize(browser, a, client_id), USER)
    rt = b.runtime()
    try:
        user = next(u for u in rt.directory.users(b.tenant_id) if u.user_principal_name == USER)
        with rt.store.write() as tx:
            tx.end_sign_ins(user.id)   # revokeSignInSessions, a password change, disabling: through B
    finally:
        rt.store.dispose()
    assert answer(authorize(browser, a, client_id, prompt="none"))["error"] == "login_required"
    browser.close()
    at_b.close()
