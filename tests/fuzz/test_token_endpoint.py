"""The token endpoint on any input. In process: the form and HTTP Basic parsers return their values or
Entra's invalid_request, nothing else. Through a real server: a few hundred generated requests (forms
built from the endpoint's own words and real ids, raw bytes, odd content types, Basic headers, tenants)
never get a 5xx, and every refusal is an OAuth error JSON carrying an AADSTS code."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tenantd.domain.errors import OAuthError
from tenantd.http import sts

from ..http.conftest import serving
from ..support import Server
from .hostile import HOSTILE
from .support import SECONDS, examples, fuzz_settings, within

FORM_ERRORS = {900144, 90015}
MAX_FIELDS = 32   # the form's documented bound


def _refusal(exc: OAuthError) -> None:
    assert exc.status == 400 and exc.error == "invalid_request" and exc.aadsts in FORM_ERRORS


# -- the parsers, in process ------------------------------------------------------------------------------
@fuzz_settings(500)
@given(st.binary(max_size=600))
def test_any_body_is_a_form_or_invalid_request(body: bytes) -> None:
    with within(SECONDS, "parsing a form"):
        try:
            form = sts.parse_form(body)
        except OAuthError as exc:
            _refusal(exc)
            return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in form.items())
    assert len(form) <= MAX_FIELDS


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@fuzz_settings(300)
@given(st.dictionaries(TEXT, TEXT, max_size=MAX_FIELDS))
def test_a_form_reads_back_what_was_encoded(fields: dict[str, str]) -> None:
    assume("" not in fields)   # parse_qsl drops a pair with an empty name and value
    if any("\x00" in text for pair in fields.items() for text in pair):
        with pytest.raises(OAuthError) as caught:   # the store cannot hold NUL: refused at the door
            sts.parse_form(urlencode(fields).encode())
        _refusal(caught.value)
        return
    assert sts.parse_form(urlencode(fields).encode()) == fields


@fuzz_settings(200)
@given(st.lists(st.tuples(st.sampled_from(["a", "client_id", "scope"]), TEXT), min_size=2, max_size=6))
def test_a_repeated_parameter_is_refused(pairs: list[tuple[str, str]]) -> None:
    assume(len({k for k, _ in pairs}) < len(pairs) and not any("\x00" in v for _, v in pairs))
    with pytest.raises(OAuthError) as caught:
        sts.parse_form(urlencode(pairs).encode())
    assert caught.value.aadsts == 90015


def test_too_many_fields_are_refused() -> None:
    with pytest.raises(OAuthError) as caught:
        sts.parse_form("&".join(f"f{i}=x" for i in range(MAX_FIELDS + 1)).encode())
    _refusal(caught.value)


# Header values reach the app as latin-1 text: every code point below 256 can arrive (on the wire, not
# control characters but tab).
HEADER_TEXT = st.text(st.characters(max_codepoint=255), max_size=80)
WIRE_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=255, exclude_characters="\x7f"),
                           max_size=80)


@fuzz_settings(500)
@given(st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda t: "Basic " + t),
                 st.binary(max_size=60).map(lambda b: "Basic " + base64.b64encode(b).decode())))
def test_any_authorization_header_is_credentials_none_or_invalid_request(header: str) -> None:
    try:
        found = sts.parse_basic(header)
    except OAuthError as exc:
        _refusal(exc)
        return
    assert found is None or (isinstance(found[0], str) and isinstance(found[1], str))


@fuzz_settings(300)
@given(TEXT, TEXT)
def test_basic_credentials_read_back(user: str, password: str) -> None:
    """RFC 6749 section 2.3.1: both parts are form-url-encoded before base64."""
    raw = f"{quote_plus(user)}:{quote_plus(password)}".encode()
    assert sts.parse_basic("Basic " + base64.b64encode(raw).decode()) == (user, password)


# -- the endpoint, through a real server ------------------------------------------------------------------
GRANTS = ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer", "authorization_code",
          "refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code", "device_code",
          "managed_identity", "", "CLIENT_CREDENTIALS"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_LIKE = st.builds(lambda parts: ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts),
                     st.lists(st.binary(max_size=40), min_size=1, max_size=5))



def _b64json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode("ascii")).rstrip(b"=").decode()


@st.composite
def hostile_assertions(draw: st.DrawFn, client_id: str) -> str:
    """A client assertion whose header names a key by hostile text and whose claims quote hostile text."""
    header = {"alg": draw(st.sampled_from(["RS256", "PS256"])),
              draw(st.sampled_from(["x5t", "x5t#S256", "kid"])): draw(HOSTILE)}
    claims = {"aud": draw(st.one_of(HOSTILE, st.just("https://localhost/token"))),
              "iss": draw(st.one_of(HOSTILE, st.just(client_id))), "sub": draw(st.one_of(HOSTILE, st.just(client_id))),
              "exp": time.time() + 600, "nbf": time.time() - 60}
    return f"{_b64json(header)}.{_b64json(claims)}.c2ln"


@st.composite
def requests(draw: st.DrawFn, known: dict[str, str]) -> dict[str, Any]:
    """One token request: the endpoint version, the tenant segment, headers and a body. Most start from a
    well-formed client credentials form and change a few fields, so they get past the form checks."""
    word = st.one_of(TEXT, HOSTILE.map(lambda t: t.encode("utf-8", "replace").decode()), JWT_LIKE, st.sampled_from([
        known["client_id"], known["tenant_id"], "https://graph.microsoft.com/.default", "api://tenantd/.default",
        "https://graph.microsoft.com", ASSERTION_TYPE, "openid profile", "00000000-0000-0000-0000-000000000000",
        "/.default", "a" * 300, "A" * 43, "alice@contoso.test", "User.Read", "api://things/Things.Read",
        "http://localhost"]))
    value = {
        "grant_type": st.sampled_from(GRANTS), "client_assertion_type": st.just(ASSERTION_TYPE),
        "client_assertion": JWT_LIKE, "assertion": JWT_LIKE, "client_id": word, "client_secret": word,
        "scope": word, "resource": word, "requested_token_use": st.just("on_behalf_of"),
        "code": word, "refresh_token": word, "device_code": word, "code_verifier": word, "redirect_uri": word,
        "username": word, "password": word, "client_info": st.just("1"),
    }
    form = {"grant_type": "client_credentials", "client_id": known["client_id"], "client_secret": draw(TEXT),
            "scope": "https://graph.microsoft.com/.default"}
    for name in draw(st.lists(st.one_of(st.sampled_from(sorted(value)), TEXT), max_size=4)):
        if draw(st.booleans()):
            form.pop(name, None)
        else:
            form[name] = draw(value.get(name, word))
    if draw(st.integers(0, 3)) == 0:   # a certificate or federated assertion alone, as msal sends one
        form = {"grant_type": "client_credentials", "client_id": known["client_id"], "scope": form.get("scope", ""),
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": draw(hostile_assertions(known["client_id"]))}
    pairs = list(form.items())
    body = draw(st.one_of(st.just(urlencode(pairs).encode()), st.just(urlencode(pairs).encode()),
                          st.binary(max_size=200), st.just(urlencode(pairs + pairs[:1]).encode())))
    content_type = draw(st.one_of(st.just("application/x-www-form-urlencoded"), st.sampled_from([
        "application/x-www-form-urlencoded; charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED",
        "application/json", "multipart/form-data; boundary=x", "", None])))
    headers = {"content-type": content_type} if content_type is not None else {}
    authorization = draw(st.one_of(st.none(), WIRE_HEADER_TEXT.map(lambda t: "Basic " + t),
                                   st.binary(max_size=60).map(lambda b: "Basic " + base64.b64encode(b).decode())))
    if authorization is not None:   # a header value cannot end in whitespace on the wire
        headers["authorization"] = authorization.rstrip(" \t").encode("latin-1")
    tenant = draw(st.one_of(st.just(known["tenant_id"]), st.sampled_from([
        "common", "organizations", "consumers", "00000000-0000-0000-0000-000000000000", "localhost"]),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/"), min_size=1, max_size=40),
        HOSTILE.map(lambda t: t.replace("/", "").strip(".") or "x")))   # no dot segment: the client drops it
    return {"version": draw(st.sampled_from(["oauth2/v2.0/token", "oauth2/token"])),
            "tenant": quote(tenant, safe="", errors="surrogatepass"), "headers": headers, "body": body}


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert body["token_type"] == "Bearer" and body["access_token"]
        return
    assert isinstance(body["error"], str) and body["error"]
    codes = body["error_codes"]
    assert isinstance(codes, list) and len(codes) == 1 and isinstance(codes[0], int)
    assert re.match(rf"AADSTS{codes[0]}: ", body["error_description"]), body["error_description"]
    if response.status_code == 429:
        assert int(response.headers["retry-after"]) > 0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def tenantd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server without the failed-authentication throttle, whose 429s would otherwise stop the generated
    requests from reaching the refusals after their first few failures."""
    with serving(request.param, tmp_path_factory, "--auth-failure-limit", "0",
                 "--auth-failure-client-limit", "0") as running:
        yield running


@pytest.fixture(scope="module")
def known(tenantd: Server) -> dict[str, str]:
    return {"client_id": str(tenantd.info["admin_client_id"]), "tenant_id": tenantd.tenant_id}


def test_generated_token_requests_get_a_token_or_an_oauth_error(tenantd: Server, known: dict[str, str]) -> None:
    """On SQLite and on PostgreSQL (which refuses NUL in text), over one keep-alive connection."""
    seen: set[int] = set()   # AADSTS codes
    with tenantd.http() as client:
        @settings(max_examples=examples(300), deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        @given(requests(known))
        def check(request: dict[str, Any]) -> None:
            response = client.post(f"/{request['tenant']}/{request['version']}", headers=request["headers"],
                                   content=request["body"])
            _check(response)
            seen.update(response.json().get("error_codes", []))

        check()
    assert len(seen) >= 5, seen   # the requests reached many of the refusals, not only the form checks
