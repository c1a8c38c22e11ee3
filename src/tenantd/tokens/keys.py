"""Per-tenant RSA-2048 signing keys: created on first need, encrypted at rest, decrypted once per process.

Each key comes with a self-signed certificate, published as ``x5c``; its ``kid`` is the certificate's
SHA-1 thumbprint in base64url, as Entra's are (so ``x5t`` equals ``kid``). How keys rotate is in
``rotation``; the Keyring keeps each tenant's view of its keys in memory and reads the rows again only when
the view is ``refresh`` seconds old or a change is due (a next key's time, a retired key's end, the
rotation period), so it notices what other processes and replicas did without a read per token. A token
signed by a key the view does not know yet (another process's ``rotate --now`` or a revoked key's
replacement) makes the view be read again at once: the first time each kid is seen, then at most once per
``REREAD`` seconds for the same kid, and never more than ``REREADS_PER_SECOND`` times a second per tenant, so
tokens with made-up kids cannot turn into a database read each.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..store import Store, Tx
from ..store.sql import DuplicateKey
from . import rotation
from .rotation import KeyState, NewKey, Revocation, Rotation, RotationPolicy
from .secrets import Vault

_T = TypeVar("_T")
REREAD = 1.0               # the least time between two reads of a tenant's keys for the same unknown kid
REREADS_PER_SECOND = 10    # the most reads of a tenant's keys for unknown kids in one second
_MISSES_KEPT = 1024        # how many recently unknown kids are remembered


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class SigningKey:
    kid: str
    tenant_id: str
    private_key: rsa.RSAPrivateKey
    certificate_der: bytes
    status: str

    def public_jwk(self, issuer: str) -> dict[str, Any]:
        """The JWKS entry: public members only, never d/p/q."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": _uint(numbers.n),
            "e": _uint(numbers.e), "x5c": [base64.b64encode(self.certificate_der).decode("ascii")],
            "issuer": issuer,
        }


def _new_key(tenant_id: str) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"tenantd token signing {tenant_id}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=5 * 365)).sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class _View:
    """One tenant's keys as this process last read them, good until ``due``."""

    active: SigningKey
    published: tuple[SigningKey, ...]
    kids: frozenset[str]
    due: float
    read: float = 0.0


