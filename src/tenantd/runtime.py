"""The composition root: opens the store, checks the master key, and wires directory and token service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .directory import Directory
from .domain.errors import ConfigError
from .store import Store
from .store.migrate import current, head, migrate
from .tokens.grants import GRANTS
from .tokens.keys import Keyring
from .tokens.secrets import SecretHasher, Vault, load_master_key
from .tokens.service import TokenService


@dataclass
class Runtime:
    store: Store
    vault: Vault
    directory: Directory
    tokens: TokenService
    public_url: str


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'tenantd.db').resolve()}"


def open_runtime(database_url: str, data_dir: Path | None, public_url: str | None,
                 *, default_public_url: str | None = None, run_migrations: bool = True) -> Runtime:
    """Open (and migrate) the store, check the master key, and settle the public URL.

    An explicit ``public_url`` is stored for every replica. Otherwise the stored one is used, unless it
    is itself a localhost default, which follows ``default_public_url`` (https://localhost:<bound port>).
    """
    store = Store(database_url)
    try:
        if run_migrations:
            migrate(store)
        elif current(store) != head():
            raise ConfigError("The database schema is not current: run `tenantd migrate` first.")
        vault = Vault(load_master_key(data_dir))
        vault.check(store)
        hasher = SecretHasher(vault.shared_secret(store, "pepper"))
        with store.write() as tx:
            if public_url:
                tx.put_setting("public_url", public_url.rstrip("/"))
            elif default_public_url and _is_local_default(tx.setting("public_url")):
                tx.put_setting("public_url", default_public_url.rstrip("/"))
            url = tx.setting("public_url")
    except Exception:
        store.dispose()
        raise
    if not url:
        store.dispose()
        raise ConfigError("No public URL is stored in this database yet: pass --public-url.")
    keyring = Keyring(store, vault)
    tokens = TokenService(store, keyring, hasher, url, GRANTS)
    return Runtime(store, vault, Directory(store, hasher), tokens, url)


def _is_local_default(stored: str | None) -> bool:
    return stored is None or stored.startswith("https://localhost:")
