"""The Things example's middle tier, end to end, as a reader runs it after `make up`: tenantd with the demo tenant
(examples/things/tenant.yaml), the Things API (api.py), the Orders API (orders_api.py) and Orders web
(orders_web.py) as uvicorn processes configured by environment only, and megan@contoso.test signing in to the
web app on tenantd's sign-in page in Debian's Chromium.

browser -> Orders web -> Orders API -> Things API: a tap in front of each API keeps the token it received, so
each hop's token is checked as that API saw it. Out of her group, megan is refused by the Things API, and the
Orders API relays the 403 to the web app."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tenantd.domain import builtins

from ..e2e.things_support import ThingsApis, listening_socket
from ..e2e.token_tap import TokenTap
from ..support import Server, start_server
from .entra_page import answer_stay_signed_in, enter_credentials

MEGAN = "megan@contoso.test"
GROUP = "Things API readers"
ORDERS_API = "6f409032-2609-4a53-b729-0c20fa50b8f5"   # appIds pinned in the tenant file
ORDERS_WEB = "5b299d17-79a3-4427-a389-7fcb06de8b1c"
REGISTERED = "http://localhost:8001/auth/callback"    # Orders web's redirect URI in the tenant file


@dataclass(frozen=True)
class Chain:
    web: str                 # Orders web, at http://localhost:{port} as its redirect URI names it
    web_log: Path
    orders: str              # the Orders API itself
    orders_tap: TokenTap     # in front of the Orders API: what Orders web sends it
    things_tap: TokenTap     # in front of the Things API: what the Orders API sends it
    password: str            # megan's, from demo-secrets.json
    megan_id: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--demo")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def chain(server: Server) -> Iterator[Chain]:
    secrets = json.loads((server.data / "demo-secrets.json").read_text())
    api, web = secrets["applications"]["Orders API"], secrets["applications"]["Orders web"]
    servers, taps = ThingsApis(server), []
    tenant = {"ORDERS_TENANT_ID": server.tenant_id, "ORDERS_AUTHORITY": server.url}
    try:
        taps.append(things_tap := TokenTap(servers.start_api()))
        orders = servers.start("orders_api", {**tenant, "ORDERS_API_CLIENT_ID": api["client_id"],
                                              "ORDERS_API_CLIENT_SECRET": api["client_secret"],
                                              "THINGS_URL": things_tap.url}, "/orders")
        taps.append(orders_tap := TokenTap(orders))
        # The web app's port is a free one: its redirect URI joins the registered one, as a developer adds hers.
        sock = listening_socket()
        redirect_uri = f"http://localhost:{sock.getsockname()[1]}/auth/callback"
        server.cli("app", "set", "Orders web", "--web-redirect-uri", REGISTERED, "--web-redirect-uri", redirect_uri,
                   check=True)
        web_url = servers.start("orders_web", {**tenant, "ORDERS_WEB_CLIENT_ID": web["client_id"],
                                               "ORDERS_WEB_CLIENT_SECRET": web["client_secret"],
                                               "ORDERS_WEB_REDIRECT_URI": redirect_uri,
                                               "ORDERS_URL": orders_tap.url}, "/", sock=sock, host="localhost")
        megan = server.graph("GET", f"/users/{MEGAN}").json()
        yield Chain(web_url, servers.logs[web_url], orders, orders_tap, things_tap,
                    secrets["users"][MEGAN]["password"], megan["id"])
    finally:
        servers.stop()
        for tap in taps:
            tap.close()


def verified(server: Server, token: str, audience: str, version: int) -> dict[str, Any]:
    """The claims of a token, checked as the API it was sent to checks them: the keys and the issuer of the
    discovery document of the token's version."""
    path = "v2.0/.well-known/openid-configuration" if version == 2 else ".well-known/openid-configuration"
    with server.http() as client:
        discovery = client.get(f"/{server.tenant_id}/{path}").json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ssl.create_default_context(cafile=server.ca_cert))
    return dict(jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"], audience=audience,
                           issuer=discovery["issuer"]))


def signed_in(context: BrowserContext, chain: Chain) -> Page:
    """Megan signs in to Orders web as a person does: its Sign in link, tenantd's sign-in page, back home."""
    page = context.new_page()
    page.goto(chain.web)
    page.click("#sign-in")
    enter_credentials(page, MEGAN, chain.password)
    answer_stay_signed_in(page, stay=False)
    page.wait_for_url(f"{chain.web}/")
    return page


