"""What a person's sign-in leaves behind between requests: browser sessions and the accounts they hold,
authorization codes, refresh tokens and device codes. Every secret among them (cookie, code, token, device
code) is kept only as its SHA-256 hash; times are epoch seconds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CLIENT_KINDS = ("confidential", "public", "spa")   # what a refresh token was issued to (revocation rules)


def secret_hash(value: str) -> str:
    """The stored form of a bearer secret of 256 random bits: its SHA-256, hex. A fast hash is enough for
    values nobody can guess (a password needs argon2id; these do not)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BrowserSession:
    """A browser's single sign-on session (its cookie's hash). ``persistent`` when the person chose
    "Stay signed in"; the session ends at ``expires`` either way."""

    id_hash: str
    created: int
    expires: int
    persistent: bool


@dataclass(frozen=True)
class SessionAccount:
    """One account signed in within a browser session, and when it last proved its password."""

    session_hash: str
    tenant_id: str
    user_id: str
    auth_time: int


@dataclass(frozen=True, repr=False)
class AuthorizationCode:
    """A code the authorize endpoint gave a client: single use, short-lived, bound to the client, the
    redirect URI and the PKCE challenge. ``grant_id`` names what its redemption issued (so a second
    redemption can revoke it)."""

    code_hash: str
    tenant_id: str
    client_app_id: str
    user_id: str
    redirect_uri: str
    scope: str
    resource: str | None             # v1: the resource the client named
    endpoint_version: int
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    auth_time: int
    session_hash: str | None
    created: int
    expires: int
    redeemed: int | None = None
    grant_id: str | None = None

    def __repr__(self) -> str:
        return f"AuthorizationCode(client={self.client_app_id}, user={self.user_id}, expires={self.expires})"


@dataclass(frozen=True, repr=False)
class RefreshToken:
    """A refresh token as stored. ``expires`` is the inactivity window (each new token starts its own);
    ``hard_expiry`` a limit no successor passes (spa: 24 hours after the first sign-in)."""

    token_hash: str
    tenant_id: str
    client_app_id: str
    user_id: str
    scope: str
    resource: str | None
    client_kind: str                 # one of CLIENT_KINDS
    grant_id: str
    first_sign_in: int
    auth_time: int
    created: int
    expires: int
    hard_expiry: int | None = None
    used: int | None = None

    def __repr__(self) -> str:
        return f"RefreshToken(client={self.client_app_id}, user={self.user_id}, expires={self.expires})"


@dataclass(frozen=True, repr=False)
class DeviceCode:
    """A device authorization: the device polls with ``device_code``; a person enters ``user_code`` on the
    device login page and approves. ``status``: pending, approved, declined or redeemed."""

    device_code_hash: str
    user_code: str
    tenant_id: str | None            # None until answered, when asked through common or organizations
    client_app_id: str
    scope: str
    resource: str | None
    endpoint_version: int
    created: int
    expires: int
    interval: int
    status: str = "pending"
    last_poll: int | None = None
    user_id: str | None = None
    auth_time: int | None = None

    def __repr__(self) -> str:
        return f"DeviceCode(client={self.client_app_id}, status={self.status}, expires={self.expires})"


@dataclass(frozen=True)
class Domain:
    """A domain name a tenant has verified: a user principal name in it finds the tenant."""

    tenant_id: str
    name: str
    is_initial: bool
    is_default: bool
    created: str
