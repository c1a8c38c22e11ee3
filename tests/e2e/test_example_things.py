"""The story end to end, as processes: tenantd up, `tenantd apply examples/things/tenant.yaml`, the Things API
(examples/things/api.py, tenantd.protect) as a uvicorn process, and the web app (examples/things/web.py,
DefaultAzureCredential) started by `tenantd run --as joonasmsitest`. Only configuration differs between
the API processes: tenant, audience, authority."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from azure.identity import ClientSecretCredential

from ..support import Server, start_server
from .things_support import EXAMPLE, ThingsApis

SITES = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites"

StartApi = Callable[..., str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"))
    secrets = running.data / "secrets.json"
    running.cli("apply", str(EXAMPLE / "tenant.yaml"), "--secrets-out", str(secrets), check=True)
    # An identity of another site, without the role.
    running.cli("identity", "create", "othersite", "--host", f"{SITES}/othersite", check=True)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def start_api(server: Server) -> Iterator[StartApi]:
    """Starts examples/things/api.py under uvicorn, configured by environment only; returns its URL."""
    apis = ThingsApis(server)
    yield apis.start_api
    apis.stop()


@pytest.fixture(scope="module")
def api(start_api: StartApi) -> str:
    return start_api()


def web(server: Server, api_url: str, as_: str = "joonasmsitest", scope: str | None = None) -> tuple[int, str, str]:
    """examples/things/web.py started by `tenantd run --as`: its exit code, the API's answer, and the
    challenge the API sent when it refused."""
    env = {"THINGS_URL": api_url, **({"THINGS_SCOPE": scope} if scope else {})}
    result = server.cli("run", "--as", as_, "--", sys.executable, str(EXAMPLE / "web.py"), env=env)
    return result.returncode, result.stdout.strip(), result.stderr.strip()


def test_the_web_app_running_as_the_managed_identity_reads_the_things(server: Server, api: str) -> None:
    code, answer, _ = web(server, api)
    assert code == 0, answer
    status, body = answer.split(" ", 1)
    things = json.loads(body)
    identity = next(i for i in server.admin("GET", "/identities").json()["value"] if i["name"] == "joonasmsitest")
    assert status == "200" and [t["name"] for t in things["things"]] == ["kettle", "teapot", "mug"]
    assert things["caller"] == identity["clientId"] and things["roles"] == ["Things.Read.All"]


def test_no_token_is_401_with_a_bearer_challenge(api: str) -> None:
    response = httpx.get(f"{api}/things")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    forged = httpx.get(f"{api}/things", headers={"Authorization": "Bearer e30.e30.c2ln"})
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["www-authenticate"]


def test_an_identity_without_the_role_is_403(server: Server, api: str) -> None:
    code, answer, challenge = web(server, api, as_="othersite")
    assert code == 1 and answer.startswith("403 ")
    assert 'error="insufficient_scope"' in challenge


def test_a_token_for_another_audience_is_401(server: Server, api: str) -> None:
    code, answer, challenge = web(server, api, scope="api://things-dev/.default")
    assert code == 1 and answer.startswith("401 ")
    assert 'error="invalid_token"' in challenge


def test_after_revoke_a_newly_started_web_app_is_403(server: Server, api: str) -> None:
    server.cli("revoke", "joonasmsitest", "Things API", "Things.Read.All", check=True)
    try:
        code, answer, _ = web(server, api)
        assert code == 1 and answer.startswith("403 ")
    finally:
        server.cli("grant", "joonasmsitest", "Things API", "Things.Read.All", check=True)
    assert web(server, api)[0] == 0


def test_the_same_api_for_another_tenant_refuses_this_tenants_tokens(server: Server, start_api: StartApi,
                                                                     tmp_path: Path) -> None:
    second = json.loads(server.cli("tenant", "create", "second", "--json", check=True).stdout)
    # The same file without its appIds, domain and subscription, which are unique across tenants: the second
    # tenant's own.
    data = yaml.safe_load((EXAMPLE / "tenant.yaml").read_text())
    del data["tenant"]
    for entry in data["applications"]:
        entry.pop("appId", None)
    (copy := tmp_path / "tenant.yaml").write_text(yaml.safe_dump(data))
    server.cli("--tenant", "second", "apply", str(copy), check=True)
    other_tenants_api = start_api(tenant_id=second["id"])
    code, answer, challenge = web(server, other_tenants_api)
    assert code == 1 and answer.startswith("401 ") and 'error="invalid_token"' in challenge
    # The second tenant's own identity of the same name is let in: the refusal was about the tenant.
    own = server.cli("--tenant", "second", "run", "--as", "joonasmsitest", "--", sys.executable,
                     str(EXAMPLE / "web.py"), env={"THINGS_URL": other_tenants_api})
    assert own.returncode == 0 and own.stdout.startswith("200 "), own.stdout + own.stderr


def test_the_dev_path_a_dev_app_secret_opens_the_dev_api_only(server: Server, api: str,
                                                              start_api: StartApi) -> None:
    dev_api = start_api(audience="api://things-dev")
    [secret] = [s for s in json.loads((server.data / "secrets.json").read_text())
                if s["application"] == "Things web (dev)"]
    credential = ClientSecretCredential(server.tenant_id, secret["appId"], secret["secretText"],
                                        authority=server.url, disable_instance_discovery=True,
                                        connection_verify=server.ca_cert)
    dev_token = credential.get_token("api://things-dev/.default").token
    assert httpx.get(f"{dev_api}/things", headers={"Authorization": f"Bearer {dev_token}"}).status_code == 200
    assert httpx.get(f"{api}/things", headers={"Authorization": f"Bearer {dev_token}"}).status_code == 401
    # The dev app holds no role on the real API: a token for it is well-formed but not enough.
    prod_token = credential.get_token("api://things/.default").token
    assert httpx.get(f"{api}/things", headers={"Authorization": f"Bearer {prod_token}"}).status_code == 403
    # And the production identity, running the same web app, is refused by the dev API.
    code, answer, _ = web(server, dev_api)
    assert code == 1 and answer.startswith("401 ")
