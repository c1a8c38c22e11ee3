"""Limits on failed client authentication at the token endpoint (SECURITY.md item 15).

What is counted: each refused client credential of a client that exists (a wrong or expired secret, an
assertion that does not verify), per fixed window (default one minute), in two counters shared by every
worker and replica through the database: one for the client and the source address, one for the client
from all sources. Successes are not counted and write nothing.

When a source is blocked (429 with ``Retry-After``, until the window ends, without checking its credential):

- after ``per_source`` failures (default 10) of its own for that client in the window; or
- after ``per_source_under_attack`` failures of its own (default 3) while the client has
  ``per_client`` failures (default 100) from all sources in the window.

A source is only ever blocked by its own failures. An attacker who fails from one address (or a thousand)
cannot lock the real caller out: the caller's address has not failed, so it keeps getting tokens. The
client-wide count only makes failing addresses give up sooner, which bounds a distributed guesser to about
``per_client + per_source_under_attack`` guesses per address set and window. (Client secrets carry 256 bits,
so guessing is hopeless anyway; the limits keep a guesser from loading the server and filling its logs.)

The hot path stays cheap: a request from a source this process knows to be blocked is answered from a
per-process map of "blocked until"; any other request is checked as usual and touches the counters only if
it fails (one upsert per counter, which returns the shared count). So a process learns of a block another
replica counted at the first failure it sees from that source; until then, it checks credentials, and a
correct one still gets its token: the block stops guessing, and a guess that fails is counted.

Entra answers client credential throttling with HTTP 429 and ``Retry-After`` (MSAL.NET's "Client throttling"
wiki; AzureAD/microsoft-authentication-library-for-dotnet#2855). The body here is the usual OAuth error with
``temporarily_unavailable`` (RFC 6749 section 5.2) and AADSTS90055, Entra's throttling code
("TenantThrottlingError: There are too many incoming requests"; reference-error-codes).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..domain.errors import OAuthError
from ..store import Store

THROTTLED = 90055
_NOT_COUNTED = {700016}            # no such client: nothing to guess (and no row per invented client id)
_MAX_REMEMBERED = 100_000          # blocked (client, source) pairs a process remembers


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed per window; 0 turns a limit off. ``window`` is in seconds."""

    per_source: int = 10
    per_client: int = 100
    per_source_under_attack: int = 3
    window: int = 60

    @property
    def enabled(self) -> bool:
        return self.per_source > 0 or self.per_client > 0

    def blocks(self, source_failures: int, client_failures: int) -> bool:
        if self.per_source and source_failures >= self.per_source:
            return True
        return bool(self.per_client and client_failures >= self.per_client
                    and source_failures >= self.per_source_under_attack)


def throttled(retry_after: int) -> OAuthError:
    return OAuthError(429, "temporarily_unavailable", THROTTLED,
                      "Too many failed client authentications from this address for this application. "
                      f"Retry after {retry_after} seconds.", headers={"Retry-After": str(retry_after)})


class FailureThrottle:
    def __init__(self, store: Store, policy: ThrottlePolicy | None = None,
                 clock: Callable[[], float] = time.time, *, refusal: Callable[[int], OAuthError] = throttled,
                 counted: frozenset[int] | None = None) -> None:
        """``refusal`` makes the answer of a blocked source from its seconds to wait; ``counted`` is the AADSTS
        codes that count as failures (by default every refusal but an unknown client)."""
        self.store = store
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        self.refusal = refusal
        self.counted = counted
        self._blocked: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()
        self._purged_slot = -1

    @contextmanager
    def guard(self, tenant_id: str, client_id: str, source: str | None) -> Iterator[None]:
        """Around a client authentication: refuse a blocked source at once; count a failure (and answer 429
        instead when the source is now over its limit)."""
        if not self.policy.enabled:
            yield
            return
        key = _key(tenant_id, client_id, source)
        now = self.clock()
        until = self._blocked.get(key)
        if until is not None:
            if now < until:
                raise self.refusal(_seconds(until - now))
            with self._lock:
                self._blocked.pop(key, None)
        try:
            yield
        except OAuthError as exc:
            if exc.aadsts in _NOT_COUNTED if self.counted is None else exc.aadsts not in self.counted:
                raise
            retry_after = self._failed(key, now)
            if retry_after is None:
                raise
            raise self.refusal(retry_after) from None

    def blocked(self, tenant_id: str, client_id: str, source: str | None) -> bool:
        """Whether ``guard`` would refuse this source at once (known without a read)."""
        until = self._blocked.get(_key(tenant_id, client_id, source))
        return until is not None and self.clock() < until

    def _failed(self, key: tuple[str, str, str], now: float) -> int | None:
        """Count one failure; seconds to wait when the source has now used up its allowance, else None.
        The failure that reaches a limit still gets its own answer; from the next one on, 429."""
        window = self.policy.window
        slot = int(now // window)
        tenant_id, client_id, source = key
        with self.store.counters() as tx:
            source_failures, client_failures = tx.count_auth_failure(tenant_id, client_id, [source, ""], slot)
            if slot > self._purged_slot:
                self._purged_slot = slot
                tx.delete_auth_failures_before(slot - 1)
        if not self.policy.blocks(source_failures, client_failures):
            return None
        until = (slot + 1) * window
        with self._lock:
            if len(self._blocked) >= _MAX_REMEMBERED:
                self._forget_expired(now)
            self._blocked[key] = until
        over = self.policy.blocks(source_failures - 1, client_failures - 1)
        return _seconds(until - now) if over else None

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, until in self._blocked.items() if until <= now]:
            del self._blocked[key]
        if len(self._blocked) >= _MAX_REMEMBERED:
            self._blocked.clear()


def _key(tenant_id: str, client_id: str, source: str | None) -> tuple[str, str, str]:
    return tenant_id, client_id, (source or "")[:64]


def _seconds(delta: float) -> int:
    return max(1, math.ceil(delta))
