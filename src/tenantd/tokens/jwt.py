"""The server's only JOSE importer: signs access tokens, verifies the ones Graph receives, and checks the
signatures of client assertions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .keys import SigningKey


def sign(claims: dict[str, Any], key: SigningKey, *, with_x5t: bool) -> str:
    """An RS256 JWS with ``typ``, ``alg``, ``kid`` (and ``x5t`` for v1 tokens, as Entra writes them)."""
    headers: dict[str, Any] = {"typ": "JWT", "alg": "RS256", "kid": key.kid}
    if with_x5t:
        headers["x5t"] = key.kid
    return pyjwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)


class InvalidToken(Exception):
    """The bearer token is not one this server issued and would accept; the message says why."""


def verify(token: str, keys: Iterable[SigningKey], *, issuers: Iterable[str], audiences: Iterable[str],
           leeway: int = 60) -> dict[str, Any]:
    """Verify a token this server issued: RS256 only, known kid, exact issuer and audience, lifetime."""
    try:
        header = pyjwt.get_unverified_header(token)
    except pyjwt.PyJWTError as exc:
        raise InvalidToken("malformed token") from exc
    kid = header.get("kid")
    key = next((k for k in keys if isinstance(kid, str) and k.kid == kid), None)
    if key is None or header.get("alg") != "RS256":
        raise InvalidToken("unknown signing key or algorithm")
    try:
        claims: dict[str, Any] = pyjwt.decode(
            token, key.private_key.public_key(), algorithms=["RS256"], audience=list(audiences), leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud", "tid"], "verify_iss": False},
        )
    except pyjwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("iss") not in set(issuers):
        raise InvalidToken("issuer is not this tenant's")
    return claims


def signature_verifies(token: str, key: SigningKey) -> bool:
    """Whether an RS256 token's signature verifies with ``key``, and only that (the token decoder's check,
    which weighs the claims itself)."""
    try:
        pyjwt.api_jws.PyJWS().decode_complete(token, key.private_key.public_key(), algorithms=["RS256"])
    except pyjwt.PyJWTError:
        return False
    return True


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a token without any check, for ``tenantd decode``."""
    return pyjwt.get_unverified_header(token), pyjwt.decode(token, options={"verify_signature": False})



# -- client assertions (certificate-signed or federated) ------------------------------------------------------
ASSERTION_ALGORITHMS = ("RS256", "PS256")
MAX_ASSERTION = 16 * 1024


def assertion_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a client assertion, unverified: a compact JWS whose parts are JSON objects
    (padded base64url accepted, as azure-identity sends it)."""
    if not isinstance(token, str) or len(token) > MAX_ASSERTION or token.count(".") != 2:
        raise InvalidToken("the assertion is not a compact JWS")
    try:
        header = pyjwt.get_unverified_header(token)
        claims = pyjwt.decode(token, options={"verify_signature": False})
    except (pyjwt.PyJWTError, ValueError, RecursionError) as exc:
        raise InvalidToken("the assertion is malformed") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("the assertion's claims are not an object")
    return header, claims


def assertion_header(token: str) -> dict[str, Any]:
    """The header of a compact JWS of at most ``MAX_ASSERTION``, unverified: what picks the key that then
    verifies it (``verify_assertion``, which also gives its claims: the token is parsed twice, not three times)."""
    if not isinstance(token, str) or len(token) > MAX_ASSERTION or token.count(".") != 2:
        raise InvalidToken("the assertion is not a compact JWS")
    try:
        return pyjwt.get_unverified_header(token)
    except (pyjwt.PyJWTError, ValueError, RecursionError) as exc:
        raise InvalidToken("the assertion is malformed") from exc


def verify_assertion(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    """Check an assertion's signature, and only that, with an RSA public key; its claims, which the caller
    checks (Entra's rules for them differ from an access token's). The algorithm is one the key allows."""
    if algorithm not in ASSERTION_ALGORITHMS or not isinstance(key, rsa.RSAPublicKey):
        raise InvalidToken("unsupported signing algorithm")
    try:
        claims: dict[str, Any] = pyjwt.decode(token, key, algorithms=[algorithm], options={
            "verify_signature": True, "verify_exp": False, "verify_nbf": False, "verify_iat": False,
            "verify_aud": False, "verify_iss": False, "verify_sub": False, "verify_jti": False})
    except pyjwt.PyJWTError as exc:
        raise InvalidToken("the signature does not verify") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("the assertion's claims are not an object")
    return claims


def jwks_keys(document: Any, limit: int = 64) -> list[tuple[str | None, Any]]:
    """The RSA signing keys of a JWKS document as (kid, public key); other keys are skipped."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InvalidToken("the JWKS document has no keys")
    found: list[tuple[str | None, Any]] = []
    for entry in entries[:limit]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        try:
            key = pyjwt.PyJWK({k: v for k, v in entry.items() if k in ("kty", "n", "e", "kid")}).key
        except (pyjwt.PyJWTError, ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
            kid = entry.get("kid")
            found.append((kid if isinstance(kid, str) else None, key))
    return found
