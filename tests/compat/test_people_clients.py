"""The real msal and azure-identity, unmodified, sign people in through tenantd's pages in Chromium: device
code (approved on the device login page), interactive sign-in (Python's webbrowser runs the $BROWSER hook,
tests/browser/complete_sign_in.py, which completes the page while the client waits on its loopback port),
a web app's authorization code (the test's browser catches the redirect), and refresh (acquire_token_silent).
Every token is verified against the discovery document; claims come from the directory (tests/compat/people.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import msal
import pytest
from azure.identity import (
    AuthorizationCodeCredential,
    DefaultAzureCredential,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
)
from playwright.sync_api import BrowserContext

from tenantd.domain import builtins

from ..browser.entra_page import RedirectListener, approve_device_code, sign_in, webbrowser_signs_in
from ..support import Server
from .people import SCOPE, People, arrange, assert_id_token, assert_user_token, verified


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests prefers REQUESTS_CA_BUNDLE over a client's own verify option, so point it at the bundle."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


@pytest.fixture(scope="module")
def people(server: Server, redirect_listener: RedirectListener) -> Iterator[People]:
    yield arrange(server, redirect_listener.redirect_uri)


def authority(server: Server) -> str:
    return f"{server.url}/{server.tenant_id}"


def public_app(server: Server, people: People) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(people.desktop_app_id, authority=authority(server), instance_discovery=False)


def test_msal_device_flow_approved_in_the_browser_then_refreshed(server: Server, people: People,
                                                                 browser_context: BrowserContext) -> None:
    app = public_app(server, people)
    flow = app.initiate_device_flow(scopes=[SCOPE])
    assert "user_code" in flow, flow
    assert flow["verification_uri"].startswith(server.url)
    approve_device_code(browser_context.new_page(), flow["verification_uri"], flow["user_code"],
                        people.alice.user_name, people.alice.password, app_name="Things desktop")
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert_user_token(verified(server, result["access_token"], people.api_app_id), people, people.alice,
                      people.desktop_app_id)
    assert_id_token(verified(server, result["id_token"], people.desktop_app_id), people, people.alice,
                    people.desktop_app_id, nonce=None)

    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{people.alice.id}.{people.tenant_id}"
    refreshed = app.acquire_token_silent([SCOPE], account=account, force_refresh=True)
    assert refreshed and refreshed["token_source"] == "identity_provider", refreshed
    assert refreshed["access_token"] != result["access_token"]
    assert_user_token(verified(server, refreshed["access_token"], people.api_app_id), people, people.alice,
                      people.desktop_app_id)


def test_msal_interactive_sign_in_through_the_browser_hook(server: Server, people: People) -> None:
    app = public_app(server, people)
    with webbrowser_signs_in(people.bob.user_name, people.bob.password):
        result = app.acquire_token_interactive([SCOPE], timeout=60)
    assert "access_token" in result, result
    assert_user_token(verified(server, result["access_token"], people.api_app_id), people, people.bob,
                      people.desktop_app_id)
    id_claims = verified(server, result["id_token"], people.desktop_app_id)
    assert_id_token(id_claims, people, people.bob, people.desktop_app_id, nonce=id_claims.get("nonce"))
    assert id_claims["nonce"]   # msal sent one and checked it came back

    (account,) = app.get_accounts(username=people.bob.user_name)
    silent = app.acquire_token_silent([SCOPE], account=account)
    assert silent and silent["token_source"] == "cache"
    refreshed = app.acquire_token_silent([SCOPE], account=account, force_refresh=True)
    assert refreshed and refreshed["token_source"] == "identity_provider", refreshed


def web_app_sign_in(people: People, context: BrowserContext, listener: RedirectListener,
                    auth_uri: str) -> dict[str, str]:
    """Alice signs in to the web app in the browser; returns what its redirect URI received."""
    page = context.new_page()
    sign_in(page, auth_uri, people.alice.user_name, people.alice.password, until=listener.matches)
    return listener.last(page)


def test_msal_confidential_client_auth_code_flow(server: Server, people: People, browser_context: BrowserContext,
                                                 redirect_listener: RedirectListener) -> None:
    app = msal.ConfidentialClientApplication(people.web_app_id, client_credential=people.web_secret,
                                             authority=authority(server), instance_discovery=False)
    flow = app.initiate_auth_code_flow([SCOPE], redirect_uri=people.web_redirect, response_mode="form_post")
    received = web_app_sign_in(people, browser_context, redirect_listener, flow["auth_uri"])
    assert redirect_listener.caught[-1].method == "POST"
    assert received["state"] == flow["state"] and "code" in received
    result = app.acquire_token_by_auth_code_flow(flow, received)
    assert "access_token" in result, result
    assert_user_token(verified(server, result["access_token"], people.api_app_id), people, people.alice,
                      people.web_app_id)
    sent_nonce = hashlib.sha256(flow["nonce"].encode()).hexdigest()   # msal sends the nonce's SHA-256
    assert_id_token(verified(server, result["id_token"], people.web_app_id), people, people.alice,
                    people.web_app_id, nonce=sent_nonce)


def test_azure_identity_authorization_code_credential(server: Server, people: People, browser_context: BrowserContext,
                                                      redirect_listener: RedirectListener) -> None:
    """The web app builds its own authorize URL (no PKCE: the credential sends no verifier) and hands the
    code to the credential."""
    query = {"client_id": people.web_app_id, "response_type": "code", "redirect_uri": people.web_redirect,
             "scope": f"openid profile offline_access {SCOPE}", "state": "s1"}
    auth_uri = f"{authority(server)}/oauth2/v2.0/authorize?{urlencode(query)}"
    received = web_app_sign_in(people, browser_context, redirect_listener, auth_uri)
    assert received["state"] == "s1"
    credential = AuthorizationCodeCredential(people.tenant_id, people.web_app_id, received["code"],
                                             people.web_redirect, client_secret=people.web_secret,
                                             authority=server.url, disable_instance_discovery=True)
    token = credential.get_token(SCOPE)
    assert_user_token(verified(server, token.token, people.api_app_id), people, people.alice, people.web_app_id)
    again = credential.get_token(SCOPE)   # from its cache, or redeemed with the refresh token: never the code twice
    assert verified(server, again.token, people.api_app_id)["oid"] == people.alice.id


def test_azure_identity_device_code_credential_with_the_azure_cli_client(server: Server, people: People,
                                                                         browser_context: BrowserContext) -> None:
    """DeviceCodeCredential's default client is the Azure CLI, which the Things API pre-authorizes."""
    page = browser_context.new_page()

    def approve(verification_uri: str, user_code: str, expires_on: Any) -> None:
        approve_device_code(page, verification_uri, user_code, people.alice.user_name, people.alice.password,
                            app_name="Azure CLI")

    credential = DeviceCodeCredential(tenant_id=people.tenant_id, authority=server.url,
                                      disable_instance_discovery=True, prompt_callback=approve, timeout=60)
    token = credential.get_token(SCOPE)
    assert_user_token(verified(server, token.token, people.api_app_id), people, people.alice,
                      builtins.AZURE_CLI_APP_ID)


