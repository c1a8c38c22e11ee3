"""A token decoder and verifier like jwt.ms: a pasted token's header and payload, decoded even when it is not
valid, then checked as a validator of this tenant's tokens checks it, against the keys the JWKS publishes
(the active one, the next one and the retired ones still published), and every reason a validator would
refuse it, in words: malformed, ``alg: none`` or another algorithm, no or an unknown ``kid`` (a key a
rotation retired or a revocation dropped, or another tenant's or server's), a bad signature, expired or not
yet valid (with the times), an issuer that is not this tenant's (or the other version's), another tenant's
``tid``.

The token is never logged, nor repeated in a reason: reasons name claims and keys, never the token's text.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import jwt
from .keys import Keyring
from .rotation import stamp

MAX_TOKEN = 32 * 1024   # Entra's largest (200 groups) are near 10 KB
ALGORITHM = "RS256"


@dataclass(frozen=True)
class Reason:
    """Why a validator refuses the token: a stable code and a sentence."""

    code: str       # malformed, alg_none, unsupported_alg, no_kid, unknown_kid, retired_kid, bad_signature,
                    # expired, not_yet_valid, wrong_issuer, version_mismatch, wrong_tenant, wrong_audience
    message: str


@dataclass
class Decoded:
    header: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    reasons: list[Reason] = field(default_factory=list)
    key: dict[str, Any] | None = None          # the signing key the kid names: kid, status, published
    signature_verified: bool = False
    times: dict[str, str] = field(default_factory=dict)   # iat, nbf, exp as ISO 8601

    @property
    def valid(self) -> bool:
        return not self.reasons and self.signature_verified

    def refuse(self, code: str, message: str) -> None:
        self.reasons.append(Reason(code, message))

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "header": self.header, "payload": self.payload,
                "signatureVerified": self.signature_verified, "key": self.key, "times": self.times,
                "reasons": [{"code": r.code, "message": r.message} for r in self.reasons]}


def _part(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def decode(token: str, keyring: Keyring, tenant_id: str, issuers: tuple[str, str], now: float,
           audience: str | None = None) -> Decoded:
    """``token`` decoded and checked for the tenant ``tenant_id`` with ``issuers`` (v1, v2) at ``now``;
    ``audience``, when given, is the one the validator expects."""
    found = Decoded()
    token = token.strip().removeprefix("Bearer ").strip()
    parts = token.split(".") if len(token) <= MAX_TOKEN else []
    if len(parts) == 5:
        found.refuse("malformed", "This is an encrypted token (JWE, five parts): it cannot be read without its "
                                  "key, and tenantd issues none.")
        return found
    if len(parts) != 3:
        found.refuse("malformed", f"Not a JWT: a signed token has 3 dot-separated parts, this has {len(parts)}"
                     if parts else f"Not a JWT: longer than {MAX_TOKEN} characters.")
        return found
    found.header, found.payload = _part(parts[0]), _part(parts[1])
    for name, value in (("header", found.header), ("payload", found.payload)):
        if value is None:
            found.refuse("malformed", f"Malformed: the {name} is not base64url-encoded JSON object.")
    if found.header is None:
        return found
    _times(found, now)
    _claims(found, tenant_id, issuers, audience)
    _signature(found, token, keyring, tenant_id, bool(parts[2]))
    return found


def _signature(found: Decoded, token: str, keyring: Keyring, tenant_id: str, signed: bool) -> None:
    header = found.header or {}
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg.lower() == "none" or not signed:
        found.refuse("alg_none", "The token is unsigned (alg: none, or no signature): anyone could have written "
                                 "it, and every validator refuses it.")
        return
    if alg != ALGORITHM:
        found.refuse("unsupported_alg", f"The algorithm {alg[:16]} is not the {ALGORITHM} this tenant signs "
                                        "with; a validator accepts only the algorithm of its keys.")
        return
    if not isinstance(kid, str) or not kid:
        found.refuse("no_kid", "The header names no signing key (kid), so no key of the JWKS can be chosen.")
        return
    published = {k.kid: k for k in keyring.published(tenant_id)}
    states = {k.kid: k for k in keyring.keys(tenant_id)}
    state = states.get(kid)
    if kid not in published:
        if state is None:
            found.refuse("unknown_kid", f"The signing key {kid[:64]} is not one of this tenant's: the token was "
                                        "signed by another tenant, another server, or a key never published here.")
        else:
            found.key = {"kid": kid, "status": state.status, "published": False}
            when = f" on {stamp(state.retires)}" if state.status == "retired" and state.retires else ""
            found.refuse("retired_kid", f"The signing key {kid[:64]} was this tenant's but is {state.status} and "
                                        f"no longer in the JWKS{when} (a rotation or revocation dropped it): "
                                        "validators that fetched the JWKS since refuse it.")
        return
    key = published[kid]
    found.key = {"kid": kid, "status": state.status if state else key.status, "published": True}
    if not jwt.signature_verifies(token, key):
        found.refuse("bad_signature", f"The signature does not verify with the key {kid[:64]} its header names: "
                                      "the token was altered after it was signed, or signed by another key with the "
                                      "same kid.")
        return
    found.signature_verified = True


def _iso(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _times(found: Decoded, now: float) -> None:
    payload = found.payload or {}
    for name in ("iat", "nbf", "exp"):
        shown = _iso(payload.get(name))
        if shown:
            found.times[name] = shown
    at = _iso(now) or ""
    exp, nbf = payload.get("exp"), payload.get("nbf")
    if found.payload is not None and "exp" not in found.times:
        found.refuse("expired", "The token has no valid expiry (exp): validators refuse a token without one.")
    elif isinstance(exp, int | float) and exp <= now:
        found.refuse("expired", f"The token expired at {found.times['exp']} (it is now {at}).")
    if isinstance(nbf, int | float) and not isinstance(nbf, bool) and nbf > now:
        found.refuse("not_yet_valid", f"The token is not valid before {found.times['nbf']} (it is now {at}).")


def _claims(found: Decoded, tenant_id: str, issuers: tuple[str, str], audience: str | None) -> None:
    payload = found.payload
    if payload is None:
        return
    v1, v2 = issuers
    iss, ver, tid = payload.get("iss"), payload.get("ver"), payload.get("tid")
    if iss not in (v1, v2):
        found.refuse("wrong_issuer", f"The issuer is not this tenant's: a validator of this tenant expects {v2} "
                                     f"(v2 tokens) or {v1} (v1 tokens).")
    elif (iss == v1 and ver == "2.0") or (iss == v2 and ver == "1.0"):
        expected = v2 if ver == "2.0" else v1
        found.refuse("version_mismatch", f"A version {ver} token carries the other version's issuer; this "
                                         f"tenant's v{ver[0]} tokens are issued by {expected}.")
    if tid is not None and tid != tenant_id:
        found.refuse("wrong_tenant", "The token's tid is another tenant's, not this one's.")
    aud = payload.get("aud")
    if audience is not None and aud != audience:
        found.refuse("wrong_audience", f"The audience (aud) is not {audience[:256]}, the one the validator "
                                       "expects: the token was issued for another resource.")
