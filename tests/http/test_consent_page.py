"""The consent page of the authorize endpoint and the admin consent endpoint, through a real server on SQLite
and PostgreSQL, driven as a browser would (httpx keeps the cookies): what the page shows, Accept (a grant,
audited with the person as actor, and the code), Cancel (access_denied), "Need admin approval", the
administrator's "Consent on behalf of your organization", prompt=none and prompt=consent, ``.default`` and
v1's ``resource`` (the client's requiredResourceAccess), and the admin consent endpoint (AllPrincipals grants
and app role assignments, admin_consent=True)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ..support import Server
from .consent_support import ConsentWorld, Person, arrange
from .graph_support import ok
from .pages_support import PAGE_CSP, VERIFIER, Browser, answer, authorize_query, forms, sign_in, text
from .people_support import claims, issued, token

WEB = "https://notes.example/signin-oidc"
DESKTOP = "http://localhost:4711"


@pytest.fixture
def world(tenantd: Server) -> Iterator[ConsentWorld]:
    yield arrange(tenantd, WEB)


@pytest.fixture
def browser(tenantd: Server) -> Iterator[Browser]:
    b = Browser(tenantd)
    yield b
    b.close()


def authorize(world: ConsentWorld, browser: Browser, client: dict[str, Any], scope: str,
              **extra: str) -> tuple[dict[str, str], httpx.Response]:
    redirect = WEB if client is world.web else DESKTOP
    query = authorize_query(client["appId"], redirect, scope=scope, **extra)
    return query, browser.get(f"/{world.server.tenant_id}/oauth2/v2.0/authorize", **query)


def signed_in(browser: Browser, page: httpx.Response, person: Person) -> httpx.Response:
    return sign_in(browser, page, person.user_name, person.password)


def scp(world: ConsentWorld, client: dict[str, Any], reply: dict[str, str], scope: str) -> str:
    """The ``scp`` of the access token the code in ``reply`` redeems for."""
    web = client is world.web
    form = {"grant_type": "authorization_code", "client_id": client["appId"], "code": reply["code"],
            "redirect_uri": WEB if web else DESKTOP, "code_verifier": VERIFIER, "scope": scope}
    body = issued(token(world.server, **form, **({"client_secret": world.web_secret} if web else {})))
    return str(claims(body["access_token"]).get("scp", ""))


def lines(page: httpx.Response) -> list[str]:
    """The permission values the consent page lists."""
    return [part.split('"')[0] for part in page.text.split('data-value="')[1:]]


def buttons(page: httpx.Response) -> dict[str, str]:
    return {b["id"]: b["value"] for f in forms(page.text) for b in f.buttons if b.get("id")}


def test_a_member_consents_for_herself_and_the_next_sign_in_asks_nothing(world: ConsentWorld,
                                                                        browser: Browser) -> None:
    scope = f"openid offline_access {world.scope('Notes.Read')}"
    query, page = authorize(world, browser, world.desktop, scope)
    asked = signed_in(browser, page, world.alice)
    assert asked.status_code == 200 and "Permissions requested" in asked.text, asked.text
    shown = text(asked)
    assert world.desktop["displayName"] in shown and "unverified" in shown and world.alice.user_name in shown
    assert "You: Notes.Read" in shown and "Lets the app Notes.Read as you" in shown and "Sign you in" in shown
    assert lines(asked) == ["openid", "offline_access", "Notes.Read"]
    assert buttons(asked) == {"idSIButton9": "Accept", "idBtn_Back": "Cancel"}
    assert asked.headers["content-security-policy"] == PAGE_CSP.format(f" {DESKTOP}")   # item 44's headers
    assert asked.headers["x-frame-options"] == "DENY" and asked.headers["cache-control"] == "no-store"
    assert "Consent on behalf of your organization" not in shown   # she is no administrator
    assert world.grants(world.desktop) == []   # nothing before she answers

    reply = answer(browser.submit(asked))
    assert reply["state"] == query["state"] and "code" in reply
    assert scp(world, world.desktop, reply, scope) == "Notes.Read"
    (grant,) = world.grants(world.desktop)
    assert (grant["consentType"], grant["principalId"], grant["scope"]) == ("Principal", world.alice.id, "Notes.Read")
    audits = ok(world.server.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": "activityDisplayName eq 'Consent to application'"}))["value"]
    mine = next(a for a in audits if a["targetResources"][0]["id"] == world.sp_of(world.desktop)["id"])
    assert mine["initiatedBy"] == {"app": None, "user": {"id": world.alice.id, "displayName": None,
                                                         "ipAddress": None, "userPrincipalName": world.alice.user_name}}
    changes = {c["displayName"]: c["newValue"] for c in mine["targetResources"][0]["modifiedProperties"]}
    assert changes["ConsentContext.IsAdminConsent"] == changes["ConsentContext.OnBehalfOfAll"] == '"False"'

    _, silent = authorize(world, browser, world.desktop, scope)   # her session: no page at all
    assert "code" in answer(silent)
    other = Browser(world.server)   # a new browser: she signs in, and is not asked again
    _, page = authorize(world, other, world.desktop, scope)
    assert "code" in answer(signed_in(other, page, world.alice))
    other.close()


def test_cancel_sends_access_denied_and_grants_nothing(world: ConsentWorld, browser: Browser) -> None:
    query, page = authorize(world, browser, world.desktop, world.scope("Notes.Write"))
    refused = answer(browser.submit(signed_in(browser, page, world.alice), "idBtn_Back"))
    assert refused["error"] == "access_denied" and refused["error_description"].startswith("AADSTS65004: User declined")
    assert refused["state"] == query["state"] and "code" not in refused
    assert world.grants(world.desktop) == []


def test_an_admin_scope_needs_an_administrator(world: ConsentWorld, browser: Browser) -> None:
    query, page = authorize(world, browser, world.desktop, world.scope("Notes.Admin"))
    blocked = signed_in(browser, page, world.alice)
    assert blocked.status_code == 200 and "Need admin approval" in blocked.text
    assert "only an admin can grant" in text(blocked) and "AADSTS90094" in blocked.text
    assert "idSIButton9" not in buttons(blocked) and "Accept" not in buttons(blocked).values()
    refused = answer(browser.submit(blocked, "idBtn_Back"))   # "Return to the application without granting consent"
    assert refused["error"] == "access_denied" and refused["error_description"].startswith("AADSTS65004:")
    assert refused["state"] == query["state"] and world.grants(world.desktop) == []

    _, blocked = authorize(world, browser, world.desktop, world.scope("Notes.Admin"))
    assert "Need admin approval" in blocked.text   # her session signs her in: blocked again
    asked = signed_in(browser, browser.submit(blocked, "adminAccount"), world.adam)   # "Have an admin account?"
    assert "Permissions requested" in asked.text and "Admin: Notes.Admin" in text(asked)
    assert "Consent on behalf of your organization" in text(asked)
    reply = answer(browser.submit(asked))   # the box left clear: for herself
    assert scp(world, world.desktop, reply, world.scope("Notes.Admin")) == "Notes.Admin"
    (grant,) = world.grants(world.desktop)
    assert (grant["consentType"], grant["principalId"], grant["scope"]) == ("Principal", world.adam.id, "Notes.Admin")


def test_an_administrator_consents_for_the_organization(world: ConsentWorld, browser: Browser) -> None:
    _, page = authorize(world, browser, world.desktop, world.scope("Notes.Write"))
    asked = signed_in(browser, page, world.adam)
    reply = answer(browser.submit(asked, consentOnBehalfOfOrganization="on"))
    assert scp(world, world.desktop, reply, world.scope("Notes.Write")) == "Notes.Write"
    (grant,) = world.grants(world.desktop)
    assert (grant["consentType"], grant["principalId"], grant["scope"]) == ("AllPrincipals", None, "Notes.Write")
    other = Browser(world.server)   # Alice is asked nothing now
    _, page = authorize(world, other, world.desktop, world.scope("Notes.Write"))
    reply = answer(signed_in(other, page, world.alice))
    assert scp(world, world.desktop, reply, world.scope("Notes.Write")) == "Notes.Write"
    other.close()


def test_prompt_none_and_prompt_consent(world: ConsentWorld, browser: Browser) -> None:
    _, page = authorize(world, browser, world.desktop, "openid")
    assert "code" in answer(signed_in(browser, page, world.alice))   # User.Read of Graph: nothing to ask
    query, silent = authorize(world, browser, world.desktop, world.scope("Notes.Read"), prompt="none")
    refused = answer(silent)
    assert refused["error"] == "consent_required" and refused["error_description"].startswith("AADSTS65001:")
    assert refused["state"] == query["state"] and "code" not in refused
    _, forced = authorize(world, browser, world.desktop, "openid", prompt="consent")   # all held, still asked
    assert "Permissions requested" in forced.text and lines(forced) == ["openid", "User.Read"]
    assert "code" in answer(browser.submit(forced))


def test_default_asks_for_what_the_client_requires(world: ConsentWorld, browser: Browser) -> None:
    scope = f"openid {world.scope('.default')}"
    _, page = authorize(world, browser, world.web, scope)
    asked = signed_in(browser, page, world.alice)
    assert lines(asked) == ["openid", "Notes.Read", "Notes.Write", "User.Read"]   # no app role: not hers to give
    assert f'data-resource="{world.api["displayName"]}"' in asked.text
    assert 'data-resource="Microsoft Graph"' in asked.text
    reply = answer(browser.submit(asked))
    assert scp(world, world.web, reply, scope) == "Notes.Read Notes.Write"
    (grant,) = world.grants(world.web)
    assert grant["scope"] == "Notes.Read Notes.Write" and grant["principalId"] == world.alice.id
    _, again = authorize(world, browser, world.web, scope)
    assert "code" in answer(again)   # it holds something on the resource now: no page

    v1 = Browser(world.server)   # v1's resource is .default
    query = authorize_query(world.desktop["appId"], DESKTOP, resource=world.api_uri, scope="openid")
    page = v1.get(f"/{world.server.tenant_id}/oauth2/authorize", **query)
    asked = signed_in(v1, page, world.alice)
    assert lines(asked) == ["openid", "Notes.Read"]
    assert "code" in answer(v1.submit(asked))
    v1.close()


def admin_consent(world: ConsentWorld, browser: Browser, scope: str | None, state: str = "st-admin",
                  version: int = 2) -> httpx.Response:
    query = {"client_id": world.web["appId"], "redirect_uri": WEB, "state": state,
             **({"scope": scope} if scope is not None else {})}
    path = "v2.0/adminconsent" if version == 2 else "adminconsent"
    return browser.get(f"/{world.server.tenant_id}/{path}", **query)


def test_the_admin_consent_endpoint_grants_for_everyone(world: ConsentWorld, browser: Browser) -> None:
    scope = world.scope(".default")
    asked = signed_in(browser, admin_consent(world, browser, scope), world.adam)
    shown = text(asked)
    assert "Permissions requested" in shown and "Accept for your organization" in shown
    assert "Consent on behalf of your organization" not in shown and "Admin: Notes.Read" in shown
    assert lines(asked) == ["Notes.Read", "Notes.Write", "Notes.Sync", "User.Read"]
    reply = answer(browser.submit(asked))
    assert reply == {"admin_consent": "True", "tenant": world.server.tenant_id, "scope": scope, "state": "st-admin"}
    (grant,) = world.grants(world.web)
    assert (grant["consentType"], grant["principalId"], grant["scope"]) == ("AllPrincipals", None,
                                                                           "Notes.Read Notes.Write")
    web_sp = world.sp_of(world.web)
    assigned = ok(world.server.graph("GET", f"/servicePrincipals/{web_sp['id']}/appRoleAssignments"))["value"]
    assert [(a["appRoleId"], a["resourceId"]) for a in assigned] == [(world.ids["Notes.Sync"], world.api_sp["id"])]
    app_token = world.server.token(world.web["appId"], world.web_secret, world.scope(".default"))
    assert claims(issued(app_token)["access_token"])["roles"] == ["Notes.Sync"]
    again = answer(browser.submit(admin_consent(world, browser, scope)))   # his session: the page at once
    assert again["admin_consent"] == "True"   # twice: nothing added twice
    assert len(ok(world.server.graph("GET", f"/servicePrincipals/{web_sp['id']}/appRoleAssignments"))["value"]) == 1

    named = Browser(world.server)
    asked = signed_in(named, admin_consent(world, named, world.scope("Notes.Admin"), version=2), world.adam)
    assert lines(asked) == ["Notes.Admin"]
    assert answer(named.submit(asked))["scope"] == world.scope("Notes.Admin")
    assert world.grants(world.web)[0]["scope"] == "Notes.Read Notes.Write Notes.Admin"
    named.close()


def test_the_admin_consent_endpoint_refuses_and_is_cancelled_as_entra_answers(world: ConsentWorld,
                                                                              browser: Browser) -> None:
    blocked = signed_in(browser, admin_consent(world, browser, world.scope(".default")), world.alice)
    assert "Need admin approval" in blocked.text
    refused = answer(browser.submit(blocked, "idBtn_Back"))
    assert list(refused) == ["error", "error_description", "error_uri", "admin_consent", "state"]
    assert refused["error"] == "access_denied" and refused["error_description"].startswith("AADSTS65004:")
    assert refused["admin_consent"] == "True" and refused["state"] == "st-admin"
    admin = Browser(world.server)
    cancelled = answer(admin.submit(signed_in(admin, admin_consent(world, admin, None, version=1), world.adam),
                                    "idBtn_Back"))
    assert cancelled["error"] == "access_denied" and cancelled["admin_consent"] == "True"
    assert world.grants(world.web) == []
    missing = answer(admin_consent(world, admin, None))   # v2 needs a scope
    assert missing["error"] == "invalid_request" and missing["admin_consent"] == "True"
    unknown = admin.get(f"/{world.server.tenant_id}/v2.0/adminconsent", redirect_uri=WEB,
                        client_id="00000000-0000-0000-0000-00000000abcd", scope=world.scope(".default"))
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.text   # shown, never redirected
    admin.close()


def test_the_consent_pages_escape_what_the_directory_names(world: ConsentWorld, browser: Browser) -> None:
    hostile = '"><script>alert(1)</script>'
    server = world.server
    ok(server.graph("PATCH", f"/applications/{world.desktop['id']}", json={"displayName": f"Notes {hostile}"}), 204)
    texts = {"adminConsentDisplayName": hostile, "adminConsentDescription": hostile,
             "userConsentDisplayName": hostile, "userConsentDescription": hostile}
    api = ok(server.graph("POST", "/applications", json={
        "displayName": f"API {hostile}", "identifierUris": [f"api://hostile-{world.api['appId'][:8]}"],
        "api": {"oauth2PermissionScopes": [
            {"id": "0e3f9a5c-0000-4000-8000-000000000001", "value": "Do.It", "type": "User", "isEnabled": True,
             **texts},
            {"id": "0e3f9a5c-0000-4000-8000-000000000002", "value": "Do.All", "type": "Admin", "isEnabled": True,
             **texts}]}}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": api["appId"]}), 201)
    _, page = authorize(world, browser, world.desktop, f"{api['identifierUris'][0]}/Do.It")
    asked = signed_in(browser, page, world.alice)
    _, blocked = authorize(world, browser, world.desktop, f"{api['identifierUris'][0]}/Do.All")
    for shown in (asked, blocked):
        assert shown.status_code == 200 and "<script>alert(1)</script>" not in shown.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "Permissions requested" in asked.text and "Need admin approval" in blocked.text
