"""SECURITY.md items 1-14 (token validation), one test or a few per item, named by its number. Tokens are
signed by the test's own identity provider (tests/protect/idp.py), whose keys and failures the test controls;
tokens that real tenantd issues are in test_tenantd.py."""

from __future__ import annotations

import base64
import json
import threading
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenantd.protect import Claims, Forbidden, InvalidToken, KeysUnavailable, TokenValidator, require_roles

from .conftest import Clock
from .idp import (
    API_APP_ID,
    API_URI,
    CLIENT_APP_ID,
    CLIENT_OID,
    Idp,
    b64url,
    encode,
    hs256,
    new_key,
    rs256,
    self_signed_der,
)

HOUR = 3600.0
Make = Callable[..., TokenValidator]


def refused(validator: TokenValidator, token: Any) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        validator.validate(token)
    return caught.value


def loaded(validator: TokenValidator, idp: Idp) -> TokenValidator:
    """The validator after its first token: both discovery documents and JWKS fetched once."""
    assert validator.validate(idp.token()).roles == ("Things.Read.All",)
    assert idp.jwks_hits == 2
    return validator


# -- 1 -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE", "", None])
def test_01_alg_none_or_missing_is_refused_signed_or_not(idp: Idp, validator: TokenValidator, alg: str | None) -> None:
    header = {"typ": "JWT", "kid": "key-1"} | ({} if alg is None else {"alg": alg})
    signing_input = encode(header, idp.claims())
    refused(validator, signing_input + ".")                        # RFC 7519's unsecured JWT
    refused(validator, rs256(signing_input, idp.keys[0]))          # a valid RS256 signature under that header


# -- 2 -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_02_hmac_signed_with_the_public_key_is_refused(idp: Idp, validator: TokenValidator, alg: str) -> None:
    key = idp.keys[0]
    signing_input = encode({"typ": "JWT", "alg": alg, "kid": key.kid}, idp.claims())
    for secret in (key.pem(), key.der(), json.dumps(key.jwk()).encode(), key.jwk()["n"].encode()):
        refused(validator, hs256(signing_input, secret))
    assert validator.validate(idp.token()).tid == idp.tenant      # the same key still verifies RS256


def test_02_an_rsa_key_declaring_another_algorithm_is_not_used(idp: Idp, make_validator: Make) -> None:
    idp.rewrite = lambda doc: {"keys": [k | {"alg": "HS256"} for k in doc["keys"]]} if "keys" in doc else doc
    with pytest.raises(KeysUnavailable):
        make_validator().load()


