"""People across replicas of one PostgreSQL database: a sign-in begun on one replica is finished on the other
(the page's state and CSRF token are the replicas' shared secret's), the code it gives redeems at the other
and once only, the refresh token renews at either, and a device code asked at one is answered on the other's
device login page. Nothing of a sign-in lives in a replica's memory."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.domain import builtins

from ..http.pages_support import PASSWORD, VERIFIER, Browser, add_domain, answer, authorize_query, text
from ..support import Server, servers_on_one_database

USER = "rhea@contoso.test"
REDIRECT = "http://localhost:7000"   # the Azure CLI's loopback redirect URI, on any port
CLI = builtins.AZURE_CLI_APP_ID
SCOPE = "openid offline_access https://graph.microsoft.com/User.Read"


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    with servers_on_one_database(tmp_path_factory) as servers:
        rt = servers[0].runtime()
        try:
            add_domain(rt, servers[0].tenant_id, "contoso.test")
            rt.directory.create_user(servers[0].tenant_id, USER, "Rhea", password=PasswordProfile(PASSWORD))
        finally:
            rt.store.dispose()
        yield servers


def moved(browser: Browser, to: Server) -> Browser:
    """The same browser (its cookies), now reaching the other replica."""
    other = Browser(to)
    for cookie in browser.http.cookies.jar:
        other.http.cookies.set(cookie.name, cookie.value or "")
    return other


def token(server: Server, **form: str) -> httpx.Response:
    with server.http() as client:
        return client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={"client_id": CLI, **form})


def test_a_sign_in_spans_replicas_and_its_code_and_refresh_token_work_at_either(replicas: list[Server]) -> None:
    a, b = replicas
    at_a = Browser(a)
    name_page = at_a.get(f"/{a.tenant_id}/oauth2/v2.0/authorize", **authorize_query(CLI, REDIRECT, scope=SCOPE))
    password_page = at_a.submit(name_page, loginfmt=USER)
    at_b = moved(at_a, b)
    kmsi = at_b.submit(password_page, passwd=PASSWORD)       # the form of A's page, posted to B
    assert "Stay signed in?" in kmsi.text, kmsi.text
    code = answer(at_b.submit(kmsi))["code"]
    issued = token(a, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER,
                   scope=SCOPE)
    assert issued.status_code == 200, issued.text
    renewed = token(b, grant_type="refresh_token", refresh_token=issued.json()["refresh_token"], scope=SCOPE)
    assert renewed.status_code == 200, renewed.text
    again = token(a, grant_type="refresh_token", refresh_token=renewed.json()["refresh_token"], scope=SCOPE)
    assert again.status_code == 200, again.text
    # The code, spent at A, is refused at B; and that second redemption revokes what the first one issued.
    assert token(b, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER,
                 scope=SCOPE).json()["error_codes"] == [54005]
    assert token(a, grant_type="refresh_token", refresh_token=again.json()["refresh_token"],
                 scope=SCOPE).json()["error_codes"] == [70000]
    at_a.close()
    at_b.close()


def test_a_device_code_asked_at_one_replica_is_answered_at_the_other(replicas: list[Server]) -> None:
    a, b = replicas
    with a.http() as client:
        offer = client.post(f"/{a.tenant_id}/oauth2/v2.0/devicecode", data={"client_id": CLI, "scope": SCOPE}).json()
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": offer["device_code"]}
    assert token(a, **poll).json()["error"] == "authorization_pending"
    at_b = Browser(b)
    page = at_b.submit(at_b.get("/devicelogin"), otc=offer["user_code"])
    confirm = at_b.submit(at_b.submit(page, loginfmt=USER), passwd=PASSWORD)
    assert "Azure CLI" in text(confirm)
    assert at_b.submit(confirm).status_code == 200
    issued = token(a, **poll)
    assert issued.status_code == 200 and issued.json()["refresh_token"], issued.text
    at_b.close()
