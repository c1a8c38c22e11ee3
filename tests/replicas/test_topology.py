"""A shared tenant as the README's "Running a shared tenant" sets it up, every command of that section run as
written: two `tenantd serve` replicas (plain HTTP on loopback) on one fresh PostgreSQL database set up by
`tenantd init`, behind nginx (the README's site file, TLS from a CA of the test's own) at the public URL.

What it shows: tokens through nginx verify against the discovery document served through nginx; a role
granted straight through replica A is in the next token straight from replica B; the sign-in log names the
client behind nginx, whatever X-Forwarded-For the client forges; a replica killed under load costs at most
the requests in flight on it and loses no acknowledged write; a rolling restart keeps serving and loses
nothing; `tenantd migrate` to a later schema (the packaged migrations plus one that adds a nullable column)
while both replicas serve leaves them serving. Load: 16 connections through nginx, each alternating a client
credentials token and a new group.

What the test changes in the README's lines: `tenantd.example.com` becomes localhost:<nginx port>, the
database URLs become throwaway databases, ports 8081-8083 become free ones, /etc/ssl/tenantd/ the test's
certificate; `TENANTD_CA_CERT` and `CURL_CA_BUNDLE` name the test's CA; `tenantd migrate` gets
`--migrations DIR` (the later schema).
"""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa

from tenantd.store import Store

from ..databases import required_pg_database
from ..support import TENANTD
from .topology import (
    Load,
    Reader,
    Topology,
    free_port,
    make_certificate,
    readme_blocks,
    require_tools,
    start_nginx,
    stop,
    wait_ready,
)

GRAPH = "https://graph.microsoft.com"
# The section's sh blocks, in order.
SETUP, REPLICAS, CLI, BACKUP, DRILL, ROTATE, UPGRADE, WATCH = range(8)
MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "tenantd" / "store" / "migrations"
LATER_MIGRATION = '''"""a later version's column: nullable, so the replicas of this version go on writing groups"""

from alembic import op
import sqlalchemy as sa

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("groups", sa.Column("rehearsal_note", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("groups", "rehearsal_note")
'''


@dataclass
class Shared:
    topology: Topology
    reader: Reader
    replica_lines: list[str]
    replicas: dict[str, subprocess.Popen[bytes]]   # A, B and nginx
    ca: Path
    admin: dict[str, Any] = field(repr=False)   # the admin secret stays out of failure output

    @property
    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def direct(self, name: str) -> str:
        return f"http://127.0.0.1:{self.topology.ports['AB'.index(name)]}"

    def token(self, base: str, scope: str = f"{GRAPH}/.default") -> str:
        answer = httpx.post(f"{base}/{self.admin['tenant_id']}/oauth2/v2.0/token", verify=self.verify, data={
            "grant_type": "client_credentials", "client_id": self.admin["client_id"],
            "client_secret": self.admin["client_secret"], "scope": scope}, timeout=30)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def graph(self, base: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{base}/v1.0{path}", verify=self.verify, timeout=30,
                             headers={"Authorization": f"Bearer {self.token(base)}"}, **kwargs)

    def restart(self, name: str, sig: int = signal.SIGTERM) -> None:
        stop(self.replicas[name], sig)
        line = self.topology.local(self.replica_lines["AB".index(name)])
        self.replicas[name] = self.reader.start(line, f"replica-{name}-{uuid.uuid4().hex[:6]}")

    def load(self) -> Load:
        return Load(self.topology.public_url, self.ca, self.admin["tenant_id"], self.admin["client_id"],
                    self.admin["client_secret"], self.token(self.topology.public_url))

    def missing(self, group_ids: list[str]) -> list[str]:
        """The groups of ``group_ids`` that replica A does not find."""
        headers = {"Authorization": f"Bearer {self.token(self.direct('A'))}"}
        with httpx.Client(base_url=self.direct("A"), headers=headers, timeout=30) as client:
            return [g for g in group_ids if client.get(f"/v1.0/groups/{g}").status_code != 200]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    require_tools()
    work = tmp_path_factory.mktemp("topology")
    blocks = readme_blocks("sh")
    assert len(blocks) == 8, "the README's 'Running a shared tenant' no longer has the 8 sh blocks this test runs"
    setup, replica_block, cli = blocks[SETUP], blocks[REPLICAS], blocks[CLI]
    (site,) = readme_blocks("nginx")
    with required_pg_database() as database, required_pg_database() as drill:
        topology = Topology(work, free_port(), database, drill)
        ca = make_certificate(work / "tls")
        reader = Reader(topology, {**os.environ, "TENANTD_CA_CERT": str(ca), "CURL_CA_BUNDLE": str(ca)})
        replicas: dict[str, subprocess.Popen[bytes]] = {}
        try:
            reader.play(setup)
            replicas.update(zip("AB", reader.play(replica_block), strict=True))
            nginx = start_nginx(work, topology.local(site))
            replicas["nginx"] = nginx
            wait_ready(topology.public_url, ssl.create_default_context(cafile=str(ca)), nginx,
                       work / "nginx" / "error.log")
            reader.play(cli)
            admin = {"tenant_id": reader.env["TENANTD_TENANT"], "client_id": reader.env["TENANTD_CLIENT_ID"],
                     "client_secret": reader.env["TENANTD_CLIENT_SECRET"]}
            yield Shared(topology, reader, replica_block.strip().splitlines(), replicas, ca, admin)
        finally:
            for proc in replicas.values():
                stop(proc)


