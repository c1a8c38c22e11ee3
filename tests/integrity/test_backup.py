"""Backup and restore: `tenantd backup` under write load, restored with `tenantd restore` into a fresh data
directory, brings back every row as it was (objects, credential hashes, keys and secrets encrypted as
stored, settings), as one consistent snapshot; tokens issued before still validate against the restored
server; a wrong master key is refused at start; a bad file or a non-empty target is refused."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tenantd.domain.errors import ConfigError
from tenantd.domain.ids import DEFAULT_ACCESS_ROLE_ID
from tenantd.protect import TokenValidator
from tenantd.runtime import open_runtime, sqlite_url
from tenantd.store import Store
from tenantd.store.backup import backup, restore
from tenantd.store.migrate import current, head, migrate

from ..databases import required_pg_database
from ..http.graph_support import new_api, new_client, ok
from ..support import TENANTD, start_server
from .consistency import problems, table_rows
from .stream import Stream


def tenantd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TENANTD, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_an_online_backup_restores_everything_and_old_tokens_still_validate(tmp_path: Path) -> None:
    source, target, file = tmp_path / "source", tmp_path / "target", tmp_path / "tenantd.backup"
    server = start_server(source, "--demo")
    try:
        api_app, api = new_api(server)
        client_app, client, secret = new_client(server)
        ok(server.graph("POST", f"/servicePrincipals/{api['id']}/appRoleAssignedTo", json={
            "principalId": client["id"], "resourceId": api["id"], "appRoleId": api["appRoles"][0]["id"]}), 201)
        api_token = ok(server.token(client_app["appId"], secret, f"{api_app['appId']}/.default"))["access_token"]
        admin_token = server.admin_token()
        with server.http() as http:
            jwks = http.get(f"/{server.tenant_id}/discovery/v2.0/keys").json()
        before = table_rows(sqlite_url(source))
        stream = Stream(server, deletes=False)
        with stream.running():
            stream.wait_for(15)
            result = tenantd("backup", str(file), "--data", str(source))
            stream.wait_for(15)  # the server kept writing during the backup
        assert result.returncode == 0, result.stderr
        assert "does not contain the master key" in result.stdout
        after = table_rows(sqlite_url(source))
    finally:
        server.stop()
    assert oct(file.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source", "tenantd.backup"]  # no temp file left

    result = tenantd("restore", str(file), "--data", str(target))
    assert result.returncode == 0, result.stderr
    assert "does not contain the master key" in result.stdout
    restored = table_rows(sqlite_url(target))
    for table, rows in restored.items():  # one snapshot between the two reads: all of before, nothing new
        assert before[table] <= rows <= after[table], table
    assert restored["applications"] != after["applications"]  # ... and the writes went on around it
    with gzip.open(file, "rt") as lines:
        header = json.loads(lines.readline())
    assert header["schema_revision"] == head()
    assert {name: spec["rows"] for name, spec in header["tables"].items()} == {
        name: len(rows) for name, rows in restored.items()}
    assert problems(sqlite_url(target)) == []
    values = b"".join(v if isinstance(v, bytes) else str(v).encode() for rows in restored.values()
                      for row in rows for v in row)
    assert b"PRIVATE KEY" not in values and secret.encode() not in values  # still encrypted, still hashed

    shutil.copy(source / "master.key", target / "master.key")
    port = server.url.rsplit(":", 1)[1]  # the same public URL: the tokens' issuer
    again = start_server(target, "--port", port)
    try:
        assert (target / "tls" / "ca.pem").read_bytes() == (source / "tls" / "ca.pem").read_bytes()
        with again.http() as http:
            assert http.get(f"/{again.tenant_id}/discovery/v2.0/keys").json() == jwks
        assert ok(again.graph("GET", f"/applications/{api_app['id']}", token=admin_token))["appId"] == api_app["appId"]
        validator = TokenValidator(tenant_id=again.tenant_id, audiences=[api_app["appId"]], authority=again.url,
                                   verify=again.ca_cert)
        assert validator.validate(api_token).roles == ("Things.Read.All",)
        assert ok(again.token(client_app["appId"], secret, f"{api_app['appId']}/.default"))["access_token"]
    finally:
        again.stop()


def _store_with_data(directory: Path) -> str:
    """A data directory with a tenant, an application with a secret and a signing key; its database URL."""
    directory.mkdir()
    rt = open_runtime(sqlite_url(directory), directory, None, default_public_url="https://localhost:1")
    tenant = rt.directory.create_tenant("contoso")
    app = rt.directory.create_application(tenant.id, "web", identifier_uris=["api://web"], with_service_principal=True)
    rt.directory.add_password(tenant.id, app.id)
    rt.tokens.keyring.active(tenant.id)
    rt.store.dispose()
    return sqlite_url(directory)


def _backup(url: str, file: Path) -> None:
    store = Store(url)
    try:
        backup(store, file)
    finally:
        store.dispose()


def _restore(file: Path, url: str) -> None:
    store = Store(url)
    try:
        restore(file, store)
    finally:
        store.dispose()


def test_a_restore_needs_the_same_master_key(tmp_path: Path) -> None:
    target, file = tmp_path / "target", tmp_path / "backup.gz"
    _backup(_store_with_data(tmp_path / "source"), file)
    target.mkdir()
    _restore(file, sqlite_url(target))
    (target / "master.key").write_bytes(Fernet.generate_key())
    result = tenantd("--data", str(target), "up", "--port", "0", "--identity-port", "0")
    assert result.returncode == 1
    assert "master key does not match" in result.stderr


def test_a_non_empty_target_and_damaged_files_are_refused(tmp_path: Path) -> None:
    source, target, file = tmp_path / "source", tmp_path / "target", tmp_path / "backup.gz"
    _backup(_store_with_data(source), file)
    refused = tenantd("restore", str(file), "--data", str(source))
    assert refused.returncode == 1 and "not empty" in refused.stderr

    with gzip.open(file, "rb") as whole:
        lines = whole.read().splitlines(keepends=True)
    target.mkdir()
    damaged = tmp_path / "damaged.gz"
    for broken, message in (
        (lines[:-3], "row counts differ"),
        ([*lines[:-1], b'{"t":"tenants","r":[1]}\n'], "wrong number of values"),
        ([*lines[:-1], b'{"t":"tenants","r":["x","contoso","2025-01-01T00:00:00Z"]}\n'], "do not fit together"),
        ([lines[0].replace(b'"schema_revision":"', b'"schema_revision":"9'), *lines[1:]], "unknown to this"),
        ([lines[0].replace(b'"rows":', b'"rows":"1","was":', 1), *lines[1:]], "lacks its columns or its row count"),
    ):
        damaged.write_bytes(gzip.compress(b"".join(broken)))
        with pytest.raises(ConfigError, match=message):
            _restore(damaged, sqlite_url(target))
        assert all(len(rows) == 0 for rows in table_rows(sqlite_url(target)).values())  # nothing half-restored
    damaged.write_bytes(gzip.compress(b"".join(lines))[:-20])
    with pytest.raises(ConfigError, match="not a readable tenantd backup"):
        _restore(damaged, sqlite_url(target))
    damaged.write_bytes(b"not a backup")
    result = tenantd("restore", str(damaged), "--data", str(tmp_path / "never"))
    assert result.returncode == 1 and "not a readable tenantd backup" in result.stderr
    assert not (tmp_path / "never").exists()

    _restore(file, sqlite_url(target))  # the failures left the target empty
    assert table_rows(sqlite_url(target)) == table_rows(sqlite_url(source))


def test_an_older_schema_is_restored_then_migrated(tmp_path: Path) -> None:
    source, target, file = tmp_path / "source", tmp_path / "target", tmp_path / "backup.gz"
    source.mkdir()
    store = Store(sqlite_url(source))
    migrate(store, "0002")
    with store.write(versioned=False) as tx:
        tx.conn.execute(sa.text("INSERT INTO tenants (id, name, created) VALUES "
                                "('6d2c1a52-8a55-4a3b-9d7e-8b0d3c1e2f40', 'old', '2025-01-01T00:00:00Z')"))
    store.dispose()
    _backup(sqlite_url(source), file)
    with gzip.open(file, "rt") as lines:
        assert json.loads(lines.readline())["schema_revision"] == "0002"
    target.mkdir()
    _restore(file, sqlite_url(target))
    restored = Store(sqlite_url(target))
    assert current(restored) == head()
    with restored.read() as tx:
        assert [t.name for t in tx.tenants()] == ["old"]
    restored.dispose()


def test_a_backup_moves_between_sqlite_and_postgresql_even_under_writes(tmp_path: Path) -> None:
    back, first, second = tmp_path / "back", tmp_path / "1.gz", tmp_path / "2.gz"
    source = _store_with_data(tmp_path / "source")
    original = table_rows(source)
    _backup(source, first)
    with required_pg_database() as url:
        _restore(first, url)
        assert table_rows(url) == original
        assert problems(url) == []
        rt = open_runtime(url, tmp_path / "source", None)  # the same master key
        tenant_id = rt.directory.tenants()[0].id
        stop = threading.Event()

        def write() -> None:  # applications with a service principal and an assignment each, in a loop
            api = rt.directory.create_application(tenant_id, "api", with_service_principal=True)
            api_sp = rt.directory.service_principal_by_app_id(tenant_id, api.app_id)
            while not stop.is_set():
                app = rt.directory.create_application(tenant_id, "load", identifier_uris=[f"api://{uuid.uuid4()}"],
                                                      with_service_principal=True)
                sp = rt.directory.service_principal_by_app_id(tenant_id, app.app_id)
                rt.directory.assign(tenant_id, sp.id, api_sp.id, DEFAULT_ACCESS_ROLE_ID)

        writer = threading.Thread(target=write)
        writer.start()
        try:
            time.sleep(0.5)
            _backup(url, second)  # a REPEATABLE READ snapshot: the writes go on around it
            time.sleep(0.3)
        finally:
            stop.set()
            writer.join()
            rt.store.dispose()
        during = table_rows(url)
    back.mkdir()
    _restore(second, sqlite_url(back))
    restored = table_rows(sqlite_url(back))
    assert problems(sqlite_url(back)) == []
    assert all(original[table] <= rows <= during[table] for table, rows in restored.items())
    assert len(original["applications"]) < len(restored["applications"]) < len(during["applications"])


@pytest.mark.parametrize("args", [("backup", "x.gz"), ("restore", "missing.gz")])
def test_clear_errors_without_a_database_or_a_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = tenantd("--data", str(tmp_path / "nothing"), *args)
    assert result.returncode == 1
    assert "No tenantd database" in result.stderr or "No backup at" in result.stderr
    assert not (tmp_path / "nothing").exists()
