"""The user assertion of an on-behalf-of request (SECURITY.md item 49): an access token this tenant issued to a
user, checked as Entra checks one before it gives a middle tier a token for the same user.

In this order, each refusal with Entra's code (:mod:`tenantd.tokens.assertion_errors`):

- a compact JWS (at most ``jwt.MAX_ASSERTION``, which a token of 200 groups stays well under): AADSTS50027;
- signed RS256 by one of the tenant's published keys (the keyring; a key another process made sign is read
  once): AADSTS50013 otherwise, which is what another tenant's or another server's token, one signed by a
  retired and unpublished or a revoked key, and an altered one get;
- issued by this tenant (its v1 or v2 issuer, its id as ``tid``): AADSTS50013;
- within its lifetime (``exp`` required, ``nbf`` when present), with no leeway: Entra refuses an assertion from
  the second it expires (AADSTS500133);
- a user's access token: ``idtyp`` "user" and an object id. An application's own token is AADSTS7000114, an
  ID token (which names no ``idtyp``) AADSTS240002.

Who may present it (its ``aud``) is the grant's to decide: only the grant knows the caller.

A middle tier presents the same user token for each call it makes while that token lives, so the outcome of
its signature's check is kept (``VerifiedAssertions``): parsing and verifying it again (PyJWT checks each of its
base64 characters in Python) would cost more than signing the answer. Only that is kept; whether the key that
verified it is still published, and every claim, are checked at each use.
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..domain.ids import is_guid
from ..domain.model import Tenant
from . import assertion_errors, errors, jwt
from .directory_cache import NotInMemory

if TYPE_CHECKING:
    from .keys import SigningKey
    from .service import TokenService

VERIFIED_KEPT = 4096   # assertions whose signature verified, kept; past it the record starts again


@dataclass(frozen=True)
class UserAssertion:
    """What the grant needs of a verified assertion: whose it is, for whom, and since when."""

    user_id: str
    audience: str
    issued_at: int


class VerifiedAssertions:
    """Assertions whose signature one of a tenant's keys verified: by (tenant id, SHA-256 of the token), the
    key's kid and the token's claims (shared: never changed)."""

    def __init__(self, limit: int = VERIFIED_KEPT) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, bytes], tuple[str, dict[str, Any]]] = {}

    def get(self, tenant_id: str, digest: bytes) -> tuple[str, dict[str, Any]] | None:
        return self._entries.get((tenant_id, digest))

    def put(self, tenant_id: str, digest: bytes, kid: str, claims: dict[str, Any]) -> None:
        with self._lock:
            if len(self._entries) >= self._limit:
                self._entries = {}
            self._entries[(tenant_id, digest)] = (kid, claims)


def tenant_hint(token: str) -> str | None:
    """The ``tid`` an assertion names, unverified (through ``common`` it picks the tenant whose keys then verify
    it); None when it names none."""
    try:
        _, claims = jwt.assertion_parts(token)
    except jwt.InvalidToken:
        return None
    tid = claims.get("tid")
    return tid.lower() if isinstance(tid, str) and is_guid(tid) else None


def verify(service: TokenService, tenant: Tenant, token: str, client_app_id: str, *,
           from_memory: bool = False) -> UserAssertion:
    """The assertion's user, audience and issue time, or the OAuthError Entra answers ``client_app_id``.
    ``from_memory``: with the tenant's keys as in memory, NotInMemory when they would have to be read (or the
    key is not among them: the full path reads them again, and refuses)."""
    digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
    verified = service.verified_assertions.get(tenant.id, digest)
    if verified is not None:
        kid, claims = verified
        _key(service, tenant, kid, from_memory=from_memory)   # still published
    else:
        try:
            header = jwt.assertion_header(token)
        except jwt.InvalidToken as exc:
            raise errors.invalid_assertion(str(exc)) from None
        kid, claims = _signed_claims(service, tenant, token, header, from_memory=from_memory)
        service.verified_assertions.put(tenant.id, digest, kid, claims)
    issuers = service.issuers(tenant.id)
    if claims.get("iss") not in (issuers.v1, issuers.v2) or claims.get("tid") != tenant.id:
        raise assertion_errors.invalid(f"it was not issued by the tenant '{tenant.id}'")
    _check_times(claims, service.clock())
    kind = claims.get("idtyp")
    if kind == "app":
        raise assertion_errors.app_only(client_app_id)
    if kind is None and "idtyp" not in claims:
        raise assertion_errors.id_token()
    user_id, audience = claims.get("oid"), claims.get("aud")
    if kind != "user" or not isinstance(user_id, str) or not is_guid(user_id):
        raise assertion_errors.invalid("it is not an access token issued to a user")
    if not isinstance(audience, str):
        raise assertion_errors.invalid("its audience is not one application")
    return UserAssertion(user_id.lower(), audience, int(_numeric(claims, "iat") or 0))


def not_revoked(assertion: UserAssertion, valid_from: str | None) -> None:
    """AADSTS50173 for an assertion issued before the user's sessions were revoked (``valid_from``, ISO 8601)."""
    if valid_from is None:
        return
    revoked_at = datetime.strptime(valid_from, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    if assertion.issued_at < revoked_at:
        raise assertion_errors.revoked(_iso(assertion.issued_at), valid_from)


def _signed_claims(service: TokenService, tenant: Tenant, token: str, header: dict[str, Any], *,
                   from_memory: bool) -> tuple[str, dict[str, Any]]:
    """The kid and the claims of an assertion whose signature one of the tenant's published keys verifies."""
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str):
        raise assertion_errors.signature_failed("The token is not signed RS256 with a named key.",
                                                kid if isinstance(kid, str) else "")
    key = _key(service, tenant, kid, from_memory=from_memory)
    try:
        return kid, jwt.verify_assertion(token, key.private_key.public_key(), "RS256")
    except jwt.InvalidToken:
        raise assertion_errors.signature_failed("Key was found, but use of the key to verify the signature "
                                                "failed.", kid) from None


def _key(service: TokenService, tenant: Tenant, kid: str, *, from_memory: bool) -> SigningKey:
    """The tenant's published key ``kid``."""
    if from_memory:
        known = service.keyring.known_key(tenant.id, kid)
        if known is None:
            raise NotInMemory(("signing key", tenant.id, kid))
        return known
    key = next((k for k in service.keyring.verifying(tenant.id, kid) if k.kid == kid), None)
    if key is None:
        raise assertion_errors.signature_failed("The key was not found.", kid)
    return key


def _check_times(claims: dict[str, Any], now: float) -> None:
    exp, nbf = _numeric(claims, "exp"), _numeric(claims, "nbf")
    if exp is None:
        raise assertion_errors.invalid("it has no 'exp'")
    if now >= exp or (nbf is not None and now < nbf):
        raise assertion_errors.not_in_time(_iso(now), _iso(nbf) if nbf is not None else None, _iso(exp))


def _numeric(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise assertion_errors.invalid(f"'{name}' is not a NumericDate")
    return float(value)


def _iso(moment: float) -> str:
    try:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "out of range"
