"""tenantd.protect's validator on garbage: whatever the token, ``validate`` returns the claims of a genuine
token or raises InvalidToken, never another exception, in bounded time and memory. The validator is set up
against a real tenantd, as an API would be, and the garbage includes near misses of a genuine token: every
part re-encoded with changed members, characters flipped, parts swapped or cut."""

from __future__ import annotations

import base64
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given
from hypothesis import strategies as st

from tenantd.domain import builtins
from tenantd.protect import Claims, InvalidToken, TokenValidator

from ..support import Server
from .support import SECONDS, fuzz_settings, within

GRAPH = "https://graph.microsoft.com"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.fixture(scope="module")
def validator(server: Server) -> Iterator[TokenValidator]:
    checker = TokenValidator(tenant_id=server.tenant_id, audiences=[GRAPH, builtins.GRAPH_APP_ID],
                             authority=server.url, verify=server.ca_cert, timeout=5.0)
    checker.load()
    yield checker


@pytest.fixture(scope="module")
def genuine(server: Server, validator: TokenValidator) -> str:
    token = server.admin_token()
    assert isinstance(validator.validate(token), Claims)
    return token


def verdict(validator: TokenValidator, token: Any, genuine: str) -> None:
    """The contract: the genuine token's claims, or InvalidToken for anything else; quickly."""
    with within(SECONDS, "validating a token"):
        try:
            claims = validator.validate(token)
        except InvalidToken as exc:
            assert exc.status == 401 and exc.error == "invalid_token"
            return
    assert token == genuine and isinstance(claims, Claims), "a token that is not the genuine one was accepted"


JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
                    lambda inner: st.one_of(st.lists(inner, max_size=4),
                                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=15)
HEADER_MEMBERS = {"alg": st.sampled_from(["RS256", "none", "None", "HS256", "PS256", "ES256", "RS512", "", 5]),
                  "kid": st.one_of(st.text(max_size=50), JSON, st.just("../../etc/passwd"), st.just("x" * 10_000)),
                  "typ": st.sampled_from(["JWT", "at+jwt", "JWE", "", None]),
                  "crit": JSON, "jku": st.just("https://evil.example/keys"), "jwk": JSON, "x5c": JSON,
                  "x5u": st.just("https://evil.example/cert"), "enc": st.just("A256GCM"), "zip": st.just("DEF"),
                  "b64": st.booleans(), "x5t": st.text(max_size=30)}
CLAIMS = {"aud": st.one_of(st.just(GRAPH), st.lists(st.just(GRAPH)), JSON), "iss": JSON, "tid": JSON,
          "exp": st.one_of(st.integers(), st.floats(), st.text(max_size=10), st.booleans()), "nbf": JSON,
          "iat": JSON, "roles": JSON, "oid": JSON, "appid": JSON, "ver": st.sampled_from(["1.0", "2.0", 2]),
          "idtyp": st.sampled_from(["app", "user"]), "scp": JSON}


@st.composite
def changed_object(draw: st.DrawFn, original: dict[str, Any], members: dict[str, st.SearchStrategy[Any]]) -> bytes:
    """``original`` with members set, added or removed, as JSON (sometimes with a member twice, or nested
    deep, or not JSON at all)."""
    obj = dict(original)
    for name in draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=4)):
        if draw(st.booleans()) and name in obj:
            del obj[name]
        else:
            obj[name] = draw(members[name])
    text = json.dumps(obj, allow_nan=True)
    form = draw(st.sampled_from(["plain", "plain", "duplicate", "deep", "noise"]))
    if form == "duplicate" and len(obj) > 0:
        name = draw(st.sampled_from(sorted(obj)))
        text = text[:-1] + ("," if obj else "") + json.dumps(name) + ": " + json.dumps(draw(JSON)) + "}"
    elif form == "deep":
        text = text[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"
    elif form == "noise":
        return draw(st.binary(max_size=80))
    return text.encode()


@st.composite
def near_misses(draw: st.DrawFn, genuine: str) -> str:
    head, body, signature = genuine.split(".")
    header, payload = json.loads(unb64(head)), json.loads(unb64(body))
    kind = draw(st.sampled_from(["header", "payload", "both", "flip", "cut", "swap", "signature", "parts"]))
    if kind in ("header", "both"):
        head = b64(draw(changed_object(header, HEADER_MEMBERS)))
    if kind in ("payload", "both"):
        body = b64(draw(changed_object(payload, CLAIMS)))
    token = ".".join([head, body, signature])
    if kind == "flip":
        index = draw(st.integers(0, len(token) - 1))
        token = token[:index] + draw(st.sampled_from("AQgw_-.=+/ \x00é")) + token[index + 1:]
    elif kind == "cut":
        token = token[:draw(st.integers(0, len(token) - 1))]
    elif kind == "swap":
        token = ".".join([body, head, signature])
    elif kind == "signature":
        token = ".".join([head, body, draw(st.one_of(st.just(""), st.binary(max_size=300).map(b64)))])
    elif kind == "parts":
        extra = draw(st.lists(st.binary(max_size=20).map(b64), min_size=1, max_size=3))
        token = ".".join([head, body, signature, *extra])   # a JWE has five parts
    return token


@fuzz_settings(300)
@given(st.one_of(st.text(max_size=300), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789-_.",
                                                 max_size=300)))
