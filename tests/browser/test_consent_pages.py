"""Consent in a real browser (Debian's Chromium), driven with the selectors automation written for Entra's
consent page uses (``#idSIButton9`` Accept, ``#idBtn_Back`` Cancel, the headings, the "Consent on behalf of
your organization" label): the real msal, as a public client, asking a scope nobody consented to; a web app's
Accept, its silent next visit, and Cancel; "Need admin approval" for an Admin scope; and the admin consent
endpoint, end to end. One server for the module."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import msal
import pytest
from playwright.sync_api import BrowserContext, Page

from tenantd.domain import builtins

from ..http.consent_support import ConsentWorld, Person, arrange
from ..http.graph_support import ok
from ..http.pages_support import CHALLENGE, VERIFIER, add_domain
from ..http.people_support import claims, issued, token
from ..support import Server
from .entra_page import (
    NEED_ADMIN_APPROVAL,
    PRIMARY,
    SECONDARY,
    RedirectListener,
    answer_consent,
    answer_stay_signed_in,
    enter_credentials,
    webbrowser_signs_in,
)

QUICK = 10_000   # ms: a step that needs no person must not wait for one


@pytest.fixture(scope="module")
def world(server: Server, redirect_listener: RedirectListener) -> Iterator[ConsentWorld]:
    runtime = server.runtime()
    add_domain(runtime, server.tenant_id, "contoso.test")   # people's names lead /organizations to the tenant
    runtime.store.dispose()
    yield arrange(server, redirect_listener.redirect_uri)


@pytest.fixture(autouse=True)
def trust_tenantd(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])
    monkeypatch.setenv("SSL_CERT_FILE", server.info["ca_bundle"])


def web_authorize_url(world: ConsentWorld, scope: str) -> tuple[str, str]:
    state = secrets.token_urlsafe(12)
    query = {"client_id": world.web["appId"], "response_type": "code", "redirect_uri": world.web_redirect,
             "scope": scope, "state": state, "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    return f"{world.server.url}/{world.server.tenant_id}/oauth2/v2.0/authorize?{urlencode(query)}", state


def signs_in(page: Page, url: str, person: Person) -> None:
    page.goto(url)
    enter_credentials(page, person.user_name, person.password)
    answer_stay_signed_in(page, True)


def web_scp(world: ConsentWorld, received: dict[str, str], scope: str) -> str:
    body = issued(token(world.server, grant_type="authorization_code", client_id=world.web["appId"],
                        client_secret=world.web_secret, code=received["code"], redirect_uri=world.web_redirect,
                        code_verifier=VERIFIER, scope=scope))
    return str(claims(body["access_token"]).get("scp", ""))


def test_msal_public_client_consent_then_a_sign_in_without_the_page(server: Server, world: ConsentWorld) -> None:
    app = msal.PublicClientApplication(world.desktop["appId"], authority=f"{server.url}/{server.tenant_id}",
                                       instance_discovery=False)
    scopes = [world.scope("Notes.Read")]
    with webbrowser_signs_in(world.alice.user_name, world.alice.password, consent=True):
        result: dict[str, Any] = app.acquire_token_interactive(scopes, timeout=60)
    assert "access_token" in result, result
    assert claims(result["access_token"])["scp"] == "Notes.Read"
    desktop_sp = world.sp_of(world.desktop)
    listed = ok(server.graph("GET", "/oauth2PermissionGrants", params={
        "$filter": f"clientId eq '{desktop_sp['id']}'"}))["value"]
    assert [(g["consentType"], g["principalId"], g["resourceId"], g["scope"]) for g in listed] == [
        ("Principal", world.alice.id, world.api_sp["id"], "Notes.Read")]

    with webbrowser_signs_in(world.alice.user_name, world.alice.password):   # a consent page would fail it
        again: dict[str, Any] = app.acquire_token_interactive(scopes, timeout=60)
    assert "access_token" in again, again
    assert claims(again["access_token"])["scp"] == "Notes.Read"


def test_a_web_app_s_consent_page_accept_its_next_visit_and_cancel(world: ConsentWorld, browser_context: BrowserContext,
                                                                   redirect_listener: RedirectListener) -> None:
    page = browser_context.new_page()
    scope = f"openid {world.scope('Notes.Write')}"
    url, state = web_authorize_url(world, scope)
    signs_in(page, url, world.alice)
    page.get_by_role("heading", name="Permissions requested").wait_for()
    assert page.locator("#appName").inner_text() == world.web["displayName"]
    assert page.locator("#publisherName").inner_text() == "unverified"
    assert page.locator("#permissionList summary").all_inner_texts() == ["Sign you in", "You: Notes.Write"]
    assert page.locator(PRIMARY).get_attribute("value") == "Accept"
    assert page.locator(SECONDARY).get_attribute("value") == "Cancel"
    assert page.get_by_label("Consent on behalf of your organization").count() == 0
    page.click(PRIMARY)
    page.wait_for_url(redirect_listener.matches)
    received = redirect_listener.last(page)
    assert received["state"] == state and web_scp(world, received, scope) == "Notes.Write"

    url, state = web_authorize_url(world, scope)   # her session, her consent: straight back, no page
    page.goto(url)
    page.wait_for_url(redirect_listener.matches, timeout=QUICK)
    assert redirect_listener.last(page)["state"] == state and "code" in redirect_listener.last(page)

    url, state = web_authorize_url(world, world.scope("Notes.Read"))   # a scope not yet held: asked again
    page.goto(url)
    answer_consent(page, False)
    page.wait_for_url(redirect_listener.matches)
    refused = redirect_listener.last(page)
    assert refused["error"] == "access_denied" and refused["error_description"].startswith("AADSTS65004:")
    assert refused["state"] == state and "code" not in refused
    assert [g["scope"] for g in world.grants(world.web)] == ["Notes.Write"]


def test_an_admin_scope_asked_of_a_member_needs_admin_approval(world: ConsentWorld,
                                                               browser_context: BrowserContext) -> None:
    page = browser_context.new_page()
    url, _ = web_authorize_url(world, world.scope("Notes.Admin"))
    signs_in(page, url, world.alice)
    page.get_by_role("heading", name=NEED_ADMIN_APPROVAL).wait_for()
    assert "only an admin can grant" in page.locator("#approvalMessage").inner_text()
    assert page.locator(PRIMARY).count() == 0   # nothing to accept
    assert not any(g["scope"].count("Notes.Admin") for g in world.grants(world.web))


def test_the_admin_consent_endpoint_end_to_end(server: Server, world: ConsentWorld, browser_context: BrowserContext,
                                               redirect_listener: RedirectListener) -> None:
    # An application for every organization, as a "connect your organization" link at /organizations is.
    ok(server.graph("PATCH", f"/applications/{world.web['id']}", json={"signInAudience": "AzureADMultipleOrgs"}),
       204)
    page = browser_context.new_page()
    query = {"client_id": world.web["appId"], "redirect_uri": world.web_redirect, "state": "connect-42",
             "scope": world.scope(".default")}
    signs_in(page, f"{server.url}/organizations/v2.0/adminconsent?{urlencode(query)}", world.adam)
    page.get_by_text("Accept for your organization").wait_for()
    assert page.locator("#permissionList summary").all_inner_texts() == [
        "Admin: Notes.Read", "Admin: Notes.Write", "Sync all notes", "User.Read"]
    page.click(PRIMARY)
    page.wait_for_url(redirect_listener.matches)
    assert redirect_listener.last(page) == {"admin_consent": "True", "tenant": server.tenant_id,
                                            "scope": world.scope(".default"), "state": "connect-42"}
    web_sp = world.sp_of(world.web)
    every = ok(server.graph("GET", "/oauth2PermissionGrants", params={
        "$filter": f"clientId eq '{web_sp['id']}' and consentType eq 'AllPrincipals'"}))["value"]
    assert sorted((g["resourceId"], g["scope"]) for g in every) == sorted(
        [(world.api_sp["id"], "Notes.Read Notes.Write"),
         (ok(server.graph("GET", f"/servicePrincipals(appId='{builtins.GRAPH_APP_ID}')"))["id"], "User.Read")])
    roles = ok(server.graph("GET", f"/servicePrincipals/{web_sp['id']}/appRoleAssignments"))["value"]
    assert [r["appRoleId"] for r in roles] == [world.ids["Notes.Sync"]]
    app_token = issued(server.token(world.web["appId"], world.web_secret, world.scope(".default")))
    assert claims(app_token["access_token"])["roles"] == ["Notes.Sync"]
