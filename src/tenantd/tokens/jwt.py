"""The server's only JOSE importer: signs access tokens and verifies the ones Graph receives."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt as pyjwt

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


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a token without any check, for ``tenantd decode``."""
    return pyjwt.get_unverified_header(token), pyjwt.decode(token, options={"verify_signature": False})