def test_tokens_through_nginx_verify_against_the_discovery_document_served_through_nginx(shared: Shared) -> None:
    public = shared.topology.public_url
    tenant = shared.admin["tenant_id"]
    discovery = httpx.get(f"{public}/{tenant}/.well-known/openid-configuration", verify=shared.verify).json()
    assert discovery["issuer"] == f"{public}/{tenant}/"   # the v1 issuer: the admin app's tokens are v1 tokens
    assert discovery["token_endpoint"] == f"{public}/{tenant}/oauth2/token"
    keys = jwt.PyJWKSet.from_dict(httpx.get(discovery["jwks_uri"], verify=shared.verify).json())
    token = shared.token(public, f"{shared.admin['client_id']}/.default")   # for the admin app's own API
    kid = jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(token, key=next(k for k in keys.keys if k.key_id == kid), algorithms=["RS256"],
                        audience=shared.admin["client_id"], issuer=discovery["issuer"])
    assert claims["tid"] == tenant and claims["appid"] == shared.admin["client_id"]


def test_a_role_granted_through_replica_a_is_in_the_next_token_from_replica_b(shared: Shared) -> None:
    a, b = shared.direct("A"), shared.direct("B")
    uri, role = f"api://things-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    api = shared.graph(a, "POST", "/applications", json={
        "displayName": "Things API", "identifierUris": [uri], "appRoles": [{
            "id": role, "value": "Things.Read.All", "displayName": "Read", "allowedMemberTypes": ["Application"],
            "isEnabled": True, "description": "Read"}]})
    assert api.status_code == 201, api.text
    api_sp = shared.graph(a, "POST", "/servicePrincipals", json={"appId": api.json()["appId"]}).json()["id"]
    admin_sp = shared.graph(a, "GET", f"/servicePrincipals(appId='{shared.admin['client_id']}')").json()["id"]
    assert "roles" not in jwt.decode(shared.token(b, f"{uri}/.default"), options={"verify_signature": False})
    granted = shared.graph(a, "POST", f"/servicePrincipals/{api_sp}/appRoleAssignedTo",
                           json={"principalId": admin_sp, "resourceId": api_sp, "appRoleId": role})
    assert granted.status_code == 201, granted.text
    claims = jwt.decode(shared.token(b, f"{uri}/.default"), options={"verify_signature": False})
    assert claims["roles"] == ["Things.Read.All"]


def test_the_sign_in_log_names_the_client_behind_nginx_not_nginx_nor_a_forged_header(shared: Shared) -> None:
    """nginx appends the client's address to X-Forwarded-For and the replicas trust it from nginx alone: a
    client on 127.0.0.2 that forges the header is logged as 127.0.0.2."""
    public, tenant = shared.topology.public_url, shared.admin["tenant_id"]
    transport = httpx.HTTPTransport(local_address="127.0.0.2", verify=shared.verify)
    with httpx.Client(transport=transport, timeout=30) as client:
        signed_in = client.post(f"{public}/{tenant}/oauth2/v2.0/token", headers={"X-Forwarded-For": "203.0.113.9"},
                                data={"grant_type": "client_credentials", "client_id": shared.admin["client_id"],
                                      "client_secret": shared.admin["client_secret"],
                                      "scope": f"{GRAPH}/.default"})
    assert signed_in.status_code == 200, signed_in.text
    logged: set[str] = set()
    deadline = time.monotonic() + 5   # the log is written off the token path, every half second
    while "127.0.0.2" not in logged and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = shared.graph(public, "GET", "/auditLogs/signIns", params={"$top": "999"})
        assert answer.status_code == 200, answer.text
        logged = {entry["ipAddress"] for entry in answer.json()["value"]}
    assert "127.0.0.2" in logged and "203.0.113.9" not in logged, logged