# -- 3 -----------------------------------------------------------------------------------------------------
def test_03_unknown_kids_cause_one_refresh_per_cooldown_and_no_storm(idp: Idp, validator: TokenValidator,
                                                                     clock: Clock) -> None:
    loaded(validator, idp)
    intruder = new_key("intruder")
    for n in range(50):                                            # inside the cooldown of the first load
        refused(validator, idp.token(key=intruder, header={"kid": f"bogus-{n}"}))
    assert idp.jwks_hits == 2

    clock.advance(301)
    flood = [idp.token(key=intruder, header={"kid": f"flood-{n}"}) for n in range(40)]

    def attack() -> None:
        for token in flood:
            with pytest.raises(InvalidToken):
                validator.validate(token)

    threads = [threading.Thread(target=attack) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert idp.jwks_hits == 3                                      # one fetch, of the v2 JWKS only


def test_03_a_new_key_is_picked_up_once_the_cooldown_allows(idp: Idp, validator: TokenValidator,
                                                           clock: Clock) -> None:
    loaded(validator, idp)
    idp.keys.append(new_key("key-2"))
    rotated = idp.token(key=idp.keys[1])
    refused(validator, rotated)                                    # within the cooldown: not fetched
    clock.advance(301)
    assert validator.validate(rotated).oid == CLIENT_OID
    assert idp.jwks_hits == 3


def test_03_periodic_refresh_stops_trusting_a_removed_key(idp: Idp, validator: TokenValidator,
                                                          clock: Clock) -> None:
    loaded(validator, idp)
    old = idp.keys[0]
    idp.keys = [new_key("key-2")]
    clock.advance(11 * HOUR)
    accepted = idp.token(key=old, exp=int(clock.now) + 2 * 3600)
    assert validator.validate(accepted).oid == CLIENT_OID
    clock.advance(1 * HOUR + 1)                                    # 12 h: both documents fetched again
    refused(validator, accepted)                                   # even the token accepted an hour ago
    refused(validator, idp.token(key=old, iat=int(clock.now), nbf=int(clock.now), exp=int(clock.now) + 600))
    assert idp.jwks_hits == 4


# -- 4 -----------------------------------------------------------------------------------------------------
def test_04_malformed_kids_are_refused_without_any_fetch(idp: Idp, validator: TokenValidator, clock: Clock) -> None:
    loaded(validator, idp)
    clock.advance(301)                                             # a fetch would be allowed now
    for kid in [123, 1.5, True, None, ["key-1"], {"kid": "key-1"}, "", "k" * 500, "k" * 10 * 1024]:
        refused(validator, idp.token(header={"kid": kid}))
    assert idp.jwks_hits == 2
    for kid in ["../../../../etc/passwd", "key-1' OR '1'='1", "key-1/../key-1", "%2e%2e%2fkeys", "key-1\x00"]:
        refused(validator, idp.token(header={"kid": kid}))
    assert idp.jwks_hits == 3                                      # well-formed unknown kids: one fetch in all
    assert set(idp.hits) == {f"/{idp.tenant}/v2.0/.well-known/openid-configuration",
                             f"/{idp.tenant}/.well-known/openid-configuration",
                             f"/{idp.tenant}/discovery/v2.0/keys", f"/{idp.tenant}/discovery/keys"}


# -- 5 -----------------------------------------------------------------------------------------------------
def test_05_keys_in_token_headers_are_never_fetched_or_trusted(idp: Idp, validator: TokenValidator,
                                                              clock: Clock) -> None:
    loaded(validator, idp)
    clock.advance(301)
    evil = new_key("evil")
    embedded = {"jku": f"{idp.url}/evil/jwks", "x5u": f"{idp.url}/evil/cert.pem", "jwk": evil.jwk(),
                "x5c": [base64.b64encode(self_signed_der(evil)).decode()]}
    for kid in ("evil", "key-1"):
        for name, value in embedded.items():
            refused(validator, idp.token(key=evil, header={"kid": kid, name: value}))
        refused(validator, idp.token(key=evil, header={"kid": kid, **embedded}))
    assert not [path for path in idp.hits if "evil" in path]


def test_05_keys_come_only_from_https_discovery(idp: Idp, make_validator: Make, ca: Any) -> None:
    for authority in (idp.url.replace("https:", "http:"), "ftp://127.0.0.1", "//127.0.0.1", "https://"):
        with pytest.raises(ValueError, match="https"):
            make_validator(authority=authority)
    with pytest.raises(ValueError, match="https"):
        make_validator(discovery_urls=[idp.discovery_url().replace("https:", "http:")])
    idp.rewrite = lambda doc: {**doc, "jwks_uri": doc["jwks_uri"].replace("https:", "http:")} \
        if "jwks_uri" in doc else doc
    with pytest.raises(KeysUnavailable):
        make_validator().load()
    assert idp.jwks_hits == 0


# -- 6 -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("failure", ["500", "garbage", "html", "empty", "slow"])
def test_06_a_failing_jwks_endpoint_keeps_the_last_good_keys(idp: Idp, make_validator: Make, clock: Clock,
                                                             failure: str) -> None:
    validator = loaded(make_validator(timeout=0.5), idp)
    idp.mode, idp.slow_seconds = failure, 1.5
    clock.advance(12 * HOUR + 1)                                   # the periodic refresh is due and fails
    token = idp.token(iat=int(clock.now), nbf=int(clock.now), exp=int(clock.now) + 3600)
    assert validator.validate(token).oid == CLIENT_OID
    assert idp.jwks_hits == 4
    assert validator.validate(token).oid == CLIENT_OID            # retried once per cooldown, not per request
    refused(validator, idp.token(key=new_key("key-2"), exp=int(clock.now) + 600))
    assert idp.jwks_hits == 4
    clock.advance(301)                                             # the retries fail again
    assert validator.validate(token).oid == CLIENT_OID
    refused(validator, idp.token(key=new_key("key-2"), exp=int(clock.now) + 600))
    assert idp.jwks_hits == 6
    idp.mode = "ok"                                                # recovered: the next due fetch succeeds
    idp.keys.append(new_key("key-2"))
    clock.advance(301)
    assert validator.validate(idp.token(key=idp.keys[1], exp=int(clock.now) + 600)).oid == CLIENT_OID


def test_06_before_any_key_was_loaded_validation_answers_unavailable_then_recovers(
        idp: Idp, validator: TokenValidator, clock: Clock) -> None:
    idp.mode = "500"
    with pytest.raises(KeysUnavailable):
        validator.validate(idp.token())
    with pytest.raises(KeysUnavailable):
        validator.validate(idp.token())                            # retried after 1 s only, not per request
    assert idp.jwks_hits == 2
    idp.mode = "ok"
    clock.advance(1.5)
    assert validator.validate(idp.token()).oid == CLIENT_OID


# -- 7 -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("aud", ["api://other", "API://things", "api://things/", API_APP_ID.upper(), "", None, 7,
                                 [API_URI], [API_URI, "api://other"], {"aud": API_URI}])
