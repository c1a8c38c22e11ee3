"""`tenantd run --as IDENTITY --platform workload -- CMD`: workload identity federation with tenantd as the
token file's issuer. An unmodified DefaultAzureCredential signs in as the user-assigned identity and gets its
roles; an identity that trusts no such token is told how to add the federated credential."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization

from tenantd.domain import rules

from ..support import Server, start_server
from ..tokens.support import certificate, new_key, pem

SUB = "/subscriptions/00000000-0000-0000-0000-000000000004/resourceGroups/rg/providers"
UA = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-worker"
LONELY = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/lonely"
SITE = f"{SUB}/Microsoft.Web/sites/joonasmsitest"
READ = "32028ccd-3212-4f39-3212-beabd6787d81"
APP = """
import json, os, jwt
from azure.identity import DefaultAzureCredential
token = DefaultAzureCredential().get_token("api://things/.default").token
claims = jwt.decode(token, options={"verify_signature": False})
path = os.environ["AZURE_FEDERATED_TOKEN_FILE"]
print(json.dumps({"claims": claims, "env": dict(os.environ), "mode": oct(os.stat(path).st_mode & 0o777),
                  "file": jwt.decode(open(path).read(), options={"verify_signature": False})}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"))
    rt = running.runtime()
    tid, d = running.tenant_id, rt.directory
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([{
                                   "id": READ, "value": "Things.Read.All", "displayName": "Read",
                                   "allowedMemberTypes": ["Application"]}]))
    ua = d.create_managed_identity(tid, "orders-worker", "UserAssigned", UA)
    d.add_federated_credential(tid, ua.id, "managedIdentity", "tenantd", f"{running.url}/{tid}/", ua.id)
    d.assign(tid, ua.id, d.service_principal_by_app_id(tid, api.app_id).id, READ)
    d.create_managed_identity(tid, "lonely", "UserAssigned", LONELY)
    d.create_managed_identity(tid, "joonasmsitest", "SystemAssigned", SITE)
    rt.store.dispose()
    yield running
    running.stop()


def test_default_azure_credential_signs_in_with_the_token_file(server: Server) -> None:
    result = server.cli("run", "--as", "orders-worker", "--platform", "workload", "--", sys.executable, "-c", APP,
                        env={"AZURE_CLIENT_SECRET": "leaked", "IDENTITY_ENDPOINT": "http://elsewhere", "KEEP": "1"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    claims, env = out["claims"], out["env"]
    assert claims["roles"] == ["Things.Read.All"] and claims["appidacr"] == "2" and claims["idtyp"] == "app"
    assert claims["xms_mirid"] == UA and claims["appid"] == env["AZURE_CLIENT_ID"]
    assert out["file"]["iss"] == f"{server.url}/{server.tenant_id}/" and out["file"]["sub"] == claims["oid"]
    assert out["file"]["aud"] == "api://AzureADTokenExchange" and out["mode"] == "0o600"
    assert env["AZURE_AUTHORITY_HOST"] == server.url and env["AZURE_TENANT_ID"] == server.tenant_id
    assert "AZURE_CLIENT_SECRET" not in env and "IDENTITY_ENDPOINT" not in env and env["KEEP"] == "1"
    assert env["REQUESTS_CA_BUNDLE"] == server.info["ca_bundle"]
    assert not os.path.exists(env["AZURE_FEDERATED_TOKEN_FILE"])   # removed when the process ended


def test_an_identity_without_a_matching_federated_credential_is_told_how_to_add_one(server: Server) -> None:
    result = server.cli("run", "--as", "lonely", "--platform", "workload", "--", sys.executable, "-c", "pass")
    assert result.returncode == 1
    assert "tenantd identity federated add lonely --name tenantd" in result.stderr
    assert f"--issuer {server.url}/{server.tenant_id}/" in result.stderr


def test_a_system_assigned_identity_has_no_workload_identity(server: Server) -> None:
    result = server.cli("run", "--as", "joonasmsitest", "--platform", "workload", "--", sys.executable, "-c", "pass")
    assert result.returncode == 1 and "user-assigned" in result.stderr


def test_env_writes_the_token_file_for_ides(server: Server, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    result = server.cli("env", "--as", "orders-worker", "--platform", "workload", "--format", "json",
                        "--token-file", str(token_file))
    assert result.returncode == 0, result.stderr
    variables = json.loads(result.stdout)["set"]
    assert variables["AZURE_FEDERATED_TOKEN_FILE"] == str(token_file.resolve())
    assert token_file.read_text().count(".") == 2 and oct(token_file.stat().st_mode & 0o777) == "0o600"
    assert "IDENTITY_ENDPOINT" in json.loads(result.stdout)["unset"]


def test_following_the_hint_adds_the_credential_and_the_workload_runs(server: Server) -> None:
    refused = server.cli("run", "--as", "lonely", "--platform", "workload", "--", sys.executable, "-c", "pass")
    hint = refused.stderr[refused.stderr.index("tenantd identity federated add"):].split()
    added = server.cli(*hint[1:])
    assert added.returncode == 0, added.stderr
    listed = json.loads(server.cli("identity", "federated", "list", "lonely", "--json", check=True).stdout)
    assert [(c["name"], c["audiences"]) for c in listed] == [("tenantd", ["api://AzureADTokenExchange"])]
    script = ("from azure.identity import DefaultAzureCredential\n"
              "DefaultAzureCredential().get_token('api://things/.default')")
    result = server.cli("run", "--as", "lonely", "--platform", "workload", "--", sys.executable, "-c", script)
    assert result.returncode == 0, result.stderr
    removed = server.cli("identity", "federated", "remove", "lonely", "tenantd")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(server.cli("identity", "federated", "list", "lonely", "--json", check=True).stdout) == []


def test_app_cert_and_federated_commands(server: Server, tmp_path: Path) -> None:
    key = new_key()
    cert = certificate(key, "cli-cert")
    bundle = tmp_path / "client.pem"
    bundle.write_bytes(pem(key, cert))   # a private key beside the certificate is never sent
    assert server.cli("app", "create", "cli client", check=True).returncode == 0
    added = json.loads(server.cli("app", "cert", "add", "cli client", str(bundle), "--name", "ci", "--json",
                                  check=True).stdout)
    assert added["displayName"] == "ci" and added["type"] == "AsymmetricX509Cert"
    listed = server.cli("app", "cert", "list", "cli client", check=True).stdout
    assert added["keyId"] in listed and cert.fingerprint(hashes.SHA1()).hex().upper() in listed
    rt = server.runtime()
    try:
        app = next(a for a in rt.directory.applications(server.tenant_id) if a.display_name == "cli client")
        assert [k.certificate for k in app.key_credentials] == [cert.public_bytes(serialization.Encoding.DER)]
    finally:
        rt.store.dispose()
    assert server.cli("app", "cert", "remove", "cli client", added["keyId"], check=True).returncode == 0
    assert json.loads(server.cli("app", "cert", "list", "cli client", "--json", check=True).stdout) == []
    made = server.cli("app", "federated", "add", "cli client", "--name", "github", "--issuer",
                      "https://token.actions.githubusercontent.com", "--subject", "repo:contoso/things:ref:main")
    assert made.returncode == 0, made.stderr
    twice = server.cli("app", "federated", "add", "cli client", "--name", "again", "--issuer",
                       "https://token.actions.githubusercontent.com", "--subject", "repo:contoso/things:ref:main")
    assert twice.returncode == 1 and "combination of issuer and subject must be unique" in twice.stderr
    [fic] = json.loads(server.cli("app", "federated", "list", "cli client", "--json", check=True).stdout)
    assert fic["subject"] == "repo:contoso/things:ref:main"
    assert server.cli("app", "federated", "remove", "cli client", fic["id"], check=True).returncode == 0
