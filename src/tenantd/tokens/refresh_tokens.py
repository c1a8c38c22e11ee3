"""Refresh tokens (SECURITY.md item 46): 256 random bits given to the client, only their SHA-256 stored,
bound to the client, the user and the grant (the code or device sign-in they descend from).

As Entra's: each use gives a new token and the old one stays valid until it expires (a client that loses the
answer is not locked out); a token ends after 90 days unused (each new one starts its own window); a spa's end
24 hours after the first sign-in whatever their renewals. Reuse detection (a second use of one token revokes
its whole grant, RFC 9700 section 4.14.2) is an option of the server, off by default as in Entra: a client
that retries a refresh it never saw the answer of would lose its sign-in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from ..domain.errors import OAuthError
from ..domain.sign_in_state import RefreshToken, secret_hash
from ..store import Store
from ..store.grant_state import GrantState
from . import errors

INACTIVITY = 90 * 86400
SPA_LIFETIME = 24 * 3600
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")   # secrets.token_urlsafe(32)
NOT_VALID = "The provided refresh token is not valid: it does not exist or was revoked."


@dataclass(frozen=True)
class Lineage:
    """What a refresh token carries on to its successors: what the user granted (the v2 scope as asked, or the
    v1 resource), the grant it descends from, when the user signed in, and when the chain began and must end
    (None: it begins with this token; a spa's then ends 24 hours later); ``follows``, the hash of the refresh
    token redeemed for this one, which the new one is written only while it exists (None: a new sign-in)."""

    scope: str
    resource: str | None
    grant_id: str
    auth_time: int
    first_sign_in: int | None = None
    hard_expiry: int | None = None
    follows: str | None = None


def new_grant_id() -> str:
    return secrets.token_hex(16)


def new_token(tenant_id: str, client_app_id: str, user_id: str, client_kind: str, lineage: Lineage,
              now: int) -> tuple[str, RefreshToken]:
    """A new refresh token and the record to store; the token itself is never stored."""
    token = secrets.token_urlsafe(32)
    first = lineage.first_sign_in if lineage.first_sign_in is not None else now
    hard = lineage.hard_expiry
    if hard is None and client_kind == "spa":
        hard = first + SPA_LIFETIME
    record = RefreshToken(
        token_hash=secret_hash(token), tenant_id=tenant_id, client_app_id=client_app_id, user_id=user_id,
        scope=lineage.scope, resource=lineage.resource, client_kind=client_kind, grant_id=lineage.grant_id,
        first_sign_in=first, auth_time=lineage.auth_time, created=now,
        expires=now + INACTIVITY if hard is None else min(now + INACTIVITY, hard), hard_expiry=hard,
    )
    return token, record


def issue(store: Store, tenant_id: str, client_app_id: str, user_id: str, client_kind: str, lineage: Lineage,
          now: int, *, state: GrantState | None = None) -> str:
    """Store a new refresh token (through ``state``, by default the store's ``grant_state``); the token itself.
    One continuing a refresh token revoked since it was read is refused (AADSTS70000): a revocation ends every
    token of its grant, even one written while it ran."""
    state = state or store.grant_state
    token, record = new_token(tenant_id, client_app_id, user_id, client_kind, lineage, now)
    if lineage.follows is None:
        state.insert_refresh_token(record)
    elif not state.continue_refresh_token(record, lineage.follows):
        raise errors.invalid_grant(NOT_VALID)
    return token


def find(store: Store, token: str, *, state: GrantState | None = None) -> RefreshToken | None:
    """The stored record of a token as presented; None when there is none (never issued, expired and removed,
    or revoked)."""
    if not _SHAPE.fullmatch(token):
        raise errors.malformed_grant("refresh_token")
    return (state or store.grant_state).refresh_token(secret_hash(token))


def redeem(store: Store, token: str, now: int, *, reuse_detection: bool,
           state: GrantState | None = None) -> RefreshToken:
    """The record of a token that may be used now, or the OAuthError Entra answers. With ``reuse_detection``,
    a token used before revokes every token of its grant."""
    record = find(store, token, state=state)
    if record is None:
        raise errors.invalid_grant(NOT_VALID)
    if now >= record.expires:
        raise _expired(record, now)
    if reuse_detection:
        with store.write() as tx:
            reused = not tx.mark_refresh_token_used(record.token_hash, now)
            if reused:
                tx.revoke_grant(record.grant_id)
        if reused:
            raise errors.invalid_grant("The refresh token was used before: every token of its sign-in is now "
                                       "revoked (refresh token reuse detection is on).")
    return record


def lineage_of(record: RefreshToken) -> Lineage:
    return Lineage(record.scope, record.resource, record.grant_id, record.auth_time, record.first_sign_in,
                   record.hard_expiry, follows=record.token_hash)


def _expired(record: RefreshToken, now: int) -> OAuthError:
    issued = _date(record.created)
    if record.hard_expiry is not None and now >= record.hard_expiry:
        return errors.spa_refresh_expired(issued)
    idle = now - record.created
    return errors.refresh_inactive(issued, f"{idle // 86400}.{idle % 86400 // 3600:02}:{idle % 3600 // 60:02}:"
                                           f"{idle % 60:02}")


def _date(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%m/%d/%Y %H:%M:%S")
