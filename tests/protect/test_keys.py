"""The key cache beyond SECURITY.md: which JWKS entries become keys, the async validator's fetches, and
explicit loading at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tenantd.protect import AsyncTokenValidator, InvalidToken, KeysUnavailable, TokenValidator
from tenantd.protect.jwks import FetchError, parse_discovery, parse_jwks

from .conftest import Clock
from .idp import API_APP_ID, API_URI, Idp, Key, new_key


def _jwk(key: Key, **changes: Any) -> dict[str, Any]:
    return {k: v for k, v in {**key.jwk(), **changes}.items() if v is not None}


def test_only_public_rsa_signing_keys_of_2048_bits_or_more_are_kept() -> None:
    good = new_key("good")
    small = Key("small", rsa.generate_private_key(public_exponent=65537, key_size=1024))
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    entries = [
        _jwk(good, kid="enc", use="enc"), _jwk(good, kid="hs", alg="HS256"), _jwk(good, kid="ps", alg="PS256"),
        _jwk(good, kid="private", d="AQAB"), _jwk(good, kid=None), _jwk(good, kid=7), _jwk(good, kid="k" * 129),
        _jwk(good, kid="no-n", n=None), _jwk(good, kid="bad-n", n=12), _jwk(small),
        {"kty": "EC", "crv": "P-256", "kid": "ec", "x": str(ec_key.x), "y": str(ec_key.y)},
        {"kty": "oct", "kid": "oct", "k": "c2VjcmV0"}, "not a key", None,
        _jwk(good), _jwk(new_key("other"), kid="good"), _jwk(good, kid="plain", use=None, alg="RS256"),
    ]
    keys = parse_jwks({"keys": entries})
    assert sorted(keys) == ["good", "plain"]
    assert keys["good"].jwk.key.public_numbers() == good.private.public_key().public_numbers()  # first one wins
    assert keys["good"].algorithm == "RS256"


@pytest.mark.parametrize("document", [None, [], {"keys": None}, {"keys": {}}, {"keys": []}, {"keys": ["x"]}])
def test_a_jwks_without_a_usable_key_is_a_failed_fetch(document: Any) -> None:
    with pytest.raises(FetchError):
        parse_jwks(document)


@pytest.mark.parametrize("document", [None, {}, {"issuer": "https://i"}, {"issuer": "", "jwks_uri": "https://k"},
                                      {"issuer": "https://i", "jwks_uri": "http://k"},
                                      {"issuer": 7, "jwks_uri": "https://k"}])
def test_a_discovery_document_needs_an_issuer_and_an_https_jwks_uri(document: Any) -> None:
    with pytest.raises(FetchError):
        parse_discovery(document)


def test_load_fetches_at_start_up_and_reports_what_is_missing(idp: Idp, make_validator: Callable[..., TokenValidator]
                                                              ) -> None:
    validator = make_validator()
    validator.load()
    assert idp.jwks_hits == 2
    assert validator.validate(idp.token()).aud == API_APP_ID
    assert idp.jwks_hits == 2
    idp.mode = "500"
    broken = make_validator()
    with pytest.raises(KeysUnavailable) as caught:
        broken.load()
    assert idp.discovery_url(1) in caught.value.reason and "token" not in caught.value.reason


def test_the_async_validator_caches_refreshes_and_keeps_keys_like_the_sync_one(idp: Idp, ca: Any,
                                                                              clock: Clock) -> None:
    validator = AsyncTokenValidator(tenant_id=idp.tenant, audiences=[API_URI, API_APP_ID], authority=idp.url,
                                    verify=ca.ca_file, clock=clock, timeout=1.0)
    intruder = new_key("intruder")

    async def scenario() -> None:
        await validator.load()
        assert (await validator.validate(idp.token(version=1))).aud == API_URI
        clock.advance(301)
        results = await asyncio.gather(*[validator.validate(idp.token(key=intruder, header={"kid": f"x{n}"}))
                                         for n in range(30)], return_exceptions=True)
        assert all(isinstance(r, InvalidToken) for r in results)
        assert idp.jwks_hits == 3
        idp.mode = "garbage"
        clock.advance(12 * 3600 + 1)
        assert (await validator.validate(idp.token(exp=int(clock.now) + 60))).aud == API_APP_ID
        assert idp.jwks_hits == 5

    asyncio.run(scenario())


@pytest.mark.parametrize("jwks_uri", ["https://[bad", "https://127.0.0.1:0/keys", "https://exa mple.test/keys", 7])
def test_an_unusable_jwks_uri_is_a_failed_fetch_not_a_crash(idp: Idp, make_validator: Callable[..., TokenValidator],
                                                            jwks_uri: Any) -> None:
    idp.rewrite = lambda doc: {**doc, "jwks_uri": jwks_uri} if "jwks_uri" in doc else doc
    validator = make_validator()
    with pytest.raises(KeysUnavailable):
        validator.validate(idp.token())


def test_accepted_tokens_are_remembered_within_bounds_and_their_lifetime(
        idp: Idp, make_validator: Callable[..., TokenValidator], clock: Clock) -> None:
    validator = make_validator(cache_size=3)
    tokens = [idp.token(exp=int(clock.now) + 600, uti=str(n)) for n in range(5)]
    first = validator.validate(tokens[0])
    assert validator.validate(tokens[0]) is first                  # answered from the cache
    for token in tokens:
        validator.validate(token)
    assert len(validator.accepted) == 3
    with pytest.raises(TypeError):
        first.raw["roles"] = ["Things.Write.All"]  # type: ignore[index]
    clock.advance(600 + 301)
    with pytest.raises(InvalidToken) as caught:
        validator.validate(tokens[-1])
    assert caught.value.description == "The access token has expired." and len(validator.accepted) == 2
    uncached, token = make_validator(cache_size=0), idp.token()
    assert uncached.validate(token) is not uncached.validate(token) and len(uncached.accepted) == 0


def test_any_change_of_a_key_clears_the_cache(idp: Idp, make_validator: Callable[..., TokenValidator],
                                              clock: Clock) -> None:
    validator = make_validator()
    token = idp.token(exp=int(clock.now) + 24 * 3600)
    validator.validate(token)
    idp.keys.append(new_key("key-2"))                              # a new key: the old one still trusted
    clock.advance(12 * 3600 + 1)
    validator.validate(idp.token(key=idp.keys[1], exp=int(clock.now) + 60))
    assert len(validator.accepted) == 1
    assert validator.validate(token).oid is not None
    idp.keys = [Key("key-1", new_key("replacement").private), idp.keys[1]]   # same kid, other key material
    clock.advance(12 * 3600 + 1)
    with pytest.raises(InvalidToken):
        validator.validate(token)
