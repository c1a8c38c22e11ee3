"""Secrets at rest: hashed client secrets, encrypted keys, a wrong master key fails closed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization

from tenantd.domain.errors import BadRequest, ConfigError
from tenantd.runtime import Runtime, open_runtime
from tenantd.store import Store
from tenantd.store.migrate import current, head, migrate


def _dump(rt: Runtime) -> bytes:
    """Every value of every table, as bytes, to search for plain secrets."""
    out = bytearray()
    with rt.store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in inspector.get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                for value in row:
                    out += value if isinstance(value, bytes | memoryview) else str(value).encode()
    return bytes(out)


def test_secrets_are_stored_hashed_and_keys_encrypted(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    app = rt.directory.create_application(tenant.id, "web", with_service_principal=True)
    _, secret = rt.directory.add_password(tenant.id, app.id)
    rt.tokens.keyring.active(tenant.id)
    dump = _dump(rt)
    assert secret.encode() not in dump
    assert b"PRIVATE KEY" not in dump
    key_der = rt.tokens.keyring.active(tenant.id).private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    assert key_der[-64:] not in dump
    stored = rt.directory.application(tenant.id, app.id).password_credentials[0]
    assert rt.tokens.hasher.matches(secret, stored.secret_hash)


def test_a_wrong_master_key_fails_closed_at_start(database_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = open_runtime(database_url, tmp_path, None, default_public_url="https://localhost:1")
    first.store.dispose()
    monkeypatch.setenv("TENANTD_MASTER_KEY", Fernet.generate_key().decode())
    with pytest.raises(ConfigError, match="master key does not match"):
        open_runtime(database_url, tmp_path, None)


def test_a_failed_write_changes_nothing(rt: Runtime) -> None:
    tenant = rt.directory.create_tenant("contoso")
    rt.directory.create_application(tenant.id, "API", identifier_uris=["api://taken"])
    before = rt.directory.applications(tenant.id)
    with pytest.raises(BadRequest):
        rt.directory.create_application(tenant.id, "Other", identifier_uris=["api://free", "api://taken"])
    assert rt.directory.applications(tenant.id) == before
    rt.directory.create_application(tenant.id, "Other", identifier_uris=["api://free"])  # not half-claimed


def test_concurrent_migrations_are_safe(database_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        store = Store(database_url)
        try:
            migrate(store)
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = Store(database_url)
    assert current(store) == head()
    store.dispose()