class Keyring:
    """Signing keys by tenant: the active one signs, the published ones verify; rotation and revocation."""

    def __init__(self, store: Store, vault: Vault, policy: RotationPolicy | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._vault = vault
        self.policy = policy or RotationPolicy()
        self.clock = clock
        self._lock = threading.Lock()
        self._views: dict[str, _View] = {}                # tenant id -> view
        self._private: dict[str, rsa.RSAPrivateKey] = {}  # kid -> decrypted key
        self._misses: dict[tuple[str, str], float] = {}   # (tenant id, unknown kid) -> when it was looked up
        self._rereads: dict[str, tuple[int, int]] = {}    # tenant id -> (second, reads for unknown kids in it)

    def active(self, tenant_id: str) -> SigningKey:
        return self._view(tenant_id).active

    def published(self, tenant_id: str) -> list[SigningKey]:
        """Keys a validator should trust: the active key, the next one and the retired ones still published."""
        return list(self._view(tenant_id).published)

    def is_published(self, tenant_id: str, kid: str) -> bool:
        return kid in self._view(tenant_id).kids

    def known_active(self, tenant_id: str) -> SigningKey | None:
        """``active`` from the view in memory; None when the view is due to be read again."""
        view = self._known(tenant_id)
        return None if view is None else view.active

    def known_published(self, tenant_id: str, kid: str) -> bool | None:
        """``is_published`` from the view in memory; None when the view is due to be read again."""
        view = self._known(tenant_id)
        return None if view is None else kid in view.kids

    def known_key(self, tenant_id: str, kid: str) -> SigningKey | None:
        """The published key ``kid`` from the view in memory; None when it is not among them or the view is due
        to be read again (``verifying`` then tells)."""
        view = self._known(tenant_id)
        return None if view is None else next((k for k in view.published if k.kid == kid), None)

    def _known(self, tenant_id: str) -> _View | None:
        """The tenant's view while it is in memory and not due to be read again."""
        view = self._views.get(tenant_id)
        return view if view is not None and self.clock() < view.due else None

    def verifying(self, tenant_id: str, kid: object) -> list[SigningKey]:
        """The published keys, read again first when ``kid`` (a token's) is not among them: a key another
        process made sign at once verifies here at once."""
        view = self._view(tenant_id)
        if isinstance(kid, str) and kid not in view.kids:
            with self._lock:
                current = self._views.get(tenant_id)
                if current is not None and kid in current.kids:
                    view = current
                elif self._may_reread(tenant_id, kid):
                    view = self._refresh(tenant_id)
        return list(view.published)

    def _may_reread(self, tenant_id: str, kid: str) -> bool:
        """Whether an unknown kid may cause a read now (called under the lock)."""
        now = self.clock()
        if now < self._misses.get((tenant_id, kid), -REREAD) + REREAD:
            return False
        second, count = self._rereads.get(tenant_id, (int(now), 0))
        if second != int(now):
            second, count = int(now), 0
        if count >= REREADS_PER_SECOND:
            return False
        self._rereads[tenant_id] = (second, count + 1)
        if len(self._misses) >= _MISSES_KEPT:
            self._misses = {key: at for key, at in self._misses.items() if now < at + REREAD}
            if len(self._misses) >= _MISSES_KEPT:
                self._misses.clear()
        self._misses[(tenant_id, kid)] = now
        return True

    def keys(self, tenant_id: str) -> list[KeyState]:
        """Every key the tenant has had, newest first, as stored now."""
        with self._store.read() as tx:
            return [rotation.state(row) for row in tx.signing_keys(tenant_id)]

    def signing_ages(self, limit: int) -> list[tuple[str, float]]:
        """(tenant id, seconds its active key has signed) of the ``limit`` tenants whose keys signed longest,
        as stored now (read only: nothing is rotated here)."""
        with self._store.read() as tx:
            rows = tx.active_signing_keys(limit)
        now = self.clock()
        return [(row.tenant_id, max(0.0, now - rotation.state(row).signing_since)) for row in rows]

    def rotate(self, tenant_id: str, *, immediately: bool = False) -> Rotation:
        """Publish a next key now that signs after the publish lead (``immediately``: at once)."""
        result = self._change(tenant_id, lambda tx, fresh: rotation.rotate(
            tx, tenant_id, self.clock(), self.policy, fresh, immediately))
        self._forget(tenant_id)
        return result

    def revoke(self, tenant_id: str, kid: str) -> Revocation | None:
        """Revoke a key at once (None when the tenant has no such key)."""
        result = self._change(tenant_id, lambda tx, fresh: rotation.revoke(
            tx, tenant_id, kid, self.clock(), self.policy, fresh))
        self._forget(tenant_id)
        return result

    # -- the cached view ----------------------------------------------------------------------------------
    def _view(self, tenant_id: str) -> _View:
        view = self._known(tenant_id)
        if view is not None:
            return view
        with self._lock:
            return self._known(tenant_id) or self._refresh(tenant_id)

    def _forget(self, tenant_id: str) -> None:
        with self._lock:
            self._views.pop(tenant_id, None)

    def _refresh(self, tenant_id: str) -> _View:
        """Read the tenant's rows, make the change that is due (if any), and build the view."""
        now = self.clock()
        rows = self._rows(tenant_id)
        if rotation.due_change([rotation.state(r) for r in rows], now, self.policy):
            self._change(tenant_id, lambda tx, fresh: rotation.maintain(tx, tenant_id, now, self.policy, fresh))
            rows = self._rows(tenant_id)
        states = [rotation.state(r) for r in rows]
        active: SigningKey | None = None
        published: list[SigningKey] = []
        for row, key in zip(rows, states, strict=True):
            if not key.published(now):  # revoked, or retired for good: its private key is not needed again
                self._private.pop(key.kid, None)
                continue
            signing = SigningKey(key.kid, tenant_id, self._decrypted(row), bytes(row.certificate), key.status)
            published.append(signing)
            if key.status == "active":
                active = signing
        if active is None:
            raise RuntimeError(f"tenant {tenant_id} has no active signing key")
        published.sort(key=lambda k: ("active", "next", "retired").index(k.status))
        view = _View(active, tuple(published), frozenset(k.kid for k in published),
                     rotation.next_check(states, now, self.policy), now)
        self._views[tenant_id] = view
        return view

    def _rows(self, tenant_id: str) -> Sequence[Any]:
        with self._store.read() as tx:
            return tx.signing_keys(tenant_id)

    def _decrypted(self, row: Any) -> rsa.RSAPrivateKey:
        private = self._private.get(row.kid)
        if private is None:
            loaded = serialization.load_der_private_key(self._vault.decrypt(bytes(row.private_key)), password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey)
            private = self._private[row.kid] = loaded
        return private

    # -- changes --------------------------------------------------------------------------------------------
    def _change(self, tenant_id: str, change: Callable[[Tx, NewKey | None], _T]) -> _T:
        """Run a lifecycle change in a write transaction; make key material when it asks for some, and
        decide again when another process changed the rows first."""
        fresh: NewKey | None = None
        for _ in range(5):
            try:
                with self._store.write() as tx:
                    return change(tx, fresh)
            except rotation.NeedKey:
                fresh = self._material(tenant_id)
            except (rotation.Conflict, DuplicateKey):
                continue
        raise RuntimeError(f"signing keys of tenant {tenant_id} kept changing; gave up")

    def _material(self, tenant_id: str) -> NewKey:
        key, cert = _new_key(tenant_id)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        kid = b64url(hashlib.sha1(cert).digest())  # noqa: S324 - x5t is defined as SHA-1
        return NewKey(kid, self._vault.encrypt(der), cert)