def test_any_text_is_refused(validator: TokenValidator, genuine: str, token: str) -> None:
    verdict(validator, token, genuine)


@fuzz_settings(150)
@given(st.lists(st.one_of(st.binary(max_size=60), JSON.map(lambda v: json.dumps(v).encode())), min_size=1,
                max_size=5))
def test_any_parts_are_refused(validator: TokenValidator, genuine: str, parts: list[bytes]) -> None:
    verdict(validator, ".".join(b64(p) for p in parts), genuine)


@fuzz_settings(200)
@given(st.data())
def test_near_misses_of_a_genuine_token_are_refused(validator: TokenValidator, genuine: str,
                                                    data: st.DataObject) -> None:
    verdict(validator, data.draw(near_misses(genuine)), genuine)


@pytest.fixture(scope="module")
def sign(server: Server) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Signs any claims with the tenant's active key, as tenantd signs its tokens (the keys the validator
    trusts): so the checks after the signature see hostile claims too."""
    rt = server.runtime()
    key = rt.tokens.keyring.active(server.tenant_id)

    def signed(claims: dict[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": key.kid, "x5t": key.kid}
        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64(signature)}"

    yield signed
    rt.store.dispose()


HUGE = st.sampled_from([10**400, -(10**400), 2**63, 2**1024, 1e308, -1e308, 10**20, 0, -1])


@fuzz_settings(200)
@given(st.data())
def test_signed_tokens_with_any_claims_are_claims_or_invalid_token(validator: TokenValidator, genuine: str,
                                                                   sign: Callable[[dict[str, Any]], str],
                                                                   data: st.DataObject) -> None:
    """A token the trusted issuer signed, whatever its claims hold: typed claims or InvalidToken."""
    claims = json.loads(unb64(genuine.split(".")[1]))
    members = {**CLAIMS, "exp": st.one_of(HUGE, CLAIMS["exp"]), "nbf": st.one_of(HUGE, JSON),
               "iat": st.one_of(HUGE, JSON)}
    for name in data.draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=4)):
        if data.draw(st.booleans()):
            claims.pop(name, None)
        else:
            claims[name] = data.draw(members[name])
    token = sign(claims)
    with within(SECONDS, "validating a token"):
        try:
            found = validator.validate(token)
        except InvalidToken:
            return
    assert isinstance(found, Claims)


@pytest.mark.parametrize("token", [
    None, 5, b"bytes", ["a.b.c"], {"token": 1}, "", ".", "..", "....",
    "a" * 1_000_000, ".".join(["a" * 300_000] * 3), b64(b"{" * 100_000) + ".e30.",
    b64(b'{"alg":"RS256","kid":"' + b"k" * 900 + b'"}') + "." + b64(b"[" * 100_000) + ".",
    "é" * 10_000, "\x00" * 1000,
])
def test_huge_or_odd_tokens_are_refused_in_bounded_time_and_memory(validator: TokenValidator, genuine: str,
                                                                   token: Any) -> None:
    tracemalloc.start()
    try:
        verdict(validator, token, genuine)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"validating took {peak} bytes"
