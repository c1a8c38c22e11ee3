"""The portal's own session, kept once a person signed in through tenantd's sign-in page, and its CSRF tokens.

Two cookies, each ``__Host-`` (Secure, Path=/, no Domain), HttpOnly, holding a value sealed with an HMAC under
a server secret every replica shares (no token, nothing a script could use):

- ``__Host-tenantd-portal-flow`` (SameSite=Lax, ten minutes): one sign-in's ``state``, PKCE verifier and
  nonce, read back when tenantd's sign-in page sends the browser to ``/portal/signed-in``. Lax, because that
  redirect ends a navigation that may have started outside the portal (a link to it clicked in a terminal):
  Strict would leave the cookie out of it.
- ``__Host-tenantd-portal`` (SameSite=Strict, eight hours at most): who signed in, to which tenant, when, and
  a random session id the CSRF tokens are MACs of. It is set by a page the browser reaches from the portal
  itself (``signed_in.html``), so Strict does not lose it on the way in.

A session ends when it is signed out, after ``SESSION_LIFETIME``, when the person is disabled, and when her
sessions are revoked (her ``signInSessionsValidFrom`` passes its start).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ...runtime import Runtime
from ..pages.flow import FlowSeal

SESSION_COOKIE = "__Host-tenantd-portal"
FLOW_COOKIE = "__Host-tenantd-portal-flow"
SESSION_LIFETIME = 8 * 3600
SIGN_IN_LIFETIME = 600
SECRET_NAME = "portal"   # the shared server secret of the portal's seals (tokens/secrets.Vault)
_SESSION, _SIGN_IN = "portal-session", "portal-sign-in"   # the labels sealed values are bound to
_LOCK = threading.Lock()


@dataclass(frozen=True)
class PortalSession:
    """A signed-in person: her tenant, her object id and name, when the session started, its random id."""

    sid: str
    tenant_id: str
    user_id: str
    user_name: str
    started: int


class Seals:
    """Sealing and opening the portal's cookies; the CSRF token of a session."""

    def __init__(self, seal: FlowSeal) -> None:
        self._seal = seal

    def session_value(self, tenant_id: str, user_id: str, user_name: str) -> str:
        return self._seal.seal(_SESSION, {"s": secrets.token_urlsafe(32), "t": tenant_id, "u": user_id,
                                          "n": user_name})

    def session(self, value: str | None) -> PortalSession | None:
        state = self._seal.open(_SESSION, value, SESSION_LIFETIME)
        if state is None or not all(isinstance(state.get(k), str) for k in "stun"):
            return None
        return PortalSession(state["s"], state["t"], state["u"], state["n"], state["i"])

    def sign_in_value(self, state: dict[str, Any]) -> str:
        return self._seal.seal(_SIGN_IN, state)

    def sign_in(self, value: str | None) -> dict[str, Any] | None:
        return self._seal.open(_SIGN_IN, value, SIGN_IN_LIFETIME)

    def csrf(self, session: PortalSession) -> str:
        return self._seal.csrf(session.sid)

    def csrf_ok(self, session: PortalSession, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(session).encode(), (token or "").encode())


def seals_of(request: Request) -> Seals:
    """The application's Seals, made on first use (it reads the shared secret: call it off the event loop)."""
    state = request.app.state
    with _LOCK:
        found: Seals | None = getattr(state, "portal_seals", None)
        if found is None:
            runtime: Runtime = state.runtime
            key = runtime.vault.shared_secret(runtime.store, SECRET_NAME)
            found = state.portal_seals = Seals(FlowSeal(key, runtime.tokens.clock))
    return found