def test_megan_reads_her_orders_and_the_things_in_them_through_each_hop(server: Server, chain: Chain,
                                                                         browser_context: BrowserContext) -> None:
    page = signed_in(browser_context, chain)
    expect(page.locator("#orders")).to_contain_text("teapot")
    expect(page.locator("#orders")).to_contain_text("mug")
    expect(page.get_by_text(f"Signed in as {MEGAN}")).to_be_visible()
    # Her session is a random key in an HttpOnly, SameSite=Lax cookie; the sign-in cookie is gone.
    cookies = {c["name"]: c for c in browser_context.cookies(chain.web) if c["name"].startswith("orders_")}
    assert list(cookies) == ["orders_session"] and len(cookies["orders_session"]["value"]) >= 43
    assert cookies["orders_session"]["httpOnly"] and cookies["orders_session"]["sameSite"] == "Lax"

    # Orders web -> Orders API: her v2 token for the Orders API, with the scope Orders web was granted.
    assert chain.orders_tap.last.status == 200
    incoming = verified(server, chain.orders_tap.last.token, ORDERS_API, version=2)
    assert (incoming["oid"], incoming["azp"], incoming["scp"]) == (chain.megan_id, ORDERS_WEB, "Orders.Read")
    assert incoming["preferred_username"] == MEGAN and "roles" not in incoming
    # Orders API -> Things API: the on-behalf-of token (v1, as the Things API asks): still megan, now with the
    # Orders API as the caller, the scope it was granted, and her group's role on the Things API.
    assert chain.things_tap.last.status == 200
    downstream = verified(server, chain.things_tap.last.token, "api://things", version=1)
    assert (downstream["oid"], downstream["upn"], downstream["appid"]) == (chain.megan_id, MEGAN, ORDERS_API)
    assert downstream["scp"] == "Things.Read" and downstream["roles"] == ["Things.Read.All"]

    # The code came back in a form POST: in no URL, so in no access log line.
    log = chain.web_log.read_text()
    assert '"POST /auth/callback HTTP/1.1" 303' in log and "code=" not in log

    page.click("#sign-out")
    expect(page.locator("#signedOut")).to_be_visible()
    page.goto(chain.web)
    expect(page.locator("#sign-in")).to_be_visible()


def test_out_of_her_group_the_things_api_refuses_her_and_the_orders_api_relays_its_403(
        server: Server, chain: Chain, browser_context: BrowserContext) -> None:
    page = signed_in(browser_context, chain)
    expect(page.locator("#orders")).to_contain_text("teapot")
    hers = chain.orders_tap.last.token
    server.cli("group", "remove-member", GROUP, MEGAN, check=True)
    try:
        # The same token for the Orders API (Orders web's cached one), exchanged anew: no role any more.
        refused = page.reload()
        assert refused is not None and refused.status == 403
        expect(page.locator("#error")).to_contain_text("The Orders API answered 403")
        expect(page.locator("#error")).to_contain_text('error="insufficient_scope"')
        assert (chain.orders_tap.last.status, chain.things_tap.last.status) == (403, 403)
        assert chain.orders_tap.last.token == hers
        downstream = verified(server, chain.things_tap.last.token, "api://things", version=1)
        assert downstream["oid"] == chain.megan_id and downstream["scp"] == "Things.Read" and "roles" not in downstream
    finally:
        server.cli("group", "add-member", GROUP, MEGAN, check=True)
    again = page.reload()
    assert again is not None and again.status == 200


def test_the_orders_api_takes_only_a_persons_token_for_it_with_orders_read(server: Server, chain: Chain) -> None:
    downstream_calls = len(chain.things_tap.passed)
    secrets = json.loads((server.data / "demo-secrets.json").read_text())

    def orders(token: str | None) -> httpx.Response:
        return httpx.get(f"{chain.orders}/orders", headers={"Authorization": f"Bearer {token}"} if token else {})

    assert orders(None).status_code == 401
    # Orders web as itself (client credentials): a valid token for the Orders API, but nobody's: 403.
    web = secrets["applications"]["Orders web"]
    app_only = server.token(web["client_id"], web["client_secret"], "api://orders/.default").json()["access_token"]
    refused = orders(app_only)
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    # Megan's own token for the Things API (through the Azure CLI) is not for the Orders API: 401.
    with server.http() as client:
        hers = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
            "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": MEGAN,
            "password": chain.password, "scope": "api://things/.default"}).json()["access_token"]
    other = orders(hers)
    assert other.status_code == 401 and 'error="invalid_token"' in other.headers["www-authenticate"]
    assert len(chain.things_tap.passed) == downstream_calls   # nothing went on to the Things API


def test_orders_web_redeems_only_a_sign_in_this_browser_started(chain: Chain) -> None:
    """A forged callback (login CSRF: an attacker's code posted from another site) finds no sign-in: 400."""
    forged = httpx.post(f"{chain.web}/auth/callback", data={"code": "attackers-code", "state": "attackers-state"})
    assert forged.status_code == 400 and "No sign-in was started" in forged.text
    # A sign-in started in this browser, answered with another sign-in's state: msal refuses it, 400.
    started = httpx.get(f"{chain.web}/auth/signin")
    assert started.status_code == 302 and "/oauth2/v2.0/authorize?" in started.headers["location"]
    mixed = httpx.post(f"{chain.web}/auth/callback", data={"code": "attackers-code", "state": "attackers-state"},
                       headers={"Cookie": f"orders_sign_in={started.cookies['orders_sign_in']}"})
    assert mixed.status_code == 400 and "not started in this browser" in mixed.text
