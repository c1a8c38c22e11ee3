"""Node 22 with @azure/identity and @azure/msal-node, unmodified, gets tokens from tenantd: client secret,
certificate, managed identity on every platform `tenantd run` offers, workload identity federation; jose
verifies each token as an API would. Every Node process runs with a guard that refuses and writes down any
connection beyond loopback, so a client reaching for the internet (instance discovery) fails its test."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tenantd.domain.platforms import STEERING

from ..support import Server, start_server
from ..tokens.support import certificate, new_key, pem
from .identities import READ, things_and_identities
from .nodejs import Node, install

pytestmark = pytest.mark.timeout(600)   # the first test to run installs Node 22 and the SDKs
SUB = "/subscriptions/00000000-0000-0000-0000-000000000005/resourceGroups/rg/providers"
SITE = f"{SUB}/Microsoft.Web/sites/joonasmsitest"
UA = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-worker"
SCOPE = "api://things/.default"


@dataclass
class World:
    server: Server
    node: Node
    scripts: Path
    system_id: str
    ua_id: str
    ua_client_id: str
    secret_client: str
    secret: str
    cert_client: str
    cert_pem: str
    cert_thumbprint: str

    def case(self, name: str, client: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "client": client, "scope": SCOPE, "resource": "api://things",
                "audience": "api://things", "authorityHost": self.server.url, **extra}

    def run(self, cases: list[dict[str, Any]], *tenantd_run: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Each case's result and the hosts beyond loopback the process tried, in one Node process: under
        `tenantd run ARGS --` when given, else with the environment a developer exports after `tenantd up`."""
        refused = self.scripts / f"refused-{os.urandom(4).hex()}"
        command = self.node.command(self.scripts, "clients.mjs")
        handed = {"TENANTD_NODE_REFUSED": str(refused), "TENANTD_NODE_CASES": json.dumps(cases)}
        if tenantd_run:
            result = self.server.cli("run", *tenantd_run, "--", *command, env=handed)
        else:
            env = {k: v for k, v in os.environ.items() if k not in STEERING}
            env.update(handed, AZURE_TENANT_ID=self.server.tenant_id, NODE_EXTRA_CA_CERTS=self.server.info["ca_bundle"])
            result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        tried = refused.read_text().split() if refused.exists() else []
        return {r["name"]: r for r in json.loads(result.stdout.splitlines()[-1])}, tried


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = install()
    scripts = node.script_dir(tmp_path_factory.mktemp("node"), Path(__file__).parent / "node" / "clients.mjs")
    server = start_server(tmp_path_factory.mktemp("tenantd"), "--imds-rate", "0", "--imds-concurrency", "0")
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    api_sp, system, ua = things_and_identities(d, tid, SITE, UA)
    d.add_federated_credential(tid, ua.id, "managedIdentity", "tenantd", f"{server.url}/{tid}/", ua.id)
    web = d.create_application(tid, "Things web (dev)", with_service_principal=True)
    _, secret = d.add_password(tid, web.id)
    d.assign(tid, d.service_principal_by_app_id(tid, web.app_id).id, api_sp, READ)
    key = new_key()
    cert = certificate(key, "node-client")
    der = cert.public_bytes(serialization.Encoding.DER)
    signer = d.create_application(tid, "Things signer", with_service_principal=True)
    d.add_key_credential(tid, signer.id, {"type": "AsymmetricX509Cert", "usage": "Verify",
                                          "key": base64.b64encode(der).decode()})
    d.assign(tid, d.service_principal_by_app_id(tid, signer.app_id).id, api_sp, READ)
    rt.store.dispose()
    cert_pem = scripts / "client.pem"
    cert_pem.write_bytes(pem(key, cert))
    yield World(server, node, scripts, system.id, ua.id, ua.app_id, web.app_id, secret, signer.app_id,
                str(cert_pem), hashlib.sha256(der).hexdigest())
    server.stop()


def _holds(result: dict[str, Any], oid: str, role: str) -> dict[str, Any]:
    assert "claims" in result, result
    claims: dict[str, Any] = result["claims"]
    assert claims["oid"] == oid and claims["roles"] == [role], claims
    return claims


