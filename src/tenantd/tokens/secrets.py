"""The master key and what it protects: secrets every replica must share, encrypted at rest.

The master key is a Fernet key (32 random bytes in url-safe base64), generated into the data directory
(mode 0600) or given by ``TENANTD_MASTER_KEY``. A canary value encrypted with it is stored on first start; a
wrong key fails to decrypt the canary and tenantd refuses to start instead of minting unverifiable tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ..domain.errors import ConfigError
from ..store import Store
from ..store.sql import DuplicateKey

MASTER_KEY_ENV = "TENANTD_MASTER_KEY"
_CANARY = b"tenantd master key canary"
_KEY_TEXT = re.compile(r"([A-Za-z0-9_-]{43})=?")   # 32 bytes: 43 characters and one '=' of padding
MALFORMED_MASTER_KEY = (
    "The master key is malformed: it must be 32 random bytes in url-safe base64 (44 characters with its '=' "
    "padding, or 43 without). Make one with `tenantd keys master-key` (or `python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(32))'`).")


def new_master_key() -> str:
    """A new master key, as ``TENANTD_MASTER_KEY`` and ``master.key`` hold it (padded url-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def master_key_from_text(text: str) -> bytes:
    """The Fernet key ``text`` spells: 32 bytes in url-safe base64, padded (as Fernet writes it) or unpadded (as
    ``secrets.token_urlsafe(32)`` writes the same 32 random bytes). Anything else is refused, never shortened
    or stretched into a key."""
    found = _KEY_TEXT.fullmatch(text.strip())
    if found is None:
        raise ConfigError(MALFORMED_MASTER_KEY)
    return base64.urlsafe_b64encode(base64.urlsafe_b64decode(found.group(1) + "="))


def load_master_key(data_dir: Path | None) -> bytes:
    """The master key from the environment, else from ``data_dir/master.key`` (created once)."""
    env = os.environ.get(MASTER_KEY_ENV)
    if env:
        return master_key_from_text(env)
    if data_dir is None:
        raise ConfigError(f"No master key: set {MASTER_KEY_ENV} (a replica without a data directory needs it); "
                          "make one with `tenantd keys master-key`.")
    path = data_dir / "master.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_master_key())
    return master_key_from_text(path.read_bytes().decode("ascii", errors="replace"))


class Vault:
    """Encrypts and decrypts server secrets with the master key."""

    def __init__(self, master_key: bytes) -> None:
        self._fernet = Fernet(master_key)

    def encrypt(self, value: bytes) -> bytes:
        return self._fernet.encrypt(value)

    def decrypt(self, value: bytes) -> bytes:
        return self._fernet.decrypt(value)

    def check(self, store: Store) -> None:
        """Fail closed when the master key does not match the database's."""
        with store.read() as tx:
            canary = tx.secret("canary")
        if canary is None:
            try:
                with store.write() as tx:
                    tx.insert_secret("canary", self.encrypt(_CANARY))
            except DuplicateKey:
                pass  # another replica wrote it first; check against theirs
            with store.read() as tx:
                canary = tx.secret("canary")
        assert canary is not None
        try:
            ok = self.decrypt(canary) == _CANARY
        except InvalidToken:
            ok = False
        if not ok:
            raise ConfigError("The master key does not match this database (wrong TENANTD_MASTER_KEY or "
                              "master.key); refusing to start.")

    def shared_secret(self, store: Store, name: str, make: bytes | None = None) -> bytes:
        """A secret all replicas share, created on first use (the first writer wins a race)."""
        with store.read() as tx:
            stored = tx.secret(name)
        if stored is None:
            try:
                with store.write() as tx:
                    tx.insert_secret(name, self.encrypt(make if make is not None else secrets.token_bytes(32)))
            except DuplicateKey:
                pass
            with store.read() as tx:
                stored = tx.secret(name)
        assert stored is not None
        return self.decrypt(stored)


class SecretHasher:
    """HMAC-SHA256 with a server pepper: the right store for generated secrets of >= 256 bits."""

    def __init__(self, pepper: bytes) -> None:
        self._pepper = pepper

    def __call__(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode("utf-8"), hashlib.sha256).digest()

    def matches(self, secret: str, stored: bytes) -> bool:
        return hmac.compare_digest(self(secret), stored)