def _kill_under_load(shared: Shared, name: str, seconds: float = 15) -> tuple[Load, float]:
    load = shared.load()
    load.start(seconds)
    time.sleep(5)
    killed = time.monotonic()
    shared.replicas[name].send_signal(signal.SIGKILL)
    shared.replicas[name].wait()
    load.join()
    return load, killed


def test_a_replica_killed_under_load_costs_at_most_its_requests_in_flight(shared: Shared) -> None:
    load, killed = _kill_under_load(shared, "B")
    try:
        assert not load.failures(0, killed), "requests failed before the kill"
        in_flight = load.failures(killed, killed + 2)
        print(f"kill: {len(load.outcomes)} requests, {len(in_flight)} failed in the 2 s after the kill")
        assert len(in_flight) <= load.connections, in_flight
        assert not load.failures(killed + 2), "requests failed after the kill"
        acknowledged = load.acknowledged()
        assert len(acknowledged) > 50 and len([o for o in load.outcomes if o.ended > killed + 2]) > 50
        assert not shared.missing(acknowledged), "acknowledged groups are missing"
    finally:
        shared.restart("B")


def test_a_rolling_restart_keeps_serving_and_loses_no_acknowledged_write(shared: Shared) -> None:
    load = shared.load()
    load.start(20)
    began = time.monotonic()
    time.sleep(2)
    wait = "\n".join(readme_blocks("sh")[UPGRADE].splitlines()[1:])   # ready, then nginx's fail_timeout
    for name in "AB":
        shared.restart(name)
        shared.reader.play(wait.replace("8081", "8081" if name == "A" else "8082"))
    load.join()
    failed = load.failures(began)
    print(f"rolling restart: {len(load.outcomes)} requests, {len(failed)} failed")
    assert len(failed) <= 2 * load.connections, failed
    assert not shared.missing(load.acknowledged())
    assert len(load.outcomes) > 100


def test_backups_a_restore_drill_and_a_key_rotation_run_as_the_readme_says(shared: Shared) -> None:
    backup, drill, rotate, watch = (readme_blocks("sh")[n] for n in (BACKUP, DRILL, ROTATE, WATCH))
    shared.reader.play(backup)
    assert "backup written to tenantd-" in shared.reader.output
    (drill_replica,) = shared.reader.play(drill)
    try:
        assert '"status":"ok"' in shared.reader.output.replace(" ", "")
    finally:
        stop(drill_replica)
    shared.reader.play(rotate)
    assert "published new key" in shared.reader.output or "a rotation is already pending" in shared.reader.output
    shared.reader.play(watch)
    assert '"status":"ok"' in shared.reader.output.replace(" ", "")


def test_migrate_to_a_later_schema_while_both_replicas_serve_leaves_them_serving(shared: Shared) -> None:
    later = shared.topology.work / "later-migrations"
    shutil.copytree(MIGRATIONS, later, ignore=shutil.ignore_patterns("__pycache__"))
    (later / "versions" / "9001_rehearsal.py").write_text(LATER_MIGRATION.format(head=_revision(shared)))
    migrate = readme_blocks("sh")[UPGRADE].splitlines()[0]
    load = shared.load()
    load.start(8)
    time.sleep(2)
    shared.reader.play(migrate, append=f" --migrations {later}")
    load.join()
    assert "-> 9001" in shared.reader.output
    assert _revision(shared) == "9001"
    assert not load.failures(0), load.failures(0)
    public = shared.topology.public_url
    created = shared.graph(public, "POST", "/groups", json={
        "displayName": "after the migration", "mailEnabled": False, "mailNickname": "after", "securityEnabled": True})
    assert created.status_code == 201, created.text
    for name in "AB":
        assert httpx.get(shared.direct(name) + "/_tenantd/health/ready").status_code == 200
    assert not shared.missing([*load.acknowledged(), created.json()["id"]])
    # A replica of this version that starts now is refused with why, not a traceback: the schema is newer.
    late = subprocess.run([*TENANTD, "serve", "--plain-http", "--port", "0"], env=shared.reader.env,
                          capture_output=True, text=True, timeout=60)
    assert late.returncode == 1 and "revision 9001, which this version of tenantd does not know" in late.stderr
    assert "Traceback" not in late.stderr


def _revision(shared: Shared) -> str:
    store = Store(shared.topology.database)
    try:
        with store.engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        store.dispose()
