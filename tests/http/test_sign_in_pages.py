"""The authorize endpoint and its sign-in page through a real server, on SQLite and PostgreSQL: Entra's page
shape, the code bound to client, redirect URI, PKCE challenge and nonce, single sign-on (silent, prompt=none,
prompt=login, max_age, the account picker), "Stay signed in?", common and organizations, the refusals shown
and those sent back, and sign-out."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import msal
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins
from tenantd.domain.sign_in_state import secret_hash
from tenantd.runtime import Runtime
from tenantd.tokens.sessions import SESSION_COOKIE

from ..support import Server
from .pages_support import (
    CHALLENGE,
    PAGE_CSP,
    PASSWORD,
    Browser,
    add_domain,
    answer,
    authorize_query,
    challenge_of,
    forms,
    sign_in,
    stored_code,
)

WEB = "https://app.example/callback"
SPA = "https://spa.example/"


@dataclass
class World:
    server: Server
    runtime: Runtime
    tenant_id: str
    other_tenant_id: str
    web: str            # appIds: a confidential web app (AzureADMyOrg)
    spa: str            # a single-page application
    multi: str          # a web app for every organization on this server (AzureADMultipleOrgs)
    alice: str
    bob: str

    def authorize(self, browser: Browser, client_id: str, redirect_uri: str, tenant: str | None = None,
                  version: int = 2, **extra: str) -> tuple[dict[str, str], object]:
        query = authorize_query(client_id, redirect_uri, **extra)
        path = "oauth2/v2.0/authorize" if version == 2 else "oauth2/authorize"
        return query, browser.get(f"/{tenant or self.tenant_id}/{path}", **query)


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    rt = tenantd.runtime()
    tid, d = tenantd.tenant_id, rt.directory
    other = d.create_tenant("Fabrikam")
    add_domain(rt, tid, "contoso.test")
    add_domain(rt, other.id, "fabrikam.test")
    web = d.create_application(tid, "Things Web", with_service_principal=True, settings={"web.redirectUris": [WEB]})
    spa = d.create_application(tid, "Things SPA", with_service_principal=True, settings={"spa.redirectUris": [SPA]})
    multi = d.create_application(tid, "Everyone's Web", with_service_principal=True, settings={
        "web.redirectUris": [WEB], "signInAudience": "AzureADMultipleOrgs"})
    alice = d.create_user(tid, "alice@contoso.test", "Alice", password=PasswordProfile(PASSWORD))
    bob = d.create_user(tid, "bob@contoso.test", "Bob", password=PasswordProfile(PASSWORD))
    d.create_user(other.id, "carol@fabrikam.test", "Carol", password=PasswordProfile(PASSWORD))
    yield World(tenantd, rt, tid, other.id, web.app_id, spa.app_id, multi.app_id, alice.id, bob.id)
    rt.store.dispose()


@pytest.fixture
def browser(world: World) -> Iterator[Browser]:
    b = Browser(world.server)
    yield b
    b.close()


def test_a_person_signs_in_and_the_client_gets_a_code_bound_to_its_request(world: World, browser: Browser) -> None:
    query, page = world.authorize(browser, world.web, WEB, login_hint="alice@contoso.test")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == PAGE_CSP.format(f" {WEB}")
    name_form = forms(page.text)[0]
    assert name_form.fields["loginfmt"] == "alice@contoso.test"
    assert [b["value"] for b in name_form.buttons if b.get("id") == "idSIButton9"] == ["Next"]
    assert "Things Web" in page.text
    password = browser.submit(page, loginfmt="alice@contoso.test")
    assert "passwd" in forms(password.text)[0].fields or 'name="passwd"' in password.text
    assert [b["value"] for b in forms(password.text)[0].buttons if b.get("id") == "idSIButton9"] == ["Sign in"]
    kmsi = browser.submit(password, passwd=PASSWORD)
    assert "Stay signed in?" in kmsi.text
    assert {b.get("id"): b["value"] for b in forms(kmsi.text)[0].buttons} == {"idSIButton9": "Yes", "idBtn_Back": "No"}
    reply = answer(browser.submit(kmsi))
    assert reply["state"] == query["state"] and set(reply) == {"code", "state", "session_state"}
    code = stored_code(world.runtime, reply["code"])
    assert (code.client_app_id, code.redirect_uri, code.user_id, code.tenant_id) == (world.web, WEB, world.alice,
                                                                                      world.tenant_id)
    assert (code.code_challenge, code.code_challenge_method, code.nonce) == (CHALLENGE, "S256", query["nonce"])
    assert code.scope == "openid profile offline_access" and code.endpoint_version == 2 and code.resource is None
    assert code.expires - code.created == 600 and code.redeemed is None and code.session_hash is not None


def test_stay_signed_in_decides_the_cookie_and_the_session_lifetime(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB)
    reply = sign_in(browser, page, "alice@contoso.test", stay=True)
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert "Max-Age=7776000" in cookie
    with world.runtime.store.read() as tx:
        session = tx.browser_session(secret_hash(browser.http.cookies[SESSION_COOKIE]))
    assert session is not None and session.persistent and session.expires - session.created == 90 * 86400
    other = Browser(world.server)
    _, page = world.authorize(other, world.web, WEB)
    reply = sign_in(other, page, "bob@contoso.test", stay=False)
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    assert "Max-Age" not in cookie and "expires" not in cookie.lower()
    with world.runtime.store.read() as tx:
        session = tx.browser_session(secret_hash(other.http.cookies[SESSION_COOKIE]))
    assert session is not None and not session.persistent and session.expires - session.created == 86400
    other.close()


def test_single_sign_on_prompt_none_prompt_login_and_max_age(world: World, browser: Browser) -> None:
    query, page = world.authorize(browser, world.web, WEB, prompt="none")
    refused = answer(page)
    assert refused["error"] == "login_required" and refused["error_description"].startswith("AADSTS50058:")
    assert refused["state"] == query["state"] and "code" not in refused
    _, page = world.authorize(browser, world.web, WEB)
    first = answer(sign_in(browser, page, "alice@contoso.test"))
    query, silent = world.authorize(browser, world.web, WEB)
    second = answer(silent)   # no page: the session signs her in
    assert second["state"] == query["state"] and second["session_state"] == first["session_state"]
    assert stored_code(world.runtime, second["code"]).user_id == world.alice
    assert "code" in answer(world.authorize(browser, world.web, WEB, prompt="none")[1])
    _, again = world.authorize(browser, world.web, WEB, prompt="login")
    assert again.status_code == 200 and "loginfmt" in forms(again.text)[0].fields
    _, again = world.authorize(browser, world.web, WEB, prompt="consent")   # signed in: the consent page
    assert again.status_code == 200 and "Permissions requested" in again.text
    time.sleep(2)
    _, stale = world.authorize(browser, world.web, WEB, max_age="1")
    assert stale.status_code == 200 and forms(stale.text)[0].fields.get("login") == "alice@contoso.test"
    assert answer(world.authorize(browser, world.web, WEB, max_age="1", prompt="none")[1])["error"] == "login_required"
    assert "code" in answer(browser.submit(browser.submit(stale, passwd=PASSWORD)))


def test_the_account_picker_holds_the_session_s_accounts_and_another(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB)
    sign_in(browser, page, "alice@contoso.test")
    _, picker = world.authorize(browser, world.web, WEB, prompt="select_account")
    assert "Pick an account" in picker.text
    other = browser.submit(picker, "account", value="other")
    assert "loginfmt" in forms(other.text)[0].fields
    assert "code" in answer(sign_in(browser, other, "bob@contoso.test"))
    query, picker = world.authorize(browser, world.web, WEB)   # two accounts: she chooses
    tiles = [b["value"] for b in forms(picker.text)[0].buttons]
    assert sorted(tiles) == sorted([world.alice, world.bob, "other"])
    reply = answer(browser.submit(picker, "account", value=world.alice))
    assert reply["state"] == query["state"] and stored_code(world.runtime, reply["code"]).user_id == world.alice
    hinted = answer(world.authorize(browser, world.web, WEB, login_hint="Bob@Contoso.test")[1])
    assert stored_code(world.runtime, hinted["code"]).user_id == world.bob
    refused = answer(world.authorize(browser, world.web, WEB, prompt="none")[1])
    assert refused["error"] == "login_required" and refused["error_description"].startswith("AADSTS16000:")


def test_an_account_that_was_disabled_or_revoked_is_asked_again(world: World, browser: Browser) -> None:
    rt = world.runtime
    dave = rt.directory.create_user(world.tenant_id, "dave@contoso.test", "Dave", password=PasswordProfile(PASSWORD))
    _, page = world.authorize(browser, world.web, WEB)
    sign_in(browser, page, "dave@contoso.test")
    assert "code" in answer(world.authorize(browser, world.web, WEB)[1])
    with rt.store.write() as tx:
        tx.end_sign_ins(dave.id)   # what revokeSignInSessions and a password change do
    assert world.authorize(browser, world.web, WEB)[1].status_code == 200
    sign_in(browser, world.authorize(browser, world.web, WEB)[1], "dave@contoso.test")
    rt.directory.update_user(world.tenant_id, dave.id, {"accountEnabled": False})
    _, page = world.authorize(browser, world.web, WEB)
    assert page.status_code == 200 and "loginfmt" in forms(page.text)[0].fields


def test_sign_out_ends_the_session_and_redirects_only_where_registered(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB)
    sign_in(browser, page, "alice@contoso.test")
    cookie = browser.http.cookies[SESSION_COOKIE]
    out = browser.get(f"/{world.tenant_id}/oauth2/v2.0/logout", post_logout_redirect_uri=WEB, client_id=world.web,
                      state="bye")
    assert out.status_code == 302 and out.headers["location"] == f"{WEB}?state=bye"
    assert any(c.startswith(f'{SESSION_COOKIE}=""') or c.startswith(f"{SESSION_COOKIE}=;")
               for c in out.headers.get_list("set-cookie"))
    with world.runtime.store.read() as tx:
        assert tx.browser_session(secret_hash(cookie)) is None
    browser.http.cookies.set(SESSION_COOKIE, cookie, domain=urlsplit(world.server.url).hostname or "")
    assert world.authorize(browser, world.web, WEB)[1].status_code == 200   # the old cookie signs no one in
    shown = browser.get("/common/oauth2/logout", post_logout_redirect_uri="https://evil.example/")
    assert shown.status_code == 200 and "You signed out" in shown.text and "location" not in shown.headers


def test_refusals_before_the_redirect_uri_is_known_are_shown(world: World, browser: Browser) -> None:
    unknown = world.authorize(browser, "0b2e7c0a-0000-4000-8000-000000000001", WEB)[1]
    assert unknown.status_code == 400 and "AADSTS700016" in unknown.text and "location" not in unknown.headers
    wrong = world.authorize(browser, world.web, "https://app.example/other")[1]
    assert wrong.status_code == 400 and "AADSTS50011" in wrong.text and "location" not in wrong.headers
    tenant = browser.get("/no-such-tenant/oauth2/v2.0/authorize", client_id=world.web, redirect_uri=WEB)
    assert tenant.status_code == 400 and "AADSTS90002" in tenant.text
    missing = browser.get(f"/{world.tenant_id}/oauth2/v2.0/authorize", client_id=world.web, response_type="code",
                          scope="openid")
    assert missing.status_code == 200 and forms(missing.text)[0].action.endswith("/login")   # the only web URI


@pytest.mark.parametrize(("extra", "error", "code"), [
    ({"response_type": "token"}, "unsupported_response_type", 700051),
    ({"response_type": "id_token"}, "unsupported_response_type", 700054),
    ({"response_type": "banana"}, "unsupported_response_type", 70005),
    ({"response_mode": "web_message"}, "invalid_request", 70007),
    ({"scope": ""}, "invalid_request", 90014),
    ({"resource": "api://x"}, "invalid_request", 901002),
    ({"prompt": "create"}, "invalid_request", 900144),
    ({"code_challenge_method": "plain"}, "invalid_request", 9002325),
    ({"code_challenge": "short"}, "invalid_request", 501491),
])
def test_refusals_the_client_can_act_on_go_back_with_state(world: World, browser: Browser, extra: dict[str, str],
                                                           error: str, code: int) -> None:
    query, page = world.authorize(browser, world.web, WEB, **extra)
    refused = answer(page)
    assert refused["error"] == error and refused["error_description"].startswith(f"AADSTS{code}:")
    assert refused["state"] == query["state"]


def test_pkce_is_required_of_public_clients_and_spas_only(world: World, browser: Browser) -> None:
    for client_id, uri in ((world.spa, SPA), (builtins.AZURE_CLI_APP_ID, "http://localhost:40123")):
        refused = answer(world.authorize(browser, client_id, uri, code_challenge=None, code_challenge_method=None)[1])
        assert refused["error"] == "invalid_request" and "AADSTS9002325" in refused["error_description"]
    _, page = world.authorize(browser, world.web, WEB, code_challenge=None, code_challenge_method=None)
    code = stored_code(world.runtime, answer(sign_in(browser, page, "alice@contoso.test"))["code"])
    assert code.code_challenge is None and code.code_challenge_method is None


def test_the_azure_cli_answers_on_any_loopback_port(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, builtins.AZURE_CLI_APP_ID, "http://localhost:51234",
                              scope="https://management.azure.com//.default offline_access openid profile")
    reply = sign_in(browser, page, "alice@contoso.test")
    assert reply.headers["location"].startswith("http://localhost:51234?code=")
    assert stored_code(world.runtime, answer(reply)["code"]).redirect_uri == "http://localhost:51234"
    lookalike = world.authorize(browser, builtins.AZURE_CLI_APP_ID, "http://localhost.evil.example:51234")[1]
    assert lookalike.status_code == 400 and "AADSTS50011" in lookalike.text


def test_response_modes_fragment_and_form_post(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB)
    sign_in(browser, page, "alice@contoso.test")
    fragment = world.authorize(browser, world.web, WEB, response_mode="fragment")[1]
    assert fragment.status_code == 302 and fragment.headers["location"].startswith(f"{WEB}#code=")
    query, posted = world.authorize(browser, world.web, WEB, response_mode="form_post")
    assert posted.status_code == 200 and posted.headers["content-security-policy"] == PAGE_CSP.format(f" {WEB}")
    form = forms(posted.text)[0]
    assert form.action == WEB and form.method == "post" and form.fields["state"] == query["state"]
    assert stored_code(world.runtime, form.fields["code"]).client_app_id == world.web
    assert '<script src="/_tenantd/static/form_post.js"' in posted.text
    script = browser.get("/_tenantd/static/form_post.js")
    assert script.status_code == 200 and "hiddenform" in script.text


def test_v1_authorize_takes_a_resource_and_checks_it(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB, version=1, scope=None, resource="https://graph.microsoft.com")
    code = stored_code(world.runtime, answer(sign_in(browser, page, "alice@contoso.test"))["code"])
    assert code.endpoint_version == 1 and code.resource == "https://graph.microsoft.com"
    query, page = world.authorize(browser, world.web, WEB, version=1, scope=None, resource="api://nothing-here")
    refused = answer(page)
    assert refused["error"] == "invalid_resource" and "AADSTS500011" in refused["error_description"]
    assert refused["state"] == query["state"]


def test_common_finds_the_person_s_tenant_and_the_app_s_audience_decides(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.multi, WEB, tenant="organizations")
    code = stored_code(world.runtime, answer(sign_in(browser, page, "carol@fabrikam.test"))["code"])
    assert code.tenant_id == world.other_tenant_id and code.client_app_id == world.multi
    named = world.authorize(browser, world.web, WEB, tenant=world.other_tenant_id)[1]   # not registered there
    assert named.status_code == 400 and "AADSTS700016" in named.text


def refused_at_common(world: World, reply: dict[str, str], query: dict[str, str]) -> None:
    assert reply["error"] == "invalid_request" and "code" not in reply and reply["state"] == query["state"]
    assert reply["error_description"].startswith(
        f"AADSTS50194: Application '{world.web}'(Things Web) is not configured as a multi-tenant application. "
        "Usage of the /common endpoint is not supported for such applications")


def test_an_application_of_one_organization_is_refused_through_common(world: World) -> None:
    """AADSTS50194, sent back to the client once the person is known (her own tenant's people too), and by
    single sign-on; the application's own tenant signs her in, and a first-party client works through both."""
    other = Browser(world.server)
    for tenant, person in (("common", "carol@fabrikam.test"), ("organizations", "bob@contoso.test")):
        query, page = world.authorize(other, world.web, WEB, tenant=tenant)
        password = other.submit(page, loginfmt=person)
        refused_at_common(world, answer(other.submit(password, passwd=PASSWORD)), query)
    _, page = world.authorize(other, world.web, WEB)
    assert "code" in answer(sign_in(other, page, "bob@contoso.test"))
    query, silent = world.authorize(other, world.web, WEB, tenant="common")   # bob's session signs him in
    refused_at_common(world, answer(silent), query)
    for tenant in ("common", "organizations"):
        reply = answer(world.authorize(other, builtins.AZURE_CLI_APP_ID, "http://localhost:40123", tenant=tenant)[1])
        assert stored_code(world.runtime, reply["code"]).tenant_id == world.tenant_id
    other.close()


def test_a_disabled_account_and_an_unassigned_user_are_told_why(world: World, browser: Browser) -> None:
    rt = world.runtime
    erin = rt.directory.create_user(world.tenant_id, "erin@contoso.test", "Erin", password=PasswordProfile(PASSWORD))
    rt.directory.update_user(world.tenant_id, erin.id, {"accountEnabled": False})
    _, page = world.authorize(browser, world.web, WEB)
    disabled = browser.submit(browser.submit(page, loginfmt="erin@contoso.test"), passwd=PASSWORD)
    assert disabled.status_code == 400 and "Your account has been disabled" in disabled.text
    assigned = rt.directory.create_application(world.tenant_id, "Assigned Only", with_service_principal=True,
                                               settings={"web.redirectUris": [WEB]})
    sp = rt.directory.service_principal_by_app_id(world.tenant_id, assigned.app_id)
    rt.directory.update_service_principal(world.tenant_id, sp.id, {"appRoleAssignmentRequired": True})
    _, page = world.authorize(browser, assigned.app_id, WEB)
    refused = browser.submit(browser.submit(page, loginfmt="alice@contoso.test"), passwd=PASSWORD)
    assert refused.status_code == 400 and "AADSTS50105" in refused.text and "location" not in refused.headers
    rt.directory.assign(world.tenant_id, world.alice, sp.id, "00000000-0000-0000-0000-000000000000")
    _, page = world.authorize(browser, assigned.app_id, WEB)
    assert "code" in answer(sign_in(browser, page, "alice@contoso.test"))


def test_a_refusal_on_the_page_is_an_interactive_sign_in_of_the_person(world: World, browser: Browser) -> None:
    _, page = world.authorize(browser, world.web, WEB)
    refused = browser.submit(browser.submit(page, loginfmt="bob@contoso.test"), passwd="Not-Bobs-1")
    assert refused.status_code == 400
    query = "?$filter=" + quote(f"appId eq '{world.web}' and status/errorCode eq 50126")
    deadline, found = time.monotonic() + 10, []
    while not found and time.monotonic() < deadline:
        found = world.server.graph("GET", f"/auditLogs/signIns{query}").json()["value"]
        time.sleep(0.2)
    assert found, "the page's refusal is not in the sign-in log"
    row = found[0]
    assert (row["userId"], row["userPrincipalName"], row["isInteractive"]) == (world.bob, "bob@contoso.test", True)
    assert "Not-Bobs-1" not in json.dumps(row)


def test_msal_s_auth_code_flow_request_is_answered_as_msal_expects(world: World, browser: Browser,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """msal builds the request (PKCE S256, state, nonce, client_info=1); the answer carries its state back,
    and msal's own check of the answer accepts it (the code's redemption is the token endpoint's)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", world.server.info["ca_bundle"])   # requests prefers it to verify
    app = msal.PublicClientApplication(builtins.AZURE_CLI_APP_ID, authority=f"{world.server.url}/{world.tenant_id}",
                                       instance_discovery=False, verify=world.server.ca_cert)
    flow = app.initiate_auth_code_flow(["https://graph.microsoft.com/User.Read"], redirect_uri="http://localhost:8765",
                                       login_hint="alice@contoso.test", response_mode="form_post")
    page = browser.http.get(flow["auth_uri"])
    assert page.status_code == 200 and forms(page.text)[0].fields["loginfmt"] == "alice@contoso.test"
    posted = forms(sign_in(browser, page, "alice@contoso.test").text)[0]
    assert posted.action == "http://localhost:8765" and posted.method == "post"
    reply = posted.fields
    assert reply["state"] == flow["state"] and json.loads(base64.urlsafe_b64decode(reply["client_info"] + "==")) == {
        "uid": world.alice, "utid": world.tenant_id}
    code = stored_code(world.runtime, reply["code"])
    assert code.code_challenge == challenge_of(flow["code_verifier"]) and code.code_challenge_method == "S256"
    assert code.nonce is not None and code.scope.split()[0] == "https://graph.microsoft.com/User.Read"
    result = app.acquire_token_by_auth_code_flow(flow, reply)   # raises ValueError when msal rejects the answer
    assert isinstance(result, dict)