def test_07_another_audience_or_an_unconfigured_list_is_refused(idp: Idp, validator: TokenValidator,
                                                                aud: Any) -> None:
    error = refused(validator, idp.token(aud=aud))
    assert error.description == "The access token is not for this resource."


def test_07_a_list_audience_passes_only_when_configured_and_only_with_ours(idp: Idp, make_validator: Make) -> None:
    validator = make_validator(allow_audience_list=True)
    assert validator.validate(idp.token(aud=["api://other", API_URI])).aud == API_URI
    refused(validator, idp.token(aud=["api://other", "api://more"]))
    refused(validator, idp.token(aud=[API_URI, 7]))
    refused(validator, idp.token(aud=[]))


def test_07_each_configured_audience_is_accepted(idp: Idp, validator: TokenValidator) -> None:
    assert validator.validate(idp.token(version=1)).aud == API_URI
    assert validator.validate(idp.token(version=2)).aud == API_APP_ID
    assert validator.validate(idp.token(version=1, aud=API_APP_ID)).aud == API_APP_ID


# -- 8 -----------------------------------------------------------------------------------------------------
def test_08_the_issuer_is_compared_exactly(idp: Idp, validator: TokenValidator) -> None:
    v1, v2 = idp.issuer_v1, idp.issuer_v2
    assert validator.validate(idp.token(version=1)).iss == v1
    assert validator.validate(idp.token(version=2)).iss == v2
    variants = [
        v2 + ".evil.test", v2 + "/", v2[:-1], v1.rstrip("/"), v1 + "/",             # prefix, trailing slash
        "https://evil.test/?" + v2, "https://evil.test/" + v2,                      # substring
        [v2], [v2, "https://evil.test"], {"iss": v2},                               # not a string
        v2.upper(), v2.replace("https://", "HTTPS://"), v1.replace(idp.tenant, idp.tenant.upper()),  # case
        " " + v2, v2 + "\x00", v2.replace("/v2.0", "/V2.0"), None,
    ]
    for iss in variants:
        refused(validator, idp.token(iss=iss))


# -- 9 -----------------------------------------------------------------------------------------------------
TENANT_A, TENANT_B, TENANT_C = ("a1a1a1a1-0000-4000-8000-00000000000a", "b2b2b2b2-0000-4000-8000-00000000000b",
                                "c3c3c3c3-0000-4000-8000-00000000000c")


@pytest.fixture
def multi(ca: Any, clock: Clock) -> Any:
    running = Idp(ca, tenant="organizations").start()
    running.issuer_v2 = "https://issuer.example.test/{tenantid}/v2.0"
    yield running
    running.stop()


def test_09_multi_tenant_issuer_must_name_the_token_tid_and_an_allowed_tenant(multi: Idp, ca: Any,
                                                                              clock: Clock) -> None:
    validator = TokenValidator(tenant_id="organizations", audiences=[API_APP_ID], authority=multi.url,
                               versions=[2], allowed_tenants=[TENANT_A, TENANT_B], verify=str(ca.ca_file),
                               clock=clock)

    def token(iss_tenant: str, tid: Any) -> str:
        return multi.token(iss=f"https://issuer.example.test/{iss_tenant}/v2.0", tid=tid)

    assert validator.validate(token(TENANT_A, TENANT_A)).tid == TENANT_A
    assert validator.validate(token(TENANT_B, TENANT_B)).tid == TENANT_B
    refused(validator, token(TENANT_A, TENANT_B))                  # issuer of one tenant, tid of another
    refused(validator, token(TENANT_C, TENANT_C))                  # a tenant not allowed
    refused(validator, token("{tenantid}", TENANT_A))              # the template itself
    refused(validator, token(TENANT_A, None))
    refused(validator, token(TENANT_A, [TENANT_A]))
    refused(validator, token(TENANT_A.upper(), TENANT_A.upper()))
    refused(validator, multi.token(iss=f"https://issuer.example.test/{TENANT_A}/v2.0/", tid=TENANT_A))


