"""PostgreSQL: `tenantd up --database postgresql://...` and a stateless `tenantd serve` replica on the same
database share the directory, the signing keys and the CA: a token from one is accepted by the other,
and an assignment made through one shows in the next token from the other."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet

from ..databases import pg_available, pg_database
from ..support import TENANTD, Server, start_server

pytestmark = pytest.mark.skipif(not pg_available() and not os.environ.get("CI"), reason="PostgreSQL unreachable")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def master_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory, database: str, master_key: str) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("primary"), "--database", database,
                           env={"TENANTD_MASTER_KEY": master_key})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory, primary: Server, database: str,
            master_key: str) -> Iterator[str]:
    """A `tenantd serve` replica's base URL (it answers for the primary's public URL)."""
    log = tmp_path_factory.mktemp("replica") / "replica.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*TENANTD, "serve", "--database", database, "--port", "0"], stdout=out,
                                stderr=subprocess.STDOUT, env={**os.environ, "TENANTD_MASTER_KEY": master_key})
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline and url is None and proc.poll() is None:
        found = re.search(r"on (https://\S+) ", log.read_text())
        url = found.group(1) if found else None
        time.sleep(0.05)
    if url is None:
        proc.kill()
        raise AssertionError(f"replica did not start:\n{log.read_text()}")
    yield url
    proc.terminate()
    proc.wait(timeout=15)


def _client(url: str, primary: Server) -> httpx.Client:
    return httpx.Client(base_url=url, verify=ssl.create_default_context(cafile=primary.ca_cert), timeout=30)


def test_a_replica_serves_the_same_tenant_keys_and_ca(primary: Server, replica: str) -> None:
    with _client(replica, primary) as client:  # the replica's certificate chains to the shared CA
        discovery = client.get(f"/{primary.tenant_id}/v2.0/.well-known/openid-configuration").json()
        jwks = client.get(f"/{primary.tenant_id}/discovery/v2.0/keys").json()
    with primary.http() as client:
        assert discovery == client.get(f"/{primary.tenant_id}/v2.0/.well-known/openid-configuration").json()
        assert jwks == client.get(f"/{primary.tenant_id}/discovery/v2.0/keys").json()


def test_a_token_from_one_is_accepted_by_the_other_and_assignments_reach_both(primary: Server,
                                                                               replica: str) -> None:
    token_from_primary = primary.admin_token()
    with _client(replica, primary) as client:
        created = client.post("/v1.0/applications", headers={"Authorization": f"Bearer {token_from_primary}"},
                              json={"displayName": "Things API", "identifierUris": ["api://things"], "appRoles": [{
                                  "id": "32028ccd-3212-4f39-3212-beabd6787d81", "value": "Things.Read.All",
                                  "displayName": "Read", "allowedMemberTypes": ["Application"], "isEnabled": True,
                                  "description": "Read"}]})
        assert created.status_code == 201, created.text
        api_sp = client.post("/v1.0/servicePrincipals", headers={"Authorization": f"Bearer {token_from_primary}"},
                             json={"appId": created.json()["appId"]}).json()
        admin = client.get(
            f"/v1.0/servicePrincipals(appId='{primary.info['admin_client_id']}')",
            headers={"Authorization": f"Bearer {token_from_primary}"}).json()["id"]
        granted = client.post(f"/v1.0/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                              headers={"Authorization": f"Bearer {token_from_primary}"},
                              json={"principalId": admin, "resourceId": api_sp["id"],
                                    "appRoleId": "32028ccd-3212-4f39-3212-beabd6787d81"})
        assert granted.status_code == 201, granted.text
    # the primary's next token carries the role assigned through the replica
    token = primary.token(primary.info["admin_client_id"], primary.info["admin_client_secret"],
                          "api://things/.default").json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["roles"] == ["Things.Read.All"]


def test_the_replica_refuses_to_start_with_a_wrong_master_key(database: str, primary: Server, tmp_path: Path) -> None:
    result = subprocess.run([*TENANTD, "serve", "--database", database, "--port", "0"], capture_output=True,
                            text=True, timeout=60,
                            env={**os.environ, "TENANTD_MASTER_KEY": Fernet.generate_key().decode()})
    assert result.returncode == 1 and "master key does not match" in result.stderr
