"""The signing key lifecycle as rows: ``next`` -> ``active`` -> ``retired``, or ``revoked`` at any point.

Publish before sign: a rotation adds a ``next`` key that the JWKS lists at once and that signs only from
its ``activates`` time, at least one validator cooldown later, so a validator that fetched the JWKS just
before it appeared may wait out its cooldown and still find it. Promotion retires the active key in the
same transaction; a retired key stays published until ``retires`` (the longest token lifetime plus
skew after it stopped signing), then only its row is kept. A revoked key leaves the JWKS at once; if it
was signing, the pending next key or a new one signs at once: an emergency waives publish-before-sign, as
does ``rotate --now``. Other processes see these two within their view's ``refresh``; a scheduled
promotion they see at its ``activates`` time, since they read the next key long before.

Every change runs in one write transaction that first takes the tenant's key lock and re-reads the rows,
so replicas deciding the same change at once make it once; the one-active-key unique index is the
backstop, and a transaction that finds its premise gone raises ``Conflict`` so the caller re-reads.
Key material is made outside the transaction: an operation that needs a new key and has none raises
``NeedKey``, and the caller generates one and runs it again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..directory import iso
from ..store import Tx

VALIDATOR_COOLDOWN = 5 * 60        # how long a JWKS client may wait before refetching for an unknown kid
CLOCK_SKEW = 5 * 60
LONGEST_TOKEN_LIFETIME = 24 * 3600  # managed identity tokens; app tokens live at most 90 minutes


@dataclass(frozen=True)
class RotationPolicy:
    """When keys rotate and how long each stage lasts, in seconds."""

    period: float = 30 * 86400          # age of the active key that triggers a rotation; 0: never on its own
    publish_lead: float = 10 * 60       # a next key is published this long before it signs
    retire_after: float = LONGEST_TOKEN_LIFETIME + CLOCK_SKEW  # a retired key stays published this long
    refresh: float = 30.0               # how stale a process's view of the key rows may get

    @property
    def publishes_in_time(self) -> bool:
        """Whether a next key is published at least one validator cooldown before it signs."""
        return self.publish_lead >= VALIDATOR_COOLDOWN


@dataclass(frozen=True)
class NewKey:
    """Fresh key material: the private key already encrypted for the store."""

    kid: str
    private_key: bytes
    certificate: bytes


@dataclass(frozen=True)
class KeyState:
    kid: str
    status: str
    created: float
    activates: float | None
    retires: float | None

    def published(self, now: float) -> bool:
        """Whether a validator should find this key in the JWKS at ``now``."""
        if self.status == "retired":
            return self.retires is not None and now < self.retires
        return self.status in ("next", "active")

    @property
    def signing_since(self) -> float:
        return self.activates if self.activates is not None else self.created


class NeedKey(Exception):
    """The operation must create a key: generate one and run it again."""


class Conflict(Exception):
    """The rows changed under the transaction; re-read and decide again."""


def _epoch(value: str | None) -> float | None:
    return None if value is None else datetime.fromisoformat(value).timestamp()


def stamp(epoch: float) -> str:
    """A stored time, rounded up to the second: a key never activates or leaves the JWKS early."""
    return iso(datetime.fromtimestamp(math.ceil(epoch), UTC))


def state(row: Any) -> KeyState:
    created = _epoch(row.created)
    assert created is not None
    return KeyState(row.kid, row.status, created, _epoch(row.activates), _epoch(row.retires))


def active_key(keys: Iterable[KeyState]) -> KeyState | None:
    return next((k for k in keys if k.status == "active"), None)


def pending_key(keys: Iterable[KeyState]) -> KeyState | None:
    """The next key to sign: the one that activates first."""
    waiting = [k for k in keys if k.status == "next"]
    return min(waiting, key=lambda k: (k.activates or k.created, k.kid)) if waiting else None


def due_change(keys: Sequence[KeyState], now: float, policy: RotationPolicy) -> str | None:
    """The change the rows need at ``now``: "activate" (no active key), "promote" (a next key's time has
    come) or "rotate" (the active key is older than the rotation period); None when nothing is due."""
    active, pending = active_key(keys), pending_key(keys)
    if active is None:
        return "activate"
    if pending is not None:
        return "promote" if (pending.activates or 0) <= now else None
    if policy.period > 0 and active.signing_since + policy.period <= now:
        return "rotate"
    return None


def next_check(keys: Sequence[KeyState], now: float, policy: RotationPolicy) -> float:
    """When a view of these rows must be read again: after ``refresh`` at the latest, sooner when a next
    key activates, a retired key leaves the JWKS or the active key comes of rotation age."""
    due = now + policy.refresh
    active, pending = active_key(keys), pending_key(keys)
    for key in keys:
        if key.status == "retired" and key.retires is not None and key.retires > now:
            due = min(due, key.retires)
    if pending is not None and pending.activates is not None:
        due = min(due, pending.activates)
    elif active is not None and policy.period > 0:
        due = min(due, active.signing_since + policy.period)
    return due


# -- changes, each inside a write transaction that holds the tenant's key lock ---------------------------
def _states(tx: Tx, tenant_id: str) -> list[KeyState]:
    return [state(row) for row in tx.signing_keys(tenant_id)]


def _locked_states(tx: Tx, tenant_id: str) -> list[KeyState]:
    if not tx.lock_signing_keys(tenant_id):
        raise LookupError(f"No tenant {tenant_id}.")
    return _states(tx, tenant_id)


def _stored(tx: Tx, tenant_id: str, kid: str) -> KeyState:
    return next(k for k in _states(tx, tenant_id) if k.kid == kid)


def _insert(tx: Tx, tenant_id: str, fresh: NewKey | None, status: str, now: float, activates: float) -> KeyState:
    if fresh is None:
        raise NeedKey
    tx.insert_signing_key(fresh.kid, tenant_id, fresh.private_key, fresh.certificate, status, stamp(now),
                          stamp(activates))
    return _stored(tx, tenant_id, fresh.kid)


def _promote(tx: Tx, keys: Sequence[KeyState], key: KeyState, now: float, policy: RotationPolicy) -> None:
    """``key`` signs from now on; the active key, if any, retires."""
    active = active_key(keys)
    if active is not None and not tx.set_signing_key_status(active.kid, "active", "retired",
                                                            retires=stamp(now + policy.retire_after)):
        raise Conflict
    if not tx.set_signing_key_status(key.kid, key.status, "active", activates=stamp(now)):
        raise Conflict


def maintain(tx: Tx, tenant_id: str, now: float, policy: RotationPolicy, fresh: NewKey | None) -> None:
    """Make the change that is due, if it still is once the lock is held."""
    keys = _locked_states(tx, tenant_id)
    change = due_change(keys, now, policy)
    pending = pending_key(keys)
    if change in ("activate", "promote") and pending is not None:
        _promote(tx, keys, pending, now, policy)
    elif change == "activate":
        _insert(tx, tenant_id, fresh, "active", now, now)
    elif change == "rotate":
        _insert(tx, tenant_id, fresh, "next", now, now + policy.publish_lead)


@dataclass(frozen=True)
class Rotation:
    key: KeyState      # the key that signs next (or, with ``immediately``, signs now)
    new: bool          # False when a rotation was already pending and is reused


def rotate(tx: Tx, tenant_id: str, now: float, policy: RotationPolicy, fresh: NewKey | None,
           immediately: bool) -> Rotation:
    """Publish a next key (one already pending is reused); ``immediately`` makes it sign at once."""
    keys = _locked_states(tx, tenant_id)
    pending = pending_key(keys)
    if pending is not None and (pending.activates or 0) <= now:  # already due: it signs, and this rotates on
        _promote(tx, keys, pending, now, policy)
        keys, pending = _states(tx, tenant_id), None
    new = pending is None
    if pending is None:
        pending = _insert(tx, tenant_id, fresh, "next", now, now + (0 if immediately else policy.publish_lead))
    if immediately:
        _promote(tx, keys, pending, now, policy)
    return Rotation(_stored(tx, tenant_id, pending.kid), new)


@dataclass(frozen=True)
class Revocation:
    revoked: KeyState
    replacement: KeyState | None  # the key that became active because the revoked one was


def revoke(tx: Tx, tenant_id: str, kid: str, now: float, policy: RotationPolicy,
           fresh: NewKey | None) -> Revocation | None:
    """Revoke ``kid`` (None when the tenant has no such key). If it was the active key, the pending next
    key (or a new one) signs at once: an emergency waives publish-before-sign."""
    keys = _locked_states(tx, tenant_id)
    target = next((k for k in keys if k.kid == kid), None)
    if target is None:
        return None
    if target.status == "revoked":
        return Revocation(target, None)
    if not tx.set_signing_key_status(kid, target.status, "revoked"):
        raise Conflict
    revoked = _stored(tx, tenant_id, kid)
    if target.status != "active":
        return Revocation(revoked, None)
    rest = [k for k in keys if k.kid != kid]
    pending = pending_key(rest)
    if pending is None:
        return Revocation(revoked, _insert(tx, tenant_id, fresh, "active", now, now))
    _promote(tx, rest, pending, now, policy)
    return Revocation(revoked, _stored(tx, tenant_id, pending.kid))