def test_09_a_multi_tenant_validator_needs_its_tenants_named(multi: Idp) -> None:
    for tenant in ("common", "organizations", "Organizations"):
        with pytest.raises(ValueError, match="allowed_tenants"):
            TokenValidator(tenant_id=tenant, audiences=[API_APP_ID], authority=multi.url)


# -- 10 ----------------------------------------------------------------------------------------------------
def test_10_expiry_and_not_before_follow_the_injected_clock_and_leeway(idp: Idp, validator: TokenValidator,
                                                                       clock: Clock) -> None:
    now = int(clock.now)
    token = idp.token(iat=now, nbf=now, exp=now + 600)
    clock.now = now + 600 + 299                                    # within the default 300 s leeway
    assert validator.validate(token).exp == now + 600
    clock.now = now + 600 + 301
    assert refused(validator, token).description == "The access token has expired."
    clock.now = now - 299
    assert validator.validate(token).oid == CLIENT_OID
    clock.now = now - 301
    assert refused(validator, token).description == "The access token is not yet valid."


def test_10_the_leeway_is_configurable(idp: Idp, make_validator: Make, clock: Clock) -> None:
    validator = make_validator(leeway=0)
    now = int(clock.now)
    token = idp.token(iat=now, nbf=now, exp=now + 600)
    clock.now = now + 601
    refused(validator, token)
    clock.now = now - 1
    refused(validator, token)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["9999999999", True, [9999999999], {"t": 9999999999}, "NaN"])
def test_10_numeric_dates_must_be_numbers(idp: Idp, validator: TokenValidator, claim: str, value: Any) -> None:
    refused(validator, idp.token(**{claim: value}))


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "null"])
def test_10_non_finite_or_null_expiry_is_refused(idp: Idp, validator: TokenValidator, literal: str) -> None:
    payload = json.dumps(idp.claims()).replace('"exp": ', f'"exp": {literal}, "was": ', 1).encode()
    refused(validator, rs256(encode({"typ": "JWT", "alg": "RS256", "kid": "key-1"}, payload), idp.keys[0]))


def test_10_a_token_without_exp_is_refused(idp: Idp, validator: TokenValidator) -> None:
    refused(validator, idp.token(exp=None))


# -- 11 ----------------------------------------------------------------------------------------------------
def test_11_a_valid_token_without_the_role_is_forbidden_not_unauthorized(idp: Idp, validator: TokenValidator) -> None:
    def forbidden(token: str, *roles: str, **rules: Any) -> None:
        claims = validator.validate(token)                         # authentic: not a 401
        with pytest.raises(Forbidden) as caught:
            require_roles(claims, *roles, **rules)
        assert caught.value.status == 403 and caught.value.error == "insufficient_scope"

    read = "Things.Read.All"
    forbidden(idp.token(roles=None), read)
    forbidden(idp.token(roles=[]), read)
    forbidden(idp.token(roles=read), read)                        # a string, not a list
    forbidden(idp.token(roles="Things.Read.All Things.Write"), read)
    forbidden(idp.token(roles=["things.read.all"]), read)          # case differs
    forbidden(idp.token(roles=["THINGS.READ.ALL"]), read)
    forbidden(idp.token(roles=[read + " "]), read)
    forbidden(idp.token(roles=[[read]]), read)
    forbidden(idp.token(roles=None, idtyp="user", scp=read), read)  # delegated, with a scope of that name
    forbidden(idp.token(roles=[read], idtyp="user", scp="Things.Read"), read, principal="app")
    forbidden(idp.token(), read, principal="user")
    forbidden(idp.token(roles=[read]), read, "Things.Write", mode="all")
    claims: Claims = require_roles(validator.validate(idp.token(roles=["Things.Write", read])), read, "Things.Write",
                                   mode="all")
    assert claims.roles == ("Things.Write", read)


# -- 12 ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("crit", [["exp"], ["b64"], ["https://example.test/ext"], [], "exp", False])
def test_12_a_crit_header_is_refused(idp: Idp, validator: TokenValidator, crit: Any) -> None:
    refused(validator, idp.token(header={"crit": crit, "exp": 1, "https://example.test/ext": True}))


