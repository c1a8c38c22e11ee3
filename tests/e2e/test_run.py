"""`tenantd run --as IDENTITY -- CMD`: an unmodified app using DefaultAzureCredential gets its identity's
token through each platform's endpoint; the child's environment is the platform's, its exit code ours."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import httpx
import pytest

from tenantd.domain import rules

from ..support import Server, start_server

SUB = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers"
SITE = f"{SUB}/Microsoft.Web/sites/joonasmsitest"
UA = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-worker"
READ = "32028ccd-3212-4f39-3212-beabd6787d81"
APP = """
import json, os, jwt
from azure.identity import DefaultAzureCredential
token = DefaultAzureCredential().get_token("api://things/.default").token
claims = jwt.decode(token, options={"verify_signature": False})
print(json.dumps({"claims": claims, "env": dict(os.environ)}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--imds-rate", "0", "--imds-concurrency", "0")
    rt = running.runtime()
    tid, d = running.tenant_id, rt.directory
    api = d.create_application(tid, "Things API", identifier_uris=["api://things"], with_service_principal=True,
                               app_roles=rules.app_roles([{
                                   "id": READ, "value": "Things.Read.All", "displayName": "Read",
                                   "allowedMemberTypes": ["Application"]}]))
    api_sp = d.service_principal_by_app_id(tid, api.app_id).id
    system = d.create_managed_identity(tid, "joonasmsitest", "SystemAssigned", SITE)
    ua = d.create_managed_identity(tid, "orders-worker", "UserAssigned", UA)
    d.attach(tid, ua.id, SITE)
    d.assign(tid, system.id, api_sp, READ)
    d.assign(tid, ua.id, api_sp, READ)
    rt.store.dispose()
    yield running
    running.stop()


@pytest.mark.parametrize("platform", ["appservice", "imds", "msi2017", "cloudshell"])
def test_default_azure_credential_in_a_process_started_by_run(server: Server, platform: str) -> None:
    result = server.cli("run", "--as", "joonasmsitest", "--platform", platform, "--", sys.executable, "-c", APP,
                        env={"AZURE_CLIENT_SECRET": "leaked", "AZURE_USERNAME": "someone", "KEEP_ME": "1"})
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["claims"]["roles"] == ["Things.Read.All"]
    assert out["claims"]["xms_mirid"] == SITE and out["claims"]["appidacr"] == "2"
    env = out["env"]
    assert "AZURE_CLIENT_SECRET" not in env and "AZURE_USERNAME" not in env and env["KEEP_ME"] == "1"
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == env["NODE_EXTRA_CA_CERTS"] == server.info["ca_bundle"]


def test_run_as_a_user_assigned_identity_sets_azure_client_id(server: Server) -> None:
    result = server.cli("run", "--as", "orders-worker", "--", sys.executable, "-c", APP)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["claims"]["xms_mirid"] == UA and out["claims"]["xms_az_rid"] == SITE
    assert out["env"]["AZURE_CLIENT_ID"] == out["claims"]["appid"]


def test_the_childs_exit_code_is_runs_and_the_session_closes(server: Server) -> None:
    script = "import os, sys; print(os.environ['IDENTITY_HEADER']); sys.exit(3)"
    result = server.cli("run", "--as", "joonasmsitest", "--", sys.executable, "-c", script)
    assert result.returncode == 3
    secret = result.stdout.strip()
    response = httpx.get(f"{server.info['identity_url']}/msi/token", headers={
        "X-IDENTITY-HEADER": secret}, params={"api-version": "2019-08-01", "resource": "api://things"})
    assert response.status_code == 401  # the session ended with the process


def test_env_prints_the_platform_environment(server: Server) -> None:
    result = server.cli("env", "--as", "joonasmsitest", "--platform", "imds", "--format", "json")
    assert result.returncode == 0, result.stderr
    variables = json.loads(result.stdout)
    assert variables["set"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"].startswith(server.info["identity_url"] + "/")
    assert "AZURE_CLIENT_SECRET" in variables["unset"]


def test_run_refuses_unknown_identities_and_foreign_hosts(server: Server) -> None:
    unknown = server.cli("run", "--as", "nobody", "--", sys.executable, "-c", "pass")
    foreign = server.cli("run", "--as", "orders-worker", "--host", f"{SUB}/Microsoft.Web/sites/elsewhere", "--",
                         sys.executable, "-c", "pass")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr
    assert foreign.returncode == 1 and "not attached" in foreign.stderr


def test_identity_attach_lets_a_user_assigned_identity_run_on_another_host(server: Server) -> None:
    elsewhere = f"{SUB}/Microsoft.Web/sites/elsewhere2"
    attached = server.cli("identity", "attach", "orders-worker", "--host", elsewhere)
    assert attached.returncode == 0, attached.stderr
    shown = json.loads(server.cli("identity", "show", "orders-worker", "--json", check=True).stdout)
    assert elsewhere in json.dumps(shown)
    result = server.cli("run", "--as", "orders-worker", "--host", elsewhere, "--", sys.executable, "-c", APP)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["claims"]["xms_az_rid"] == elsewhere
    assert server.cli("identity", "detach", "orders-worker", "--host", elsewhere).returncode == 0
    refused = server.cli("run", "--as", "orders-worker", "--host", elsewhere, "--", sys.executable, "-c", "pass")
    assert refused.returncode == 1 and "not attached" in refused.stderr
