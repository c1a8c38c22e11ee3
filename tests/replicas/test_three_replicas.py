"""Three `tenantd serve` replicas on one PostgreSQL database, sharing the master key and nothing else.

The bounds this proves: an assignment (or its removal) made through one replica is in the very next token
any replica issues, since roles are read from the database for every token (bound: 0, no wait). Signing
keys: a replica reads its keys again at the latest every RotationPolicy.refresh (30 s), when a scheduled
change is due, or at once when it is shown a token signed by a key it does not know yet (at most once per
second per tenant); so a token signed with a key another replica just made active verifies everywhere at
once, while a replica that did not rotate keeps signing with the previous key (still published) and keeps
listing its old JWKS for up to 30 s.
"""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.fernet import Fernet

from tenantd import bootstrap
from tenantd.runtime import open_runtime

from ..databases import pg_available, pg_database
from ..support import TENANTD

pytestmark = pytest.mark.skipif(not pg_available() and not os.environ.get("CI"), reason="PostgreSQL unreachable")

PUBLIC_URL = "https://tenantd.replicas.test"
GRAPH = "https://graph.microsoft.com"
TENANTD_API = "api://tenantd"
IMDS = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
READY = re.compile(r"on (https://\S+) \(CA: (.+?)\); managed identity on (http://\S+)")


@dataclass
class Tenant:
    id: str
    client_id: str
    client_secret: str


@dataclass
class Replica:
    name: str
    url: str
    identity_url: str
    ca_cert: str
    tenant: Tenant
    proc: subprocess.Popen[bytes]
    _tokens: dict[str, str] = field(default_factory=dict)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca_cert), timeout=30)

    def token(self, scope: str) -> str:
        """A new client credentials token from this replica, as the tenant's admin app."""
        with self.http() as client:
            response = client.post(f"/{self.tenant.id}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": self.tenant.client_id,
                "client_secret": self.tenant.client_secret, "scope": scope})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def call(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        with self.http() as client:
            return client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def graph(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, "/v1.0" + path, self.token(f"{GRAPH}/.default"), **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(method, "/_tenantd" + path, self.token(f"{TENANTD_API}/.default"), **kwargs)

    def imds(self, secret: str, resource: str) -> httpx.Response:
        with httpx.Client(base_url=self.identity_url, timeout=30) as client:
            return client.get(f"/{secret}{IMDS}{resource}", headers={"Metadata": "true"})


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Replica]]:
    """A, B and C: the database bootstrapped once from this process (tenant, built-ins, an admin secret),
    then three replicas started at once on it."""
    master_key = Fernet.generate_key().decode()
    work = tmp_path_factory.mktemp("replicas")
    with pg_database() as database:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("TENANTD_MASTER_KEY", master_key)
            rt = open_runtime(database, None, PUBLIC_URL)
        try:
            tenant = bootstrap.default_tenant(rt)
            bootstrap.ensure_builtins(rt)
            creds = bootstrap.issue_admin_secret(rt, tenant)
        finally:
            rt.store.dispose()
        admin = Tenant(tenant.id, creds.client_id, creds.client_secret)
        procs = {name: _start(work / name, database, master_key) for name in "ABC"}
        try:
            yield [_ready(name, proc, work / name, admin) for name, proc in procs.items()]
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _start(work: Path, database: str, master_key: str) -> subprocess.Popen[bytes]:
    work.mkdir()
    with open(work / "serve.log", "wb") as log:
        return subprocess.Popen([*TENANTD, "serve", "--database", database, "--port", "0", "--identity-port", "0",
                                 "--tls-dir", str(work / "tls")], stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "TENANTD_MASTER_KEY": master_key})


def _ready(name: str, proc: subprocess.Popen[bytes], work: Path, tenant: Tenant) -> Replica:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        found = READY.search((work / "serve.log").read_text())
        if found:
            return Replica(name, found.group(1), found.group(3), found.group(2), tenant, proc)
        time.sleep(0.05)
    raise AssertionError(f"replica {name} did not start:\n{(work / 'serve.log').read_text()}")


def _api(replica: Replica, role_value: str = "Things.Read.All") -> tuple[str, str, str]:
    """A new API (application + service principal) with one app role, made through ``replica``: its App
    ID URI, service principal id and role id."""
    uri, role = f"api://things-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
    created = replica.graph("POST", "/applications", json={
        "displayName": "Things API", "identifierUris": [uri], "appRoles": [{
            "id": role, "value": role_value, "displayName": "Read", "allowedMemberTypes": ["Application"],
            "isEnabled": True, "description": "Read"}]})
    assert created.status_code == 201, created.text
    sp = replica.graph("POST", "/servicePrincipals", json={"appId": created.json()["appId"]})
    assert sp.status_code == 201, sp.text
    return uri, sp.json()["id"], role


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _admin_principal(replica: Replica) -> str:
    found = replica.graph("GET", f"/servicePrincipals(appId='{replica.tenant.client_id}')")
    assert found.status_code == 200, found.text
    return str(found.json()["id"])


def test_the_replicas_are_three_processes_serving_one_tenant(replicas: list[Replica]) -> None:
    assert len({r.proc.pid for r in replicas}) == 3 and len({r.url for r in replicas}) == 3
    documents = []
    for replica in replicas:
        with replica.http() as client:
            documents.append(client.get(f"/{replica.tenant.id}/v2.0/.well-known/openid-configuration").json())
    assert documents[0]["issuer"] == f"{PUBLIC_URL}/{replicas[0].tenant.id}/v2.0"
    assert documents[0] == documents[1] == documents[2]