def test_client_secret_and_certificate_with_the_settings_the_readme_gives(world: World) -> None:
    w = world
    secret, cert = {"clientId": w.secret_client, "secret": w.secret}, {"clientId": w.cert_client, "pem": w.cert_pem}
    results, tried = w.run([
        w.case("identity secret", "identitySecret", **secret),
        w.case("msal secret, knownAuthorities", "msalSecret", **secret),
        w.case("msal secret, cloudDiscoveryMetadata", "msalSecretDiscovery", **secret),
        w.case("identity certificate", "identityCertificate", **cert),
        w.case("msal certificate", "msalCertificate", thumbprintSha256=w.cert_thumbprint, **cert),
    ])
    assert tried == []
    for name, result in results.items():
        claims = result.get("claims") or {}
        assert claims.get("roles") == ["Things.Read.All"], (name, result)
        assert claims["appid"] in (w.secret_client, w.cert_client) and claims["appidacr"] in ("1", "2")
    assert results["identity certificate"]["claims"]["appidacr"] == "2"


def _system_cases(w: World) -> list[dict[str, Any]]:
    return [w.case("default", "defaultCredential"), w.case("managed", "managedIdentity"),
            w.case("msal", "msalManagedIdentity")]


@pytest.mark.parametrize("platform", ["appservice", "imds", "msi2017", "cloudshell"])
def test_system_assigned_identity(world: World, platform: str) -> None:
    results, tried = world.run(_system_cases(world), "--as", "joonasmsitest", "--platform", platform)
    assert tried == []
    for result in results.values():
        claims = _holds(result, world.system_id, "Things.Read.All")
        assert claims["xms_mirid"] == SITE and claims["appidacr"] == "2"


@pytest.mark.parametrize("platform", ["appservice", "imds", "msi2017"])
def test_user_assigned_identity(world: World, platform: str) -> None:
    """`tenantd run` sets AZURE_CLIENT_ID, which DefaultAzureCredential reads; ManagedIdentityCredential() in
    JS does not, so without its clientId it is the host's system-assigned identity."""
    w, client_id = world, world.ua_client_id
    results, tried = w.run([w.case("default", "defaultCredential"),
                            w.case("managed", "managedIdentity", clientId=client_id),
                            w.case("managed without clientId", "managedIdentity"),
                            w.case("msal", "msalManagedIdentity", clientId=client_id)],
                           "--as", "orders-worker", "--platform", platform)
    assert tried == []
    for name in ("default", "managed", "msal"):
        assert _holds(results[name], w.ua_id, "Things.Write")["xms_az_rid"] == SITE
    _holds(results["managed without clientId"], w.system_id, "Things.Read.All")


def test_cloud_shell_refuses_a_user_assigned_identity_in_the_sdk_as_azure_does(world: World) -> None:
    w = world
    results, tried = w.run([w.case("managed", "managedIdentity", clientId=w.ua_client_id),
                            w.case("msal", "msalManagedIdentity", clientId=w.ua_client_id)],
                           "--as", "joonasmsitest", "--platform", "cloudshell")
    assert tried == []
    assert "user-assigned managed identity is not supported" in results["managed"].get("error", ""), results
    assert "Cloud Shell Managed Identities can only be system assigned" in results["msal"].get("error", ""), results


def test_workload_identity_with_instance_discovery_off_reaches_nothing_beyond_tenantd(world: World) -> None:
    """DefaultAzureCredential and WorkloadIdentityCredential with the one option the README gives, and
    ManagedIdentityCredential as it is, exchange the token file without asking login.microsoftonline.com."""
    w, off = world, {"disableInstanceDiscovery": True}
    results, tried = w.run([w.case("default", "defaultCredential", options=off),
                            w.case("managed", "managedIdentity", clientId=w.ua_client_id),
                            w.case("workload", "workloadIdentity")],
                           "--as", "orders-worker", "--platform", "workload")
    assert tried == []
    for result in results.values():
        assert _holds(result, w.ua_id, "Things.Write")["xms_mirid"] == UA


def test_workload_identity_without_the_option_asks_microsoft_first(world: World) -> None:
    """Why the README gives the option: without it the JS WorkloadIdentityCredential asks
    login.microsoftonline.com whether tenantd is a known authority (refused here by the guard), fails, and
    DefaultAzureCredential gets the token from ManagedIdentityCredential after that detour."""
    results, tried = world.run([world.case("default", "defaultCredential")],
                               "--as", "orders-worker", "--platform", "workload")
    assert set(tried) == {"login.microsoftonline.com"}
    _holds(results["default"], world.ua_id, "Things.Write")
