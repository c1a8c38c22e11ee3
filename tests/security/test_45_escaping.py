"""SECURITY.md item 45: every user-controlled string a page shows (an application's name, a person's display
name and account name, ``login_hint``, a client id or redirect URI quoted in an error, ``state`` in a
form_post answer) is escaped: a ``<script>`` element and attribute-breaking quotes arrive as text on every
page, never as markup."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tenantd.directory.people import PasswordProfile

from ..http.pages_support import PASSWORD, Browser, add_domain, authorize_query, new_device_code, sign_in
from ..support import Server

WEB = "https://app.example/callback"
SCRIPT = "<script>alert(45)</script>"
BREAKERS = ("\"onmouseover=\"alert(45)", "'onmouseover='alert(45)")
HOSTILE = f"{SCRIPT} {BREAKERS[0]} {BREAKERS[1]}"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[dict[str, str]]:
    rt = server.runtime()
    tid = server.tenant_id
    other = rt.directory.create_tenant("Elsewhere 45")
    add_domain(rt, tid, "contoso.test")
    add_domain(rt, other.id, "elsewhere45.test")
    app = rt.directory.create_application(tid, f"Things {HOSTILE}", with_service_principal=True,
                                          settings={"web.redirectUris": [WEB]})
    rt.directory.create_user(tid, "mallory45@contoso.test", f"Mallory {HOSTILE}", password=PasswordProfile(PASSWORD))
    rt.directory.create_user(tid, "alice45@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    rt.directory.create_user(other.id, "olga@elsewhere45.test", "Olga", password=PasswordProfile(PASSWORD))
    new_device_code(rt, "HOSTILE45", None, client_id=app.app_id)
    new_device_code(rt, "ELSEWHERE45", None, client_id=app.app_id)
    rt.store.dispose()
    yield {"app": app.app_id}


def escaped(page: httpx.Response) -> httpx.Response:
    """``page`` shows the hostile text (escaped) and holds none of it as markup."""
    body = page.text
    assert "&lt;script&gt;alert(45)&lt;/script&gt;" in body, body
    assert "<script>alert(45)" not in body
    assert all(breaker not in body for breaker in BREAKERS), body
    return page


def authorize(browser: Browser, server: Server, client_id: str, redirect_uri: str = WEB,
              tenant: str | None = None, **extra: str) -> httpx.Response:
    return browser.get(f"/{tenant or server.tenant_id}/oauth2/v2.0/authorize",
                       **authorize_query(client_id, redirect_uri, **extra))


def test_45_names_and_hints_are_escaped_on_the_sign_in_pages(server: Server, world: dict[str, str]) -> None:
    browser = Browser(server)
    hint = f"{HOSTILE}@contoso.test"
    name = escaped(authorize(browser, server, world["app"], login_hint=hint))   # the app's name and the hint
    escaped(browser.submit(name, loginfmt=hint))                               # the name as typed
    escaped(browser.submit(browser.submit(name, loginfmt=hint), passwd=PASSWORD))   # its wrong-password page
    sign_in(browser, name, "mallory45@contoso.test")
    sign_in(browser, authorize(browser, server, world["app"], prompt="login"), "alice45@contoso.test")
    escaped(authorize(browser, server, world["app"]))                          # the picker: display names
    escaped(authorize(browser, server, world["app"], response_mode="form_post", state=HOSTILE,
                      login_hint="alice45@contoso.test"))                      # state in the form_post answer
    browser.close()


def test_45_values_quoted_in_errors_are_escaped(server: Server, world: dict[str, str]) -> None:
    browser = Browser(server)
    escaped(authorize(browser, server, HOSTILE))                               # AADSTS700016 quotes the client id
    escaped(authorize(browser, server, world["app"], f"https://app.example/{HOSTILE}"))   # 50011, the URI
    signing_in = browser.submit(browser.get("/devicelogin"), otc="ELSEWHERE45")   # a code for the whole directory
    refused = browser.submit(browser.submit(signing_in, loginfmt="olga@elsewhere45.test"), passwd=PASSWORD)
    assert "AADSTS50020" in refused.text
    escaped(refused)                                                           # 50020 names the application
    browser.close()


def test_45_the_device_pages_escape_the_application_s_name(server: Server, world: dict[str, str]) -> None:
    browser = Browser(server)
    signing_in = browser.submit(browser.get("/devicelogin"), otc="HOSTILE45")
    confirm = escaped(browser.submit(browser.submit(signing_in, loginfmt="alice45@contoso.test"), passwd=PASSWORD))
    escaped(browser.submit(confirm))
    browser.close()
