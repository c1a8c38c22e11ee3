"""The browser's single sign-on session (SECURITY.md item 43).

The cookie holds 256 random bits; the database holds only their SHA-256 (``browser_sessions``) and the
accounts signed in within the session (``session_accounts``), so every replica sees a sign-in and a sign-out
at once, and a stolen database holds no usable cookie. "Stay signed in?" decides the lifetime: Yes, a
persistent cookie and 90 days; No, a cookie that ends with the browser and 24 hours. Each sign-in starts a
new session under a new cookie, carrying the accounts of the one before (no fixation of a cookie an
attacker planted). Disabling a user, revoking her sessions or changing her password deletes her accounts'
rows; an account that is gone is simply not in the session, and the next authorize asks again.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from ..domain.sign_in_state import BrowserSession, SessionAccount, secret_hash
from ..store import Store

SESSION_COOKIE = "__Host-tenantd-session"
PERSISTENT_LIFETIME = 90 * 86400   # seconds: "Stay signed in?" Yes
BROWSER_LIFETIME = 86400           # seconds: No (the cookie also ends when the browser closes)
MAX_COOKIE = 64                    # characters: token_urlsafe(32) is 43


@dataclass(frozen=True)
class Session:
    """A session that exists and has not expired, with the accounts it holds (newest sign-in first)."""

    id_hash: str
    record: BrowserSession
    accounts: tuple[SessionAccount, ...]

    @property
    def state(self) -> str:
        """``session_state`` of the authorize response: a GUID naming the session, from which neither the
        cookie nor its stored hash can be had."""
        return session_state(self.id_hash)


@dataclass(frozen=True, repr=False)
class NewSession:
    """A session just started: the cookie to set, and its Max-Age (None: a cookie for the browser session)."""

    cookie: str
    max_age: int | None
    session: Session

    def __repr__(self) -> str:
        return f"NewSession(max_age={self.max_age})"


def session_state(id_hash: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(b"session_state\0" + id_hash.encode()).digest()[:16], version=4))


def _hash(cookie: str | None) -> str | None:
    return secret_hash(cookie) if cookie and len(cookie) <= MAX_COOKIE else None


def find(store: Store, cookie: str | None, now: int) -> Session | None:
    """The session ``cookie`` names, unless it is unknown or over."""
    id_hash = _hash(cookie)
    if id_hash is None:
        return None
    with store.read() as tx:
        record = tx.browser_session(id_hash)
        if record is None or record.expires <= now:
            return None
        return Session(id_hash, record, tuple(tx.session_accounts(id_hash)))


def sign_in(store: Store, cookie: str | None, tenant_id: str, user_id: str, auth_time: int, persistent: bool,
            now: int) -> NewSession:
    """A new session holding the accounts of ``cookie``'s session (if any) and this one, which replaces it."""
    new_cookie = secrets.token_urlsafe(32)
    new_hash = secret_hash(new_cookie)
    lifetime = PERSISTENT_LIFETIME if persistent else BROWSER_LIFETIME
    record = BrowserSession(new_hash, now, now + lifetime, persistent)
    old_hash = _hash(cookie)
    with store.write() as tx:
        old = tx.browser_session(old_hash) if old_hash else None
        live = old is not None and old_hash is not None and old.expires > now
        kept = [a for a in tx.session_accounts(old_hash) if a.user_id != user_id] if live and old_hash else []
        tx.insert_browser_session(record)
        for account in kept:
            tx.put_session_account(SessionAccount(new_hash, account.tenant_id, account.user_id, account.auth_time))
        tx.put_session_account(SessionAccount(new_hash, tenant_id, user_id, auth_time))
        if old_hash and old is not None:
            tx.delete_browser_session(old_hash)
        accounts = tuple(tx.session_accounts(new_hash))
    return NewSession(new_cookie, lifetime if persistent else None, Session(new_hash, record, accounts))


def sign_out(store: Store, cookie: str | None) -> None:
    """End ``cookie``'s session and every account in it, on every replica."""
    id_hash = _hash(cookie)
    if id_hash is not None:
        with store.write() as tx:
            tx.delete_browser_session(id_hash)