def test_azure_identity_interactive_browser_credential(server: Server, people: People) -> None:
    credential = InteractiveBrowserCredential(tenant_id=people.tenant_id, client_id=people.desktop_app_id,
                                              authority=server.url, disable_instance_discovery=True, timeout=60)
    with webbrowser_signs_in(people.alice.user_name, people.alice.password):
        token = credential.get_token(SCOPE)
    assert_user_token(verified(server, token.token, people.api_app_id), people, people.alice,
                      people.desktop_app_id)


def test_default_azure_credential_reaches_the_browser_when_told_to(server: Server, people: People,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """AZURE_TOKEN_CREDENTIALS names the one credential of the chain to use: here the interactive browser
    (DefaultAzureCredential leaves it out unless asked), with its default client, the Azure CLI. The chain
    hands its `authority` argument to some credentials only; AZURE_AUTHORITY_HOST reaches them all."""
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "InteractiveBrowserCredential")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", server.url)
    credential = DefaultAzureCredential(disable_instance_discovery=True,
                                        interactive_browser_tenant_id=people.tenant_id)
    with webbrowser_signs_in(people.bob.user_name, people.bob.password, stay_signed_in=False):
        token = credential.get_token(SCOPE)
    assert_user_token(verified(server, token.token, people.api_app_id), people, people.bob,
                      builtins.AZURE_CLI_APP_ID)
