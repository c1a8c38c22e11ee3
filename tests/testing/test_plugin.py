"""tenantd.testing as its users meet it: a project of their own (an API, its tenant file, its tests) run by
pytest in a separate process, with the plugin found through its entry point."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "things"

USERS_TESTS = '''
import os
import subprocess
import sys

import jwt
import pytest
from fastapi.testclient import TestClient

from api import create_app
from tenantd.protect import AsyncTokenValidator

CHILD = ("from azure.identity import DefaultAzureCredential; "
         "print(DefaultAzureCredential().get_token('api://things/.default').token)")


def app_for(tenant, audience):
    return create_app(AsyncTokenValidator(tenant_id=tenant.tenant_id, audiences=[audience],
                                          authority=tenant.authority, verify=tenant.ca_cert))


@pytest.fixture(scope="session")
def client(tenantd_tenant):
    with TestClient(app_for(tenantd_tenant, "api://things")) as client:
        yield client


def test_the_managed_identity_reads_the_things(client, tenantd_tenant):
    response = client.get("/things", headers=tenantd_tenant.headers(as_="joonasmsitest", resource="api://things"))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["Things.Read.All"]


def test_without_the_role_it_is_403(client, tenantd_tenant):
    tenantd_tenant.revoke("joonasmsitest", "Things API", "Things.Read.All")
    try:
        response = client.get("/things", headers=tenantd_tenant.headers("joonasmsitest", "api://things"))
        assert response.status_code == 403
    finally:
        tenantd_tenant.reset()
    assert client.get("/things", headers=tenantd_tenant.headers("joonasmsitest", "api://things")).status_code == 200


def test_a_child_process_runs_as_the_managed_identity(tenantd_tenant):
    before = dict(os.environ)
    env = tenantd_tenant.run_env(as_="joonasmsitest")
    assert dict(os.environ) == before
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    claims = jwt.decode(out.stdout.strip(), options={"verify_signature": False})
    assert claims["roles"] == ["Things.Read.All"] and claims["tid"] == tenantd_tenant.tenant_id


def test_the_dev_app_signs_in_with_its_secret(tenantd_tenant):
    with TestClient(app_for(tenantd_tenant, "api://things-dev")) as dev_api:
        auth = tenantd_tenant.auth_for("Things web (dev)", resource="api://things-dev")
        assert dev_api.get("/things", auth=auth).status_code == 200
        other = tenantd_tenant.auth_for("Things web (dev)", resource="api://things")
        assert dev_api.get("/things", auth=other).status_code == 401


def test_a_fresh_tenant_is_another_tenant(client, tenantd_tenant, tenantd_fresh_tenant):
    assert tenantd_fresh_tenant.tenant_id != tenantd_tenant.tenant_id
    foreign = tenantd_fresh_tenant.headers(as_="joonasmsitest", resource="api://things")
    assert client.get("/things", headers=foreign).status_code == 401
'''

NO_FIXTURES = '''
import sys


def test_nothing_of_tenantd_is_loaded_or_started():
    assert "tenantd.testing.plugin" in sys.modules
    assert "tenantd.testing.server" not in sys.modules and "tenantd.tenantfile" not in sys.modules
'''

IN_CODE_CONFTEST = '''
import pytest

pytest_plugins = ["tenantd.testing.plugin"]


@pytest.fixture(scope="session")
def tenantd_tenant_file():
    return {
        "applications": [{"displayName": "Orders API", "identifierUris": ["api://orders"], "appRoles": [{
            "id": "0b7a4a8e-3e44-4c64-9d2f-6a1f1d1b3c01", "value": "Orders.Read", "displayName": "Read orders",
            "allowedMemberTypes": ["Application"], "isEnabled": True, "description": "Read orders"}]}],
        "managedIdentities": [{"name": "orders-worker", "type": "UserAssigned", "attachedTo": [
            "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/w"]}],
        "assignments": [{"principal": "orders-worker", "resource": "Orders API", "role": "Orders.Read"}],
    }
'''

IN_CODE_TESTS = '''
import jwt


def test_a_tenant_built_in_code(tenantd_tenant):
    claims = jwt.decode(tenantd_tenant.token("orders-worker", "api://orders"), options={"verify_signature": False})
    assert claims["roles"] == ["Orders.Read"]
    env = tenantd_tenant.run_env("orders-worker", "imds", base={})
    assert env["AZURE_CLIENT_ID"] == claims["appid"]
    assert set(env) >= {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "SSL_CERT_FILE"}
'''


def run_pytest(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """pytest in ``project``, as its owner would run it (none of this suite's settings leak in)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TENANTD_"))}, **(env or {})}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


def passed(result: subprocess.CompletedProcess[str], count: int) -> bool:
    return result.returncode == 0 and re.search(rf"\b{count} passed\b", result.stdout) is not None


def test_a_users_suite_gets_its_tenant_from_the_ini_file(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "api.py", tmp_path)
    shutil.copy(EXAMPLE / "tenant.yaml", tmp_path)
    (tmp_path / "pytest.ini").write_text("[pytest]\npythonpath = .\ntenantd_tenant_file = tenant.yaml\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_things.py").write_text(USERS_TESTS)
    result = run_pytest(tmp_path)
    assert passed(result, 5), result.stdout + result.stderr


def test_a_suite_that_uses_no_fixture_starts_nothing(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_plain.py").write_text(NO_FIXTURES)
    result = run_pytest(tmp_path)
    assert passed(result, 1), result.stdout + result.stderr


@pytest.mark.parametrize("autoload", [True, False], ids=["entry point on", "entry point off"])
def test_listed_in_pytest_plugins_with_a_tenant_built_in_code(tmp_path: Path, autoload: bool) -> None:
    """Listing the plugin works whether pytest also loads it from its entry point or not."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntenantd_args = --imds-rate 0\n")
    (tmp_path / "conftest.py").write_text(IN_CODE_CONFTEST)
    (tmp_path / "test_orders.py").write_text(IN_CODE_TESTS)
    result = run_pytest(tmp_path, env={} if autoload else {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert passed(result, 1), result.stdout + result.stderr