@pytest.mark.parametrize("member", [{"b64": False}, {"zip": "DEF"}, {"enc": "A256GCM"}])
def test_12_header_members_that_change_processing_are_refused(idp: Idp, validator: TokenValidator,
                                                              member: dict[str, Any]) -> None:
    refused(validator, idp.token(header=member))


# -- 13 ----------------------------------------------------------------------------------------------------
def test_13_id_tokens_signed_by_the_provider_for_this_api_are_refused(idp: Idp, validator: TokenValidator) -> None:
    """The API's app registration also signs users in, so its ID tokens carry its appId as audience and the
    tenant's issuer: they are told apart by their claims."""
    user: dict[str, Any] = {"idtyp": None, "roles": None, "name": "Alice", "preferred_username": "alice@example.test",
            "oid": "5e5e5e5e-0000-4000-8000-000000000005", "sub": "pairwise-subject"}
    refused(validator, idp.token(version=2, aud=API_APP_ID, azp=None, nonce="n-0S6_WzA2Mj", **user))
    refused(validator, idp.token(version=1, aud=API_APP_ID, appid=None, nonce="n-0S6_WzA2Mj", amr=["pwd"], **user))
    refused(validator, idp.token(version=2, aud=API_APP_ID, azp=None, **user))          # code flow: no nonce
    refused(validator, idp.token(version=2, aud=API_APP_ID, azp=API_APP_ID, nonce="n", **user))
    refused(validator, idp.token(version=2, aud=API_APP_ID, at_hash="77QmUPtjPfzWtF2AnpK9RQ", **user))
    refused(validator, idp.token(version=2, aud=API_APP_ID, c_hash="LDktKdoQak3Pk0cnXxCltA", **user))
    refused(validator, idp.token(version=2, header={"typ": "id_token+jwt"}))


