"""Per-tenant RSA-2048 signing keys: created on first need, encrypted at rest, loaded once per process.

Each key comes with a self-signed certificate, published as ``x5c``; its ``kid`` is the certificate's
SHA-1 thumbprint in base64url, as Entra's are (so ``x5t`` equals ``kid``). Replicas racing to create a
tenant's first key are serialised by the store's one-active-key index: the loser reads the winner's key.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ..directory import iso
from ..store import Store
from ..store.sql import DuplicateKey
from .secrets import Vault


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


class Keyring:
    """Signing keys by tenant, decrypted once and kept in memory."""

    def __init__(self, store: Store, vault: Vault) -> None:
        self._store = store
        self._vault = vault
        self._lock = threading.Lock()
        self._loaded: dict[str, SigningKey] = {}   # kid -> key
        self._active: dict[str, str] = {}          # tenant id -> kid

    def active(self, tenant_id: str) -> SigningKey:
        kid = self._active.get(tenant_id)
        if kid is None:
            with self._lock:
                kid = self._active.get(tenant_id) or self._load_or_create(tenant_id)
        return self._loaded[kid]

    def published(self, tenant_id: str) -> list[SigningKey]:
        """Keys a validator should trust: the active key and the retired ones still published."""
        self.active(tenant_id)
        return [k for k in self._loaded.values() if k.tenant_id == tenant_id]

    def _load_or_create(self, tenant_id: str) -> str:
        if not self._read(tenant_id):
            key, cert = _new_key(tenant_id)
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            kid = b64url(hashlib.sha1(cert).digest())  # noqa: S324 - x5t is defined as SHA-1
            try:
                with self._store.write() as tx:
                    tx.insert_signing_key(kid, tenant_id, self._vault.encrypt(der), cert, "active",
                                          iso(datetime.now(UTC)))
            except DuplicateKey:
                pass  # another process created the tenant's active key first
            self._read(tenant_id)
        return self._active[tenant_id]

    def _read(self, tenant_id: str) -> bool:
        with self._store.read() as tx:
            rows = tx.signing_keys(tenant_id)
        for row in rows:
            if row.kid not in self._loaded:
                der = self._vault.decrypt(bytes(row.private_key))
                private = serialization.load_der_private_key(der, password=None)
                assert isinstance(private, rsa.RSAPrivateKey)
                self._loaded[row.kid] = SigningKey(row.kid, tenant_id, private, bytes(row.certificate), row.status)
            if row.status == "active":
                self._active[tenant_id] = row.kid
        return tenant_id in self._active
