"""SECURITY.md item 41, the authorize endpoint's ID tokens (``response_type=id_token``, ``code id_token``):
only an application that enabled ID token issuance gets one; the request must carry a ``nonce``, which the
ID token carries back; an ID token never travels in a query string; and an ID token from the authorize
endpoint is not an access token: Graph, the admin API and the UserInfo endpoint refuse it, and so does
``tenantd.protect`` guarding an application that is its own API (the token's audience)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tenantd.directory.people import PasswordProfile
from tenantd.protect import InvalidToken, TokenValidator

from ..http.pages_support import PASSWORD, Browser, add_domain, answer, authorize_query, sign_in
from ..http.people_support import claims
from ..support import Server

WEB = "https://implicit41.example/signin-oidc"


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[dict[str, str]]:
    rt = server.runtime()
    tid = server.tenant_id
    add_domain(rt, tid, "contoso.test")
    implicit = rt.directory.create_application(tid, "Implicit 41", with_service_principal=True, settings={
        "web.redirectUris": [WEB], "web.implicitGrantSettings": {"enableIdTokenIssuance": True}})
    plain = rt.directory.create_application(tid, "Plain 41", with_service_principal=True,
                                            settings={"web.redirectUris": [WEB]})
    rt.directory.create_user(tid, "ida41@contoso.test", "Ida", password=PasswordProfile(PASSWORD))
    rt.store.dispose()
    yield {"implicit": implicit.app_id, "plain": plain.app_id}


@pytest.fixture
def browser(server: Server, world: dict[str, str]) -> Iterator[Browser]:
    """A browser whose session holds Ida, so that every authorize request below answers at once."""
    b = Browser(server)
    sign_in(b, authorize(b, server, world["implicit"], "code"), "ida41@contoso.test")
    yield b
    b.close()


def authorize(browser: Browser, server: Server, client_id: str, response_type: str = "id_token",
              **extra: str | None) -> httpx.Response:
    query = authorize_query(client_id, WEB, **{"response_type": response_type, "scope": "openid", **extra})
    return browser.get(f"/{server.tenant_id}/oauth2/v2.0/authorize", **query)


def test_41_the_nonce_is_required_and_comes_back_in_the_id_token(server: Server, world: dict[str, str],
                                                                browser: Browser) -> None:
    for response_type in ("id_token", "code id_token"):
        refused = answer(authorize(browser, server, world["implicit"], response_type, nonce=None))
        assert refused["error_description"].startswith("AADSTS90014:") and "id_token" not in refused
        found = answer(authorize(browser, server, world["implicit"], response_type, nonce="n-41-" + response_type))
        assert claims(found["id_token"])["nonce"] == "n-41-" + response_type


def test_41_only_an_application_that_enabled_id_tokens_gets_one(server: Server, world: dict[str, str],
                                                              browser: Browser) -> None:
    for response_type in ("id_token", "code id_token"):
        refused = answer(authorize(browser, server, world["plain"], response_type))
        assert refused["error_description"].startswith("AADSTS700054:") and "id_token" not in refused


def test_41_an_id_token_never_travels_in_a_query_string(server: Server, world: dict[str, str],
                                                       browser: Browser) -> None:
    for response_type in ("id_token", "code id_token"):
        reply = authorize(browser, server, world["implicit"], response_type, response_mode="query")
        assert "id_token" not in urlsplit(reply.headers["location"]).query
        assert answer(reply)["error_description"].startswith("AADSTS70007:")


def test_41_an_id_token_from_the_authorize_endpoint_is_not_an_access_token(server: Server, world: dict[str, str],
                                                                          browser: Browser) -> None:
    """Layered: tenantd's APIs refuse its audience and its missing ``idtyp``; protect its missing client claim
    and its ``nonce``/``c_hash``; each refusal holds with either of its two checks removed."""
    for response_type in ("id_token", "code id_token"):
        id_token = answer(authorize(browser, server, world["implicit"], response_type))["id_token"]
        with server.http() as client:
            for path in ("/v1.0/users", "/_tenantd/keys", "/oidc/userinfo"):
                response = client.get(path, headers={"Authorization": f"Bearer {id_token}"})
                assert response.status_code == 401, (path, response.text)
        validator = TokenValidator(tenant_id=server.tenant_id, audiences=[world["implicit"]], authority=server.url,
                                   verify=server.ca_cert)
        with pytest.raises(InvalidToken):
            validator.validate(id_token)
