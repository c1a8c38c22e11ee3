"""The claims of an accepted access token, typed, and the checks that tell an access token from the other
JWTs an identity provider signs (ID tokens) or a client signs (client assertions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .errors import InvalidToken

# Claims only ID tokens carry (OpenID Connect Core 2, 3.1.3.6, 3.3.2.11); Entra never puts them in access tokens.
_ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
# Entra names the calling application `appid` in v1 access tokens and `azp` in v2 ones.
_CLIENT_CLAIM = {"1.0": "appid", "2.0": "azp"}


@dataclass(frozen=True, slots=True)
class Claims:
    """An access token that passed every check. ``raw`` holds all its claims as sent (read-only: the same
    claims answer every request that carries the token)."""

    iss: str
    aud: str
    tid: str
    ver: str
    exp: float
    sub: str | None
    oid: str | None
    appid: str | None        # v1: the calling application's client id
    azp: str | None          # v2: the same
    idtyp: str | None        # "app" for app-only tokens (Entra's optional claim, tenantd always sends it)
    roles: tuple[str, ...]   # app roles; empty unless the claim is a list of strings
    scp: str | None          # delegated scopes, space separated
    raw: Mapping[str, Any]

    @property
    def app_id(self) -> str:
        """The calling application's client id, whatever the token version."""
        return self.appid or self.azp or ""

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(self.scp.split()) if self.scp else ()

    @property
    def is_app_only(self) -> bool:
        """An application acting as itself (client credentials, managed identity), not for a user."""
        return self.idtyp == "app" or (self.idtyp is None and self.scp is None)


def _text(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) else None


def _roles(value: Any) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(role, str) for role in value):
        return tuple(value)
    return ()


def access_token_claims(payload: dict[str, Any], aud: str, exp: float) -> Claims:
    """Typed claims of a signed payload whose issuer, audience and lifetime were checked, if it is an
    access token: ``ver`` 1.0 or 2.0 with the matching client claim, ``tid``, and no ID token claim."""
    ver = payload.get("ver")
    if ver not in _CLIENT_CLAIM:
        raise InvalidToken("no access token version")
    client = _CLIENT_CLAIM[ver]
    if not _text(payload, client):
        raise InvalidToken(f"no {client} claim")
    if any(name in payload for name in _ID_TOKEN_CLAIMS):
        raise InvalidToken("an ID token")
    tid = _text(payload, "tid")
    if not tid:
        raise InvalidToken("no tid claim")
    return Claims(
        iss=payload["iss"], aud=aud, tid=tid, ver=ver, exp=exp, sub=_text(payload, "sub"),
        oid=_text(payload, "oid"), appid=_text(payload, "appid"), azp=_text(payload, "azp"),
        idtyp=_text(payload, "idtyp"), roles=_roles(payload.get("roles")), scp=_text(payload, "scp"),
        raw=MappingProxyType(payload),
    )
