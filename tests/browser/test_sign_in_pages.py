"""A person signs in to a web app through tenantd's pages in a real browser (Debian's Chromium): the code and
its tokens, single sign-on on the next visit, `prompt=none` without a session, "Stay signed in?", the account
picker with two accounts, and sign-out. The web app's redirect URI is a listener in the test process."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from ..compat.people import SCOPE, People, Person, arrange, assert_id_token, assert_user_token, verified
from ..support import Server
from .entra_page import (
    RedirectListener,
    answer_stay_signed_in,
    enter_credentials,
    pick_account,
    sign_in,
    use_another_account,
)

QUICK = 10_000   # ms: a step that needs no person must not wait for one
SCOPES = f"openid profile offline_access {SCOPE}"


@pytest.fixture(scope="module")
def people(server: Server, redirect_listener: RedirectListener) -> Iterator[People]:
    yield arrange(server, redirect_listener.redirect_uri)


class WebApp:
    """The web app's side of the authorization code flow: the authorize URL it sends the browser to, what
    its redirect URI received, and the code redeemed with its secret."""

    def __init__(self, server: Server, people: People, listener: RedirectListener) -> None:
        self.server, self.people, self.listener = server, people, listener
        self.state, self.nonce = "", ""

    def authorize_url(self, **extra: str) -> str:
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = {"client_id": self.people.web_app_id, "response_type": "code", "scope": SCOPES,
                 "redirect_uri": self.people.web_redirect, "state": self.state, "nonce": self.nonce, **extra}
        return f"{self.server.url}/{self.people.tenant_id}/oauth2/v2.0/authorize?{urlencode(query)}"

    def is_redirect(self, url: str) -> bool:
        return self.listener.matches(url)

    def received(self, page: Page) -> dict[str, str]:
        return self.listener.last(page)

    def redeem(self, received: dict[str, str]) -> dict[str, Any]:
        assert received.get("state") == self.state, received
        assert "code" in received, received
        with self.server.http() as client:
            response = client.post(f"/{self.people.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "authorization_code", "client_id": self.people.web_app_id,
                "client_secret": self.people.web_secret, "code": received["code"],
                "redirect_uri": self.people.web_redirect, "scope": SCOPES})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def signed_in_as(self, received: dict[str, str], person: Person) -> dict[str, Any]:
        """Redeems the code, checks that both tokens name ``person`` and returns them."""
        tokens = self.redeem(received)
        assert_user_token(verified(self.server, tokens["access_token"], self.people.api_app_id), self.people,
                          person, self.people.web_app_id)
        assert_id_token(verified(self.server, tokens["id_token"], self.people.web_app_id), self.people, person,
                        self.people.web_app_id, nonce=self.nonce)
        return tokens

    def visit_silently(self, page: Page, url: str) -> dict[str, str]:
        """Open ``url`` and expect the redirect back with no page in between that asks anything."""
        page.goto(url)
        page.wait_for_url(self.is_redirect, timeout=QUICK)
        return self.received(page)


@pytest.fixture
def web(server: Server, people: People, redirect_listener: RedirectListener) -> WebApp:
    return WebApp(server, people, redirect_listener)


def test_sign_in_then_single_sign_on(browser_context: BrowserContext, web: WebApp, people: People) -> None:
    page = browser_context.new_page()
    sign_in(page, web.authorize_url(), people.alice.user_name, people.alice.password, until=web.is_redirect)
    received = web.received(page)
    assert received["session_state"]
    web.signed_in_as(received, people.alice)

    web.signed_in_as(web.visit_silently(page, web.authorize_url()), people.alice)
    web.signed_in_as(web.visit_silently(page, web.authorize_url(prompt="none")), people.alice)


def test_prompt_none_without_a_session_is_login_required(browser_context: BrowserContext, web: WebApp) -> None:
    received = web.visit_silently(browser_context.new_page(), web.authorize_url(prompt="none"))
    assert received["error"] == "login_required", received
    assert received["error_description"].startswith("AADSTS50058"), received
    assert received["state"] == web.state and "code" not in received


@pytest.mark.parametrize("stay", [True, False], ids=["yes", "no"])
def test_stay_signed_in_decides_whether_the_session_outlives_the_browser(
        browser_context: BrowserContext, web: WebApp, people: People, server: Server, stay: bool) -> None:
    page = browser_context.new_page()
    sign_in(page, web.authorize_url(), people.bob.user_name, people.bob.password, until=web.is_redirect,
            stay_signed_in=stay)
    web.signed_in_as(web.received(page), people.bob)
    cookies = [c for c in browser_context.cookies(server.url) if c["name"].startswith("__Host-")]
    assert cookies, browser_context.cookies(server.url)
    for cookie in cookies:
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    persistent = [c for c in cookies if c["expires"] > time.time()]
    assert bool(persistent) == stay, cookies


def test_the_account_picker_with_two_accounts(browser_context: BrowserContext, web: WebApp, people: People) -> None:
    page = browser_context.new_page()
    sign_in(page, web.authorize_url(), people.alice.user_name, people.alice.password, until=web.is_redirect)
    web.signed_in_as(web.received(page), people.alice)

    page.goto(web.authorize_url(prompt="select_account"))
    use_another_account(page)
    enter_credentials(page, people.bob.user_name, people.bob.password)
    answer_stay_signed_in(page, True)
    page.wait_for_url(web.is_redirect)
    web.signed_in_as(web.received(page), people.bob)

    page.goto(web.authorize_url(prompt="select_account"))
    expect(page.locator(f'[data-test-id="{people.bob.user_name}"]')).to_be_visible()
    pick_account(page, people.alice.user_name)
    page.wait_for_url(web.is_redirect, timeout=QUICK)   # Alice's session holds: no password asked
    web.signed_in_as(web.received(page), people.alice)


def test_sign_out_ends_the_session(browser_context: BrowserContext, web: WebApp, people: People,
                                   server: Server) -> None:
    page = browser_context.new_page()
    sign_in(page, web.authorize_url(), people.alice.user_name, people.alice.password, until=web.is_redirect)
    tokens = web.signed_in_as(web.received(page), people.alice)

    # OpenID Connect RP-initiated logout: the ID token names the app whose registered URI may be returned to.
    logout = f"{server.url}/{people.tenant_id}/oauth2/v2.0/logout?" + urlencode({
        "post_logout_redirect_uri": people.web_redirect, "id_token_hint": tokens["id_token"], "state": "bye"})
    assert web.visit_silently(page, logout) == {"state": "bye"}
    received = web.visit_silently(page, web.authorize_url(prompt="none"))
    assert received["error"] == "login_required", received
    page.goto(web.authorize_url())
    page.locator("input[name=loginfmt]").wait_for(timeout=QUICK)
