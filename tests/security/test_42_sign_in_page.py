"""SECURITY.md item 42, the sign-in page's half: a wrong password, an unknown name and a name of a domain no
tenant holds get the same page (the same status and message; only the name typed and the page's own hidden
fields differ) after the same work, and the page's smart lockout is per account AND source, as the password
grant's: a guesser elsewhere cannot lock the person out from her own address."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest

from tenantd.directory.people import PasswordProfile

from ..http.pages_support import PASSWORD, Browser, add_domain, authorize_query, text
from ..support import Server
from .support import fresh_window
from .test_42_passwords import passwords_cost

WEB = "https://app.example/callback"
USER = "alice42p@contoso.test"


@pytest.fixture(scope="module")
def client_id(server: Server) -> Iterator[str]:
    rt = server.runtime()
    add_domain(rt, server.tenant_id, "contoso.test")
    rt.directory.create_user(server.tenant_id, USER, "Alice", password=PasswordProfile(PASSWORD))
    app = rt.directory.create_application(server.tenant_id, "Web", with_service_principal=True,
                                          settings={"web.redirectUris": [WEB]})
    rt.store.dispose()
    yield app.app_id


def attempt(server: Server, client_id: str, source: str, name: str, password: str,
            tenant: str | None = None) -> tuple[float, httpx.Response]:
    browser = Browser(server, source)
    page = browser.get(f"/{tenant or server.tenant_id}/oauth2/v2.0/authorize", **authorize_query(client_id, WEB))
    password_page = browser.submit(page, loginfmt=name)
    start = time.perf_counter()
    answer = browser.submit(password_page, passwd=password)
    spent = time.perf_counter() - start
    browser.close()
    return spent, answer


def shape(response: httpx.Response, name: str) -> str:
    """The page without what differs by design: the name typed, the hidden fields' values and the tenant of
    the request's path (common or the tenant's id)."""
    body = re.sub(r'action="/[^/"]+/login"', 'action="/TENANT/login"', text(response).replace(name, "NAME"))
    return re.sub(r'(name="(?:csrf|flow)" value=")[^"]*"', r'\1"', body)


def test_42_wrong_password_unknown_name_and_unknown_domain_look_alike(server: Server, client_id: str) -> None:
    fresh_window(20)
    cases = [(USER, "Wrong-Password-1", None), ("nobody42@contoso.test", PASSWORD, None),
             ("nobody42@nowhere.test", PASSWORD, "common")]
    spent: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    pages = {}
    for i in range(5):   # a source of its own each time: no lockout on the way
        for n, (name, password, tenant) in enumerate(cases):
            took, page = attempt(server, client_id, f"127.0.42.{10 * n + i + 1}", name, password, tenant)
            spent[name].append(took)
            pages[name] = page
    first = pages[USER]
    assert first.status_code == 400 and "Your account or password is incorrect" in text(first)
    assert all(p.status_code == first.status_code for p in pages.values())
    assert len({shape(p, name) for name, p in pages.items()}) == 1
    hashing = passwords_cost()
    for name, times in spent.items():
        assert statistics.median(times) > 0.6 * hashing, (name, times, hashing)


def test_42_the_page_s_lockout_is_per_account_and_source(server: Server, client_id: str) -> None:
    fresh_window(30)
    for _ in range(10):
        assert attempt(server, client_id, "127.0.43.1", USER, "Wrong-Password-1")[1].status_code == 400
    locked = attempt(server, client_id, "127.0.43.1", USER, PASSWORD)[1]   # the right password, from there
    assert "temporarily locked" in text(locked)
    own = attempt(server, client_id, "127.0.43.2", USER, PASSWORD)[1]      # hers, from her own address
    assert "Stay signed in?" in text(own)