def test_an_assignment_through_one_replica_is_in_the_next_token_from_another(replicas: list[Replica]) -> None:
    a, b, c = replicas
    uri, api_sp, role = _api(a)
    admin = _admin_principal(a)
    assert "roles" not in _claims(b.token(f"{uri}/.default"))  # B has issued for this API before the grant
    granted = a.graph("POST", f"/servicePrincipals/{api_sp}/appRoleAssignedTo",
                      json={"principalId": admin, "resourceId": api_sp, "appRoleId": role})
    assert granted.status_code == 201, granted.text
    assert _claims(b.token(f"{uri}/.default"))["roles"] == ["Things.Read.All"]  # the very next token, no wait
    removed = b.graph("DELETE", f"/servicePrincipals/{api_sp}/appRoleAssignedTo/{granted.json()['id']}")
    assert removed.status_code == 204, removed.text
    assert "roles" not in _claims(c.token(f"{uri}/.default"))


def test_a_token_from_one_replica_is_accepted_by_the_others(replicas: list[Replica]) -> None:
    a, b, c = replicas
    token = a.token(f"{GRAPH}/.default")
    for other in (b, c):
        answer = other.call("GET", "/v1.0/servicePrincipals?$top=1", token)
        assert answer.status_code == 200, answer.text
    # and for a validator that knows B only: PyJWT fetching B's JWKS checks A's token
    with b.http() as client:  # Graph's tokens are v1 tokens, as Entra issues them
        issuer = client.get(f"/{b.tenant.id}/.well-known/openid-configuration").json()["issuer"]
    assert _claims(token)["ver"] == "1.0"
    keys = jwt.PyJWKClient(f"{b.url}/{b.tenant.id}/discovery/v2.0/keys",
                           ssl_context=ssl.create_default_context(cafile=b.ca_cert))
    claims = jwt.decode(token, keys.get_signing_key_from_jwt(token).key, algorithms=["RS256"],
                        audience=_claims(token)["aud"], issuer=issuer)
    assert claims["tid"] == a.tenant.id and claims["appid"] == a.tenant.client_id


def test_rotating_through_two_replicas_at_once_leaves_one_active_key(replicas: list[Replica]) -> None:
    a, b, c = replicas
    tokens = {r.name: r.token(f"{TENANTD_API}/.default") for r in replicas}  # each has read its keys now
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def rotate(replica: Replica) -> None:
        start.wait(10)
        answers[replica.name] = replica.call("POST", "/_tenantd/keys/rotate", tokens[replica.name],
                                             json={"now": True})

    threads = [threading.Thread(target=rotate, args=(r,)) for r in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert {name: r.status_code for name, r in answers.items()} in ({"A": 201, "B": 201}, {"A": 201, "B": 200},
                                                                      {"A": 200, "B": 201})
    listed = c.call("GET", "/_tenantd/keys", tokens["C"])
    assert listed.status_code == 200, listed.text
    active = [k for k in listed.json()["value"] if k["status"] == "active"]
    assert len(active) == 1
    assert active[0]["kid"] in {r.json()["kid"] for r in answers.values()}
    # every replica's next token is accepted by every replica, though C has not read the new keys yet
    for issuer in replicas:
        token = issuer.token(f"{GRAPH}/.default")
        for verifier in replicas:
            answer = verifier.call("GET", "/v1.0/servicePrincipals?$top=1", token)
            assert answer.status_code == 200, f"{issuer.name} -> {verifier.name}: {answer.text}"


def test_a_host_session_opened_through_one_replica_works_at_anothers_identity_listener(
        replicas: list[Replica]) -> None:
    a, b, c = replicas
    site = f"/subscriptions/{uuid.uuid4()}/resourceGroups/rg/providers/Microsoft.Web/sites/app"
    identity = a.admin("POST", "/identities", json={"name": "app", "host": site})
    assert identity.status_code == 201, identity.text
    session = a.admin("POST", "/hosts/sessions", json={"host": site})
    assert session.status_code == 201, session.text
    secret = session.json()["secret"]
    uri, api_sp, role = _api(c)
    first = b.imds(secret, uri)
    assert first.status_code == 200, first.text
    assert "roles" not in _claims(first.json()["access_token"])
    assert b.imds(secret, uri).json()["access_token"] == first.json()["access_token"]  # cached, as IMDS does
    granted = c.graph("POST", f"/servicePrincipals/{api_sp}/appRoleAssignedTo",
                      json={"principalId": identity.json()["principalId"], "resourceId": api_sp, "appRoleId": role})
    assert granted.status_code == 201, granted.text
    after = b.imds(secret, uri)  # B's cache is checked against the roles granted through C
    assert after.status_code == 200 and _claims(after.json()["access_token"])["roles"] == ["Things.Read.All"]
    assert c.imds(secret, uri).status_code == 200
    closed = c.admin("DELETE", "/hosts/sessions", json={"secret": secret})
    assert closed.status_code == 204, closed.text
    refused = b.imds(secret, uri)
    assert refused.status_code == 400 and refused.json()["error_description"] == "Identity not found"
