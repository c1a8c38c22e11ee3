"""SECURITY.md item 50, the consent page's clauses: users consent only to ``User`` scopes, ``Admin`` scopes
(and consent for everyone) need an administrator, and a consent form cannot be submitted cross-site.

- A consent POST without this browser's CSRF token, with another browser's flow, or without the browser's
  cookies (what another site's form sends: the cookies are SameSite=Lax) records no grant; in Chromium, a
  cross-site form holding the very fields of the victim's consent page records none either.
- A member who posts Accept for an Admin scope (the "Need admin approval" page has no Accept: she builds the
  POST from its fields) records nothing.
- A user's own consent is never for everyone: the box posted by a member, or by an administrator who lost
  her role after the page was shown, records nothing; an administrator's Accept without the box is hers alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Route

from tenantd.domain import consent_rules

from ..browser.entra_page import answer_stay_signed_in, enter_credentials
from ..http.consent_support import ROLE_ASSIGNMENTS, ConsentWorld, Person, arrange
from ..http.graph_support import ok
from ..http.pages_support import Browser, authorize_query, forms, sign_in
from ..support import Server

DESKTOP = "http://localhost:4712"
WEB = "https://notes.example/signin-oidc"
ATTACKER = "https://attacker.example/"


@pytest.fixture
def world(server: Server) -> Iterator[ConsentWorld]:
    yield arrange(server, WEB)


def consent_page(world: ConsentWorld, browser: Browser, person: Person, scope: str) -> httpx.Response:
    query = authorize_query(world.desktop["appId"], DESKTOP, scope=scope)
    page = browser.get(f"/{world.server.tenant_id}/oauth2/v2.0/authorize", **query)
    return sign_in(browser, page, person.user_name, person.password)


def consent_form(page: httpx.Response) -> dict[str, str]:
    """The fields of the page's form that answers the consent (``step=consent``), Accept pressed."""
    form = next(f for f in forms(page.text) if f.fields.get("step") == "consent")
    return {**form.fields, "consent": "Accept"}


def login(world: ConsentWorld) -> str:
    return f"/{world.server.tenant_id}/login"


def expired(response: httpx.Response) -> bool:
    return response.status_code == 400 and "This page has expired" in response.text


def test_50_a_consent_post_without_this_browser_s_token_flow_or_cookies_records_no_grant(
        world: ConsentWorld) -> None:
    browser, other = Browser(world.server), Browser(world.server)
    fields = consent_form(consent_page(world, browser, world.alice, world.scope("Notes.Read")))
    theirs = consent_form(consent_page(world, other, world.alice, world.scope("Notes.Read")))
    assert expired(browser.http.post(login(world), data={k: v for k, v in fields.items() if k != "csrf"}))
    assert expired(browser.http.post(login(world), data={**fields, "flow": theirs["flow"]}))
    assert expired(browser.http.post(login(world), data={**fields, "csrf": theirs["csrf"]}))
    with world.server.http() as stranger:   # another site's form: the browser sends no SameSite=Lax cookie
        assert expired(stranger.post(login(world), data=fields))
    assert world.grants(world.desktop) == []
    assert browser.http.post(login(world), data=fields).status_code == 302   # the page's own form goes through
    assert [g["principalId"] for g in world.grants(world.desktop)] == [world.alice.id]
    browser.close()
    other.close()


def test_50_a_cross_site_form_in_chromium_records_no_grant(world: ConsentWorld,
                                                           browser_context: BrowserContext) -> None:
    victim = browser_context.new_page()
    query = authorize_query(world.desktop["appId"], DESKTOP, scope=world.scope("Notes.Write"))
    victim.goto(f"{world.server.url}/{world.server.tenant_id}/oauth2/v2.0/authorize?"
                + str(httpx.QueryParams(query)))
    enter_credentials(victim, world.alice.user_name, world.alice.password)
    answer_stay_signed_in(victim, True)
    victim.get_by_text("Permissions requested").wait_for()
    fields = {name: victim.locator(f"form input[type=hidden][name={name}]").first.get_attribute("value") or ""
              for name in ("csrf", "flow", "step")}
    # The strongest attacker: her page holds the very fields of the victim's consent form, and posts them.
    posted = {**fields, "consent": "Accept"}
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in posted.items())
    html = (f'<!doctype html><form id="f" method="post" action="{world.server.url}{login(world)}">{inputs}</form>'
            '<script>document.getElementById("f").submit()</script>')

    def attacker(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    attack = browser_context.new_page()
    attack.route(ATTACKER, attacker)
    with attack.expect_response(f"{world.server.url}{login(world)}") as posted:
        attack.goto(ATTACKER)
    assert posted.value.status == 400 and "This page has expired" in posted.value.text()
    assert world.grants(world.desktop) == []


def test_50_a_member_cannot_accept_an_admin_scope_by_posting_the_form(world: ConsentWorld) -> None:
    browser = Browser(world.server)
    blocked = consent_page(world, browser, world.alice, world.scope("Notes.Admin"))
    assert "Need admin approval" in blocked.text and "idSIButton9" not in blocked.text
    again = browser.http.post(login(world), data=consent_form(blocked))   # its fields, and Accept
    assert again.status_code == 200 and "Need admin approval" in again.text
    assert world.grants(world.desktop) == []
    query = authorize_query(world.desktop["appId"], DESKTOP, scope=world.scope("Notes.Read", "Notes.Admin"))
    mixed = browser.get(f"/{world.server.tenant_id}/oauth2/v2.0/authorize", **query)   # her session signs her in
    assert "Need admin approval" in browser.http.post(login(world), data=consent_form(mixed)).text
    assert world.grants(world.desktop) == []
    browser.close()


def test_50_her_own_consent_never_becomes_every_user_s(world: ConsentWorld) -> None:
    member = Browser(world.server)
    fields = consent_form(consent_page(world, member, world.alice, world.scope("Notes.Read")))
    assert "Consent on behalf of your organization" not in str(fields)
    refused = member.http.post(login(world), data={**fields, "consentOnBehalfOfOrganization": "on"})
    assert refused.status_code == 200 and "Need admin approval" in refused.text
    assert world.grants(world.desktop) == []

    admin = Browser(world.server)
    page = consent_page(world, admin, world.adam, world.scope("Notes.Read"))
    assert "Consent on behalf of your organization" in page.text
    assert admin.http.post(login(world), data=consent_form(page)).status_code == 302   # the box left clear
    assert [(g["consentType"], g["principalId"]) for g in world.grants(world.desktop)] == [("Principal", world.adam.id)]

    shown = Browser(world.server)
    page = consent_page(world, shown, world.adam, world.scope("Notes.Write"))
    assignment = _role_of(world, world.adam)
    ok(world.server.graph("DELETE", f"{ROLE_ASSIGNMENTS}/{assignment['id']}"), 204)   # no administrator now
    refused = shown.http.post(login(world), data={**consent_form(page), "consentOnBehalfOfOrganization": "on"})
    assert "Need admin approval" in refused.text
    assert all(g["consentType"] == "Principal" for g in world.grants(world.desktop))
    for browser in (member, admin, shown):
        browser.close()


def _role_of(world: ConsentWorld, person: Person) -> dict[str, Any]:
    listed = ok(world.server.graph("GET", ROLE_ASSIGNMENTS))["value"]
    return next(a for a in listed if a["principalId"] == person.id
                and a["roleDefinitionId"] == consent_rules.APPLICATION_ADMINISTRATOR)
