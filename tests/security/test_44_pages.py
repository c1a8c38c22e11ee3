"""SECURITY.md item 44: every page carries a Content-Security-Policy without inline script or style,
``frame-ancestors 'none'`` (and X-Frame-Options DENY), ``no-store`` and ``no-referrer``; no page loads
anything from another origin; every form holds a CSRF token bound to the browser, and a POST without a
valid one, or with a page state altered or taken from another browser, is refused (400)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins

from ..http.pages_support import (
    PAGE_CSP,
    PASSWORD,
    Browser,
    add_domain,
    authorize_query,
    forms,
    new_device_code,
)
from ..support import Server

WEB = "https://app.example/callback"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[dict[str, str]]:
    rt = server.runtime()
    tid = server.tenant_id
    add_domain(rt, tid, "contoso.test")
    app = rt.directory.create_application(tid, "Web", with_service_principal=True, settings={"web.redirectUris": [WEB]})
    alice = rt.directory.create_user(tid, "alice44@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    bob = rt.directory.create_user(tid, "bob44@contoso.test", "Bob", password=PasswordProfile(PASSWORD))
    rt.store.dispose()
    yield {"web": app.app_id, "alice": alice.id, "bob": bob.id}


class _Markup(HTMLParser):
    """What a page would run or load: scripts, styles, event handlers, and every URL it refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if (tag == "script" and not a.get("src")) or tag == "style":
            self.inline.append(tag)
        self.inline += [name for name in a if name.startswith("on") or name == "style"]
        self.urls += [v or "" for name, v in attrs if name in ("src", "href", "action", "formaction", "srcset")]


def check_page(response: httpx.Response, targets: str = "") -> None:
    assert response.headers["content-security-policy"] == PAGE_CSP.format(targets), response.text
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    markup = _Markup()
    markup.feed(response.text)
    assert markup.inline == [], markup.inline
    form_post = [f.action for f in forms(response.text) if f.action.startswith("https://")]
    assert all(u.startswith("/") and not u.startswith("//") for u in markup.urls if u not in form_post), markup.urls


def test_44_every_page_has_its_headers_and_nothing_inline_or_foreign(server: Server, world: dict[str, str]) -> None:
    browser = Browser(server)
    query = authorize_query(world["web"], WEB)
    name = browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **query)
    password = browser.submit(name, loginfmt="alice44@contoso.test")
    wrong = browser.submit(password, passwd="Wrong-Password-1")
    kmsi = browser.submit(password, passwd=PASSWORD)
    for page in (name, password, wrong, kmsi):
        check_page(page, f" {WEB}")
    answer = browser.submit(kmsi)
    assert answer.status_code == 302 and answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    picker = browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **{**query, "prompt": "select_account"})
    form_post = browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **{**query, "response_mode": "form_post"})
    check_page(picker, f" {WEB}")
    check_page(form_post, f" {WEB}")
    check_page(browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", client_id="nobody"))
    check_page(browser.http.post(f"/{server.tenant_id}/login", data={"step": "name"}))
    check_page(browser.get(f"/{server.tenant_id}/oauth2/v2.0/logout"))
    rt = server.runtime()
    new_device_code(rt, "PAGES44AB", server.tenant_id)
    rt.store.dispose()
    device = Browser(server)
    code_page = device.get("/devicelogin")
    wrong_code = device.submit(code_page, otc="NOPE44NOPE")
    signing_in = device.submit(code_page, otc="PAGES44AB")
    confirm = device.submit(device.submit(signing_in, loginfmt="alice44@contoso.test"), passwd=PASSWORD)
    for page in (code_page, wrong_code, signing_in, confirm, device.submit(confirm)):
        check_page(page)
    for name_ in ("pages.css", "form_post.js"):
        asset = browser.get(f"/_tenantd/static/{name_}")
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff"
    assert browser.get("/_tenantd/static/..%2F__init__.py").status_code == 404
    browser.close()
    device.close()


def name_page(browser: Browser, server: Server, world: dict[str, str]) -> httpx.Response:
    return browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **authorize_query(world["web"], WEB))


def refused(response: httpx.Response) -> bool:
    return response.status_code == 400 and "This page has expired" in response.text


def test_44_a_post_without_this_browser_s_csrf_token_is_refused(server: Server, world: dict[str, str]) -> None:
    browser, other = Browser(server), Browser(server)
    form = forms(name_page(browser, server, world).text)[0]
    theirs = forms(name_page(other, server, world).text)[0]
    login = f"/{server.tenant_id}/login"
    fields = {**form.fields, "loginfmt": "alice44@contoso.test"}
    assert browser.http.post(login, data=fields).status_code == 200   # the page's own form goes through
    assert refused(browser.http.post(login, data={k: v for k, v in fields.items() if k != "csrf"}))
    assert refused(browser.http.post(login, data={**fields, "csrf": theirs.fields["csrf"]}))
    assert refused(browser.http.post(login, data={**fields, "csrf": "A" * 43}))
    assert refused(browser.http.post(login, data={**fields, "csrf": "\u00e4" * 43}))   # not even ASCII
    assert refused(browser.http.post(login, data={**fields, "loginfmt": "a\x00@contoso.test"}))
    with server.http() as stranger:   # another site's form: the browser sends no cookie with it
        assert refused(stranger.post(login, data=fields))
    device = browser.get("/devicelogin")
    assert refused(browser.http.post("/devicelogin", data={"step": "code", "otc": "ANYCODE12"}))
    assert device.status_code == 200
    browser.close()
    other.close()


def tampered(sealed: str, change: dict[str, object]) -> str:
    body, mac = sealed.split(".")
    state = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    state.update(change)
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + mac


def test_44_page_state_cannot_be_altered_or_moved_to_another_browser(server: Server, world: dict[str, str]) -> None:
    browser, other = Browser(server), Browser(server)
    password = browser.submit(name_page(browser, server, world), loginfmt="alice44@contoso.test")
    kmsi = browser.submit(password, passwd=PASSWORD)
    form = forms(kmsi.text)[0]
    login = f"/{server.tenant_id}/login"
    proof = json.loads(base64.urlsafe_b64decode(form.fields["flow"].split(".")[0] + "=="))["u"]
    as_bob = tampered(form.fields["flow"], {"u": {**proof, "id": world["bob"]}})
    assert refused(browser.http.post(login, data={**form.fields, "flow": as_bob, "kmsi": "Yes"}))
    elsewhere = tampered(form.fields["flow"], {"p": {**authorize_query(world["web"], WEB),
                                                     "client_id": builtins.AZURE_CLI_APP_ID,
                                                     "redirect_uri": "http://localhost:9"}})
    assert refused(browser.http.post(login, data={**form.fields, "flow": elsewhere, "kmsi": "Yes"}))
    theirs = forms(name_page(other, server, world).text)[0]   # her flow, with the other browser's own token
    assert refused(other.http.post(login, data={**form.fields, "csrf": theirs.fields["csrf"], "kmsi": "Yes"}))
    assert browser.http.post(login, data={**form.fields, "kmsi": "Yes"}).status_code == 302
    browser.close()
    other.close()
