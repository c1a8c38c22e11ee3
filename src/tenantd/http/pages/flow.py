"""What a sign-in carries from one page to the next, and the pages' CSRF tokens (SECURITY.md items 40, 44).

Each browser gets a random binding cookie (``__Host-tenantd-flow``: 256 bits, HttpOnly, SameSite=Lax) the
first time a page with a form is shown. Every form holds

- ``csrf``: an HMAC of the binding cookie with a server secret all replicas share. A POST whose token does
  not match its cookie (another site's form, a form from another browser, no cookie) is refused with 400.
- ``flow``: the sign-in's state (the authorize request's parameters or the device code, the name typed, and
  once the password was right, who signed in and when), as JSON with an HMAC over it and the binding cookie.
  It cannot be altered, and it is worthless in another browser. Every step validates the authorize request
  again from it, so a redirect URI removed meanwhile is refused at the last step too.

A flow lives ``FLOW_LIFETIME`` seconds; the proof of a password ``PROOF_LIFETIME`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

BINDING_COOKIE = "__Host-tenantd-flow"
FLOW_LIFETIME = 3600    # seconds from the authorize request (or the device code page) to the last step
PROOF_LIFETIME = 600    # seconds a password proof is good for ("Stay signed in?", the device confirmation)
MAX_FLOW = 16 * 1024    # characters of a sealed flow


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_binding() -> str:
    return secrets.token_urlsafe(32)


class FlowSeal:
    """MACs with one server secret, under separate labels for CSRF tokens and flows."""

    def __init__(self, key: bytes, clock: Callable[[], float]) -> None:
        self._key = key
        self._clock = clock

    def _mac(self, label: bytes, binding: str, payload: bytes = b"") -> bytes:
        return hmac.new(self._key, label + b"\0" + binding.encode() + b"\0" + payload, hashlib.sha256).digest()

    def csrf(self, binding: str) -> str:
        return _b64(self._mac(b"csrf", binding))

    def csrf_ok(self, binding: str | None, token: str | None) -> bool:
        if not binding or not token:
            return False
        return hmac.compare_digest(self.csrf(binding).encode(), token.encode())

    def seal(self, binding: str, state: dict[str, Any]) -> str:
        """``state`` (JSON-able) sealed for ``binding``'s browser; a new flow's time starts now."""
        body = {"i": int(self._clock()), **state}
        payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(b'flow', binding, payload))}"

    def open(self, binding: str | None, sealed: str | None, lifetime: int = FLOW_LIFETIME) -> dict[str, Any] | None:
        """The state sealed for ``binding``'s browser, unless altered, foreign or older than ``lifetime``."""
        if not binding or not sealed or len(sealed) > MAX_FLOW or sealed.count(".") != 1:
            return None
        encoded, mac = sealed.split(".")
        try:
            payload, tag = _unb64(encoded), _unb64(mac)
        except ValueError:
            return None
        if not hmac.compare_digest(self._mac(b"flow", binding, payload), tag):
            return None
        state = json.loads(payload)
        if not isinstance(state, dict) or not isinstance(state.get("i"), int):
            return None
        if not 0 <= self._clock() - state["i"] <= lifetime:
            return None
        return state
