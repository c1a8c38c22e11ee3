"""The composition root: opens the store, checks the master key, and wires directory and token service."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .directory import Directory
from .domain.errors import ConfigError, Unavailable
from .store import Store
from .store.migrate import current, head, holds_tenant, migrate
from .tokens.grants import GRANTS, MEMORY_GRANTS, TENANT_FINDERS
from .tokens.keys import Keyring
from .tokens.rotation import RotationPolicy
from .tokens.secrets import SecretHasher, Vault, load_master_key
from .tokens.secrets import new_master_key as new_master_key  # for `tenantd keys master-key`
from .tokens.service import APP_TOKEN_LIFETIME, TokenService
from .tokens.signins import RETENTION, SignInLog
from .tokens.throttle import FailureThrottle, ThrottlePolicy


@dataclass
class Runtime:
    store: Store
    vault: Vault
    directory: Directory
    tokens: TokenService
    public_url: str
    sign_ins: SignInLog   # not writing until started: run_server starts it and flushes it on stop


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'tenantd.db').resolve()}"


def open_runtime(database_url: str, data_dir: Path | None, public_url: str | None,
                 *, default_public_url: str | None = None, run_migrations: bool = True,
                 key_rotation: RotationPolicy | None = None, clock: Callable[[], float] = time.time,
                 sign_in_retention: float = RETENTION, allow_loopback_issuers: bool = False,
                 auth_throttle: ThrottlePolicy | None = None,
                 app_token_lifetime: tuple[int, int] | None = None,
                 refresh_reuse_detection: bool = False) -> Runtime:
    """Open (and migrate) the store, check the master key, and settle the public URL.

    An explicit ``public_url`` is stored for every replica. Otherwise the stored one is used, unless it
    is itself a localhost default, which follows ``default_public_url`` (https://localhost:<bound port>).
    ``key_rotation`` sets the signing key schedule; ``clock`` is the time keys and tokens go by.
    ``sign_in_retention`` is how many seconds sign-in log rows are kept. ``allow_loopback_issuers`` lets
    federated credentials trust issuers on loopback addresses (their keys are fetched from there).
    ``auth_throttle`` limits failed client authentications (the defaults of ThrottlePolicy when None).
    ``app_token_lifetime`` is the (shortest, longest) lifetime of app and user tokens in seconds.
    ``refresh_reuse_detection`` revokes a refresh token's whole sign-in when it is used twice.
    """
    store = Store(database_url)
    try:
        vault = Vault(load_master_key(data_dir))   # a missing or malformed key is told before anything is written
        if run_migrations:
            migrate(store)
        elif current(store) != head():
            raise ConfigError("The database schema is not current: run `tenantd migrate` first.")
        vault.check(store)
        hasher = SecretHasher(vault.shared_secret(store, "pepper"))
        with store.write() as tx:
            if public_url:
                tx.put_setting("public_url", check_public_url(public_url))
            elif default_public_url and _is_local_default(tx.setting("public_url")):
                tx.put_setting("public_url", default_public_url.rstrip("/"))
            url = tx.setting("public_url")
    except Exception:
        store.dispose()
        raise
    if not url:
        store.dispose()
        raise ConfigError("No public URL is stored in this database yet: pass --public-url.")
    keyring = Keyring(store, vault, key_rotation, clock)
    sign_ins = SignInLog(store, retention=sign_in_retention, clock=clock)
    tokens = TokenService(store, keyring, hasher, url, GRANTS, clock, sign_ins=sign_ins,
                          allow_loopback_issuers=allow_loopback_issuers,
                          throttle=FailureThrottle(store, auth_throttle, clock),
                          app_token_lifetime=app_token_lifetime or APP_TOKEN_LIFETIME, memory_grants=MEMORY_GRANTS,
                          tenant_finders=TENANT_FINDERS, refresh_reuse_detection=refresh_reuse_detection)
    return Runtime(store, vault, Directory(store, hasher, public_url=url), tokens, url, sign_ins=sign_ins)


def check_public_url(url: str) -> str:
    """``url`` without a trailing slash, when it can be the base of every issuer and link: http(s) and a host,
    no credentials, query or fragment."""
    parts = urlsplit(url.strip())
    try:
        parts.port   # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = parts._replace(netloc="")
    if (parts.scheme not in ("https", "http") or not parts.hostname or "@" in parts.netloc or parts.query
            or parts.fragment):
        raise ConfigError(f"--public-url must be an absolute http(s) URL such as https://tenantd.example.com, "
                          f"not '{url}'.")
    return url.strip().rstrip("/")


def database_holds_tenant(database_url: str) -> bool:
    """Whether the database at ``database_url`` holds a tenant; nothing is created or migrated to find out."""
    store = Store(database_url)
    try:
        return holds_tenant(store)
    except Unavailable as exc:
        cause = getattr(exc.__cause__, "orig", None) or exc   # the driver's own words, without SQLAlchemy's
        raise ConfigError(f"Cannot reach the database: {str(cause).strip()}") from None
    finally:
        store.dispose()


def key_rotation(days: float, publish_minutes: float) -> RotationPolicy:
    """The signing key schedule as `up` and `serve` take it: rotate after ``days`` (0: only by hand),
    publish a next key ``publish_minutes`` before it signs."""
    if days < 0 or publish_minutes < 0:
        raise ConfigError("--key-rotation-days and --key-publish-minutes must not be negative.")
    if days and days * 86400 <= publish_minutes * 60:
        raise ConfigError("--key-rotation-days must be longer than --key-publish-minutes.")
    return RotationPolicy(period=days * 86400, publish_lead=publish_minutes * 60)


def _is_local_default(stored: str | None) -> bool:
    return stored is None or stored.startswith(("https://localhost:", "http://localhost:"))


def auth_throttle(per_source: int, per_client: int) -> ThrottlePolicy:
    """The failed client authentication limits as `up` and `serve` take them: failures a minute per client
    and source, and per client from all sources (0 turns one off)."""
    if per_source < 0 or per_client < 0:
        raise ConfigError("--auth-failure-limit and --auth-failure-client-limit must not be negative.")
    return ThrottlePolicy(per_source=per_source, per_client=per_client)