def test_13_client_assertions_are_refused(idp: Idp, validator: TokenValidator) -> None:
    now = int(idp.claims()["iat"])
    assertion = {"aud": f"{idp.url}/{idp.tenant}/oauth2/v2.0/token", "iss": CLIENT_APP_ID, "sub": CLIENT_APP_ID,
                 "jti": "8a0e0f0c-0000-4000-8000-000000000008", "iat": now, "nbf": now, "exp": now + 600}
    client_key = new_key("client-cert")
    for key, kid in ((client_key, "client-cert"), (idp.keys[0], "key-1")):
        header = {"typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid}
        refused(validator, rs256(encode(header, assertion), key))
        refused(validator, rs256(encode(header, assertion | {"aud": API_URI}), key))
        refused(validator, rs256(encode(header, assertion | {"aud": API_APP_ID, "iss": idp.issuer_v2,
                                                            "tid": idp.tenant}), key))


def test_13_an_access_token_without_version_or_client_claim_is_refused(idp: Idp, validator: TokenValidator) -> None:
    for changes in ({"ver": None}, {"ver": "3.0"}, {"ver": 2.0}, {"azp": None}, {"azp": 7}, {"tid": None},
                    {"tid": ""}):
        refused(validator, idp.token(version=2, **changes))
    refused(validator, idp.token(version=1, appid=None, azp=CLIENT_APP_ID))
    refused(validator, idp.token(version=2, azp=None, appid=CLIENT_APP_ID))


# -- 14 ----------------------------------------------------------------------------------------------------
def _b64url_json(text: str) -> str:
    return b64url(text.encode())


def test_14_garbage_is_refused(idp: Idp, validator: TokenValidator) -> None:
    good = idp.token()
    head, body, sig = good.split(".")
    jwe_header = _b64url_json('{"alg":"RSA-OAEP","enc":"A256GCM","kid":"key-1"}')
    not_objects = [_b64url_json(text) for text in ("[]", "null", '"text"', "1")]
    not_utf8, bom = b64url(b"\xff\xfe{}"), b64url(b"\xef\xbb\xbf{}")
    garbage: list[Any] = [
        None, 7, b"bytes", good.encode(), "", ".", "..", "...", "a.b", "a.b.c.d", good + ".", "." + good,
        good.replace(".", "..", 1), f"{head}.{body}.{sig}.{sig}.{sig}", f"{jwe_header}.a.b.c.d",   # JWE
        f"{head}=.{body}.{sig}", f"{head}.{body}.{sig}==",                                       # padding
        f"{head}.{body[:-1]}+.{sig}", f"{head}.{body}.{sig[:-1]}/", f"{head} .{body}.{sig}",      # alphabet
        f"{head}.{body}.{sig}\n", f"{head}.{body}.\u00e9{sig}", "\x00" * 100,
        f"{head}.{body}.{sig[:-1]}", f"{head}.{body}x.{sig}",                                    # length
        *[f"{part}.{body}.{sig}" for part in not_objects], *[f"{head}.{part}.{sig}" for part in not_objects],
        f"{head}.{not_utf8}.{sig}", f"{bom}.{body}.{sig}",                                       # not UTF-8 JSON
    ]
    for token in garbage:
        refused(validator, token)


def _canonical_twin(segment: str) -> str:
    """The same bytes, encoded with the unused low bits of the last character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = {2: 0x0F, 3: 0x03}[len(segment) % 4]
    return segment[:-1] + alphabet[alphabet.index(segment[-1]) | unused]


def test_14_non_canonical_base64url_is_refused(idp: Idp, validator: TokenValidator) -> None:
    head, body, sig = idp.token().split(".")
    assert len(sig) % 4 in (2, 3) and base64.urlsafe_b64decode(_canonical_twin(sig) + "==") == \
        base64.urlsafe_b64decode(sig + "==")
    refused(validator, f"{head}.{body}.{_canonical_twin(sig)}")


def test_14_standard_base64_characters_are_refused_even_where_they_decode_the_same(idp: Idp,
                                                                                 validator: TokenValidator) -> None:
    head, body, sig = idp.token().split(".")
    assert "-" in sig or "_" in sig
    twin = sig.replace("-", "+").replace("_", "/")
    assert base64.b64decode(twin + "==") == base64.urlsafe_b64decode(sig + "==")
    refused(validator, f"{head}.{body}.{twin}")


def test_14_duplicate_members_are_refused_even_when_signed(idp: Idp, validator: TokenValidator) -> None:
    key = idp.keys[0]
    claims = json.dumps(idp.claims(aud="api://other"))
    doubled = claims[:-1] + f', "aud": "{API_APP_ID}"}}'            # Python's json keeps the last one
    header = '{"typ": "JWT", "alg": "RS256", "kid": "key-1"}'
    refused(validator, rs256(_b64url_json(header) + "." + _b64url_json(doubled), key))
    refused(validator, rs256(_b64url_json('{"alg": "none", "typ": "JWT", "kid": "key-1", "alg": "RS256"}') + "."
                             + _b64url_json(claims.replace("api://other", API_APP_ID)), key))


def test_14_deep_nesting_is_refused_not_a_crash(idp: Idp, validator: TokenValidator) -> None:
    claims = json.dumps(idp.claims())
    for depth in (5000, 100_000):
        nested = claims[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
        token = rs256(_b64url_json('{"typ": "JWT", "alg": "RS256", "kid": "key-1"}') + "." + _b64url_json(nested),
                      idp.keys[0])
        refused(validator, token)


def test_14_oversized_tokens_are_refused_before_any_decoding(idp: Idp, validator: TokenValidator) -> None:
    loaded(validator, idp)
    huge_header = _b64url_json('{"alg": "RS256", "kid": "key-1", "pad": "' + "x" * (1024 * 1024) + '"}')
    megabyte = huge_header + "." + idp.token().split(".", 1)[1]
    wide_header = rs256(_b64url_json('{"alg": "RS256", "kid": "key-1", "p": "' + "x" * 6000 + '"}') + "."
                        + _b64url_json(json.dumps(idp.claims())), idp.keys[0])
    assert len(wide_header) < 16 * 1024
    refused(validator, wide_header)
    tracemalloc.start()
    try:
        refused(validator, megabyte)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, peak                                  # the megabyte was never copied or decoded


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=400), st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                 st.lists(st.binary(max_size=120).map(b64url), min_size=1, max_size=6).map(".".join)))
def test_14_arbitrary_input_raises_only_invalid_token(idp: Idp, validator: TokenValidator, token: str) -> None:
    refused(validator, token)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_14_any_one_character_change_to_a_valid_token_is_refused(idp: Idp, validator: TokenValidator,
                                                                 data: st.DataObject) -> None:
    token = idp.token(exp=2_000_000_000)
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "))
    changed = token[:index] + replacement + token[index + 1:]
    if changed != token:
        try:
            validator.validate(changed)
        except InvalidToken:
            return
        # A change in the unused low bits of a segment's last character would decode to the same token:
        # it is refused as non-canonical, so nothing may get here.
        pytest.fail(f"accepted a changed token at {index}")
