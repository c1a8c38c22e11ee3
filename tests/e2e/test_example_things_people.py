"""The Things story's person, as processes: `tenantd up --demo` gives megan@contoso.test a password (in
demo-secrets.json), msal signs her in with it through the Azure CLI's client id (the password grant), and the
Things API (examples/things/api.py under uvicorn) lets her in on the role her group "Things API readers"
holds; removed from the group, her next token has no role and the API answers 403."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import msal
import pytest

from tenantd.domain import builtins
from tenantd.tokens import jwt

from ..compat.user_realm import session_for
from ..support import Server, start_server
from .things_support import ThingsApis

MEGAN = "megan@contoso.test"
GROUP = "Things API readers"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--demo")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[str]:
    apis = ThingsApis(server)
    yield apis.start_api()
    apis.stop()


@pytest.fixture
def megan_signs_in(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Megan's token for the Things API, from msal's password grant with the password the demo gave her."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.info["ca_bundle"])   # requests prefers it to a session's own
    secrets = json.loads((server.data / "demo-secrets.json").read_text())["users"][MEGAN]
    app = msal.PublicClientApplication(builtins.AZURE_CLI_APP_ID, authority=f"{server.url}/{secrets['tenant_id']}",
                                       instance_discovery=False, http_client=session_for(server))

    def sign_in() -> str:
        result = app.acquire_token_by_username_password(secrets["username"], secrets["password"],
                                                        scopes=["api://things/.default"])
        assert "access_token" in result, result
        return str(result["access_token"])
    yield sign_in


def _things(api: str, token: str) -> httpx.Response:
    return httpx.get(f"{api}/things", headers={"Authorization": f"Bearer {token}"})


def test_megan_reads_the_things_through_her_group_until_she_leaves_it(server: Server, api: str,
                                                                      megan_signs_in: Any) -> None:
    realm = server.http().get(f"/common/userrealm/{MEGAN}").json()
    assert realm["account_type"] == "Managed" and realm["domain_name"] == "contoso.test"   # the demo's domain
    token = megan_signs_in()
    claims = jwt.unverified_parts(token)[1]
    assert claims["idtyp"] == "user" and claims["upn"] == MEGAN and claims["roles"] == ["Things.Read.All"]
    assert "scp" in claims and claims["appid"] == builtins.AZURE_CLI_APP_ID
    response = _things(api, token)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["caller"], answer["user"], answer["roles"]) == (builtins.AZURE_CLI_APP_ID, claims["oid"],
                                                                   ["Things.Read.All"])
    # Her role is her group's alone: out of the group, her next token has none.
    server.cli("group", "remove-member", GROUP, MEGAN, check=True)
    try:
        without = megan_signs_in()
        assert "roles" not in jwt.unverified_parts(without)[1]
        refused = _things(api, without)
        assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    finally:
        server.cli("group", "add-member", GROUP, MEGAN, check=True)
    assert _things(api, megan_signs_in()).status_code == 200
