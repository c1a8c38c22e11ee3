"""The README's Node.js example as processes: tenantd up, `tenantd apply examples/things/tenant.yaml`, the
Things API of examples/things-node (Express + jose) on Node 22, and its web app (DefaultAzureCredential)
started by `tenantd run --as joonasmsitest`, as the README's "From Node.js" section runs them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tenantd.domain.platforms import STEERING

from ..support import Server, start_server
from .nodejs import Node, install

pytestmark = pytest.mark.timeout(600)   # the first test to run installs Node 22 and the SDKs
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "things-node"
API_APP_ID = "57bfd192-6d0a-466d-beec-bd22114849a0"       # pinned in the tenant file
SITES = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"))
    running.cli("apply", str(ROOT / "examples" / "things" / "tenant.yaml"), check=True)
    running.cli("identity", "create", "othersite", "--host", f"{SITES}/othersite", check=True)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> tuple[Node, Path]:
    installed = install()
    return installed, installed.script_dir(tmp_path_factory.mktemp("things-node"), EXAMPLE / "api.mjs",
                                           EXAMPLE / "web.mjs")


@pytest.fixture(scope="module")
def api(server: Server, node: tuple[Node, Path]) -> Iterator[str]:
    """api.mjs configured as the README configures it; its URL."""
    runtime, folder = node
    env = {k: v for k, v in os.environ.items() if k not in STEERING}
    env.update(THINGS_TENANT_ID=server.tenant_id, THINGS_AUDIENCE=f"api://things,{API_APP_ID}",
               THINGS_AUTHORITY=server.url, NODE_EXTRA_CA_CERTS=server.info["ca_bundle"], PORT="0",
               TENANTD_NODE_REFUSED=str(folder / "refused-api"))
    proc = subprocess.Popen(runtime.command(folder, "api.mjs"), cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if not first.startswith("Things API on "):
        proc.kill()
        raise AssertionError(f"the Things API did not start: {first}{proc.stdout.read()}")
    yield first.split()[-1]
    proc.terminate()
    proc.wait(timeout=15)
    assert not (folder / "refused-api").exists()


def web(server: Server, node: tuple[Node, Path], api: str, as_: str, *platform: str) -> tuple[int, str, str]:
    """web.mjs started by `tenantd run --as`: its exit code, the API's answer, and the API's challenge."""
    runtime, folder = node
    refused = folder / f"refused-{os.urandom(4).hex()}"
    result = server.cli("run", "--as", as_, *platform, "--", *runtime.command(folder, "web.mjs"),
                        env={"THINGS_URL": api, "TENANTD_NODE_REFUSED": str(refused)})
    assert not refused.exists(), refused.read_text()
    return result.returncode, result.stdout.strip(), result.stderr.strip()


@pytest.mark.parametrize("platform", ["appservice", "imds"])
def test_the_web_app_running_as_the_managed_identity_reads_the_things(server: Server, node: tuple[Node, Path],
                                                                      api: str, platform: str) -> None:
    code, answer, errors = web(server, node, api, "joonasmsitest", "--platform", platform)
    assert code == 0, answer + errors
    status, body = answer.split(" ", 1)
    things = json.loads(body)
    identity = next(i for i in server.admin("GET", "/identities").json()["value"] if i["name"] == "joonasmsitest")
    assert status == "200" and [t["name"] for t in things["things"]] == ["kettle", "teapot", "mug"]
    assert things["caller"] == identity["clientId"] and things["roles"] == ["Things.Read.All"]


def test_no_token_or_a_forged_one_is_401_with_a_bearer_challenge(api: str) -> None:
    response = httpx.get(f"{api}/things")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    forged = httpx.get(f"{api}/things", headers={"Authorization": "Bearer e30.e30.c2ln"})
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["www-authenticate"]


def test_an_identity_without_the_role_is_403(server: Server, node: tuple[Node, Path], api: str) -> None:
    code, answer, challenge = web(server, node, api, "othersite")
    assert code == 1 and answer.startswith("403 ") and 'error="insufficient_scope"' in challenge
