"""`tenantd init` sets up an empty shared database once (schema, first tenant, admin app, signing key) and
refuses one that holds a tenant; `tenantd serve` refuses an empty one; `tenantd keys master-key` makes the
master key, and a malformed one is refused with how to make a good one. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import stat
import subprocess
import threading
from pathlib import Path

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tenantd.store import Store

from ..databases import required_pg_database
from .serving import Replica, initialize, start_replica, tenantd

PUBLIC_URL = "https://tenantd.team.test"


def _count(database: str, table: str) -> int | None:
    """Rows in ``table``, None when the database has no such table."""
    store = Store(database)
    try:
        with store.engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return None
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        store.dispose()


def _http(replica: Replica) -> httpx.Client:
    ca = replica.trust.removeprefix("CA: ")
    return httpx.Client(base_url=replica.url, verify=ssl.create_default_context(cafile=ca), timeout=30)


def test_the_master_key_command_makes_a_new_key_each_time(tmp_path: Path) -> None:
    printed = [tenantd("keys", "master-key", master_key=None) for _ in range(2)]
    assert [p.returncode for p in printed] == [0, 0]
    keys = [p.stdout.strip() for p in printed]
    assert keys[0] != keys[1] and all(len(k) == 44 and Fernet(k.encode()) for k in keys)
    assert printed[0].stdout == keys[0] + "\n"   # the key alone: `export TENANTD_MASTER_KEY=$(...)` works
    out = tmp_path / "master.key"
    assert tenantd("keys", "master-key", "--out", str(out), master_key=None).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and Fernet(out.read_text().strip().encode())
    kept = out.read_text()
    again = tenantd("keys", "master-key", "--out", str(out), master_key=None)
    assert again.returncode == 1 and "already exists" in again.stderr and out.read_text() == kept


_BYTES = bytes(range(7, 7 + 33))   # fixed: xdist's workers must collect the same parameters


@pytest.mark.parametrize("wrong", [
    "not-a-key",
    base64.urlsafe_b64encode(_BYTES[:16]).decode().rstrip("="),             # 16 bytes
    base64.urlsafe_b64encode(_BYTES).decode().rstrip("="),                  # 33 bytes
    base64.urlsafe_b64encode(_BYTES[:32]).decode().rstrip("=") + "==",      # padded twice
    base64.b64encode(_BYTES[:32]).decode().replace("/", "+")[:43] + "+",    # the standard alphabet
], ids=["word", "16-bytes", "33-bytes", "padded-twice", "standard-alphabet"])
def test_a_malformed_master_key_is_refused_with_how_to_make_one(database_url: str, wrong: str) -> None:
    refused = tenantd("init", "--database", database_url, "--public-url", PUBLIC_URL, master_key=wrong)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "tenantd keys master-key" in refused.stderr and "token_urlsafe(32)" in refused.stderr
    assert wrong not in refused.stderr and wrong not in refused.stdout
    assert _count(database_url, "tenants") is None   # refused before anything was written


def test_init_sets_up_an_empty_database_that_replicas_then_serve(database_url: str, tmp_path: Path) -> None:
    key = secrets.token_urlsafe(32)   # unpadded: the same 32 bytes as the padded spelling the replica gets
    out = tmp_path / "admin.json"
    done = tenantd("init", "--database", database_url, "--public-url", PUBLIC_URL + "/", "--tenant-name", "team",
                   "--credentials-out", str(out), master_key=key)
    assert done.returncode == 0, done.stderr
    creds = json.loads(out.read_text())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert creds["client_secret"] not in done.stdout and str(out) in done.stdout
    assert creds["url"] == PUBLIC_URL and creds["tenant_name"] == "team"
    assert _count(database_url, "tenants") == 1 and _count(database_url, "signing_keys") == 1

    replica = start_replica(tmp_path / "replica", database_url, key + "=", "--tls-dir", str(tmp_path / "tls"))
    try:
        assert (replica.public_url, replica.tenant_id) == (PUBLIC_URL, creds["tenant_id"])
        with _http(replica) as client:
            discovery = client.get(f"/{creds['tenant_id']}/v2.0/.well-known/openid-configuration").json()
            token = client.post(f"/{creds['tenant_id']}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": creds["client_id"],
                "client_secret": creds["client_secret"], "scope": "https://graph.microsoft.com/.default"})
            assert token.status_code == 200, token.text
            access = token.json()["access_token"]
            apps = client.get("/v1.0/applications", headers={"Authorization": f"Bearer {access}"})
        assert discovery["issuer"] == f"{PUBLIC_URL}/{creds['tenant_id']}/v2.0"
        assert jwt.decode(access, options={"verify_signature": False})["iss"] == f"{PUBLIC_URL}/{creds['tenant_id']}/"
        assert apps.status_code == 200 and [a["appId"] for a in apps.json()["value"]] == [creds["client_id"]]
    finally:
        replica.stop()


def test_init_refuses_a_database_that_holds_a_tenant(database_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    first = initialize(database_url, key, PUBLIC_URL)
    secrets_before = _count(database_url, "password_credentials")
    out = tmp_path / "again.json"
    for master_key in (key, Fernet.generate_key().decode()):   # the right key or another: refused alike
        again = tenantd("init", "--database", database_url, "--public-url", "https://elsewhere.test",
                        "--credentials-out", str(out), master_key=master_key)
        assert again.returncode == 1 and "already holds a tenant" in again.stderr, again.stderr
        assert "Traceback" not in again.stderr and not out.exists()
    assert _count(database_url, "tenants") == 1 and _count(database_url, "password_credentials") == secrets_before
    store = Store(database_url)
    try:
        with store.read() as tx:
            assert (tx.setting("default_tenant"), tx.setting("public_url")) == (first["tenant_id"], PUBLIC_URL)
    finally:
        store.dispose()


def test_two_inits_at_once_make_one_tenant() -> None:
    key = Fernet.generate_key().decode()
    with required_pg_database() as database:
        start = threading.Barrier(2)
        results: list[subprocess.CompletedProcess[str]] = []

        def init(name: str) -> None:
            start.wait(10)
            results.append(tenantd("init", "--database", database, "--public-url", PUBLIC_URL, "--tenant-name",
                                   name, master_key=key))

        threads = [threading.Thread(target=init, args=(name,)) for name in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        assert sorted(r.returncode for r in results) == [0, 1], [r.stderr for r in results]
        refused = next(r for r in results if r.returncode)
        assert "already holds a tenant" in refused.stderr and "Traceback" not in refused.stderr
        assert _count(database, "tenants") == 1


def test_serve_refuses_an_empty_database_and_writes_nothing_into_it() -> None:
    with required_pg_database() as database:
        refused = tenantd("serve", "--database", database, "--port", "0", "--public-url", PUBLIC_URL,
                          master_key=Fernet.generate_key().decode())
        assert refused.returncode == 1 and "holds no tenant" in refused.stderr and "tenantd init" in refused.stderr
        assert _count(database, "alembic_version") is None   # no schema, no canary of this replica's key
