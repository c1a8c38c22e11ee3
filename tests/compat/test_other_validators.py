"""The README's section "Validating tenantd's tokens with other libraries" runs as written: its tenant file
applied to a real tenantd, tokens from the token endpoint, its PyJWT validator and its FastAPI app protected
by fastapi-azure-auth, each taking the right token and refusing the others."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import jwt
import pytest
import yaml
from fastapi.testclient import TestClient

from ..support import Server

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Validating tenantd's tokens with other libraries"


def _blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def readme_function(name: str) -> Callable[..., Any]:
    """The function ``name`` defined by one of the section's Python blocks, run as the README shows it."""
    for block in _blocks("python"):
        if f"def {name}(" in block:
            namespace: dict[str, Any] = {"__name__": "readme"}
            exec(compile(block, f"README.md ({name})", "exec"), namespace)
            return namespace[name]  # type: ignore[no-any-return]
    raise AssertionError(f"the README's section defines no {name}()")


@dataclass
class Invoices:
    api_app_id: str
    client_id: str            # Invoices web's appId
    token: str                # Invoices web's: holds Invoices.Read.All
    roleless_token: str       # for the Invoices API, from an app without the role
    other_audience_token: str  # Invoices web's, for another API
    v1_token: str             # Invoices web's, for the same API and key, from the v1 issuer


def _secret(secrets: list[dict[str, str]], application: str) -> tuple[str, str]:
    entry = next(s for s in secrets if s["application"] == application)
    return entry["appId"], entry["secretText"]


@pytest.fixture(scope="module")
def invoices(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Invoices:
    """The README's tenant file, plus a second v2 API and a client without the role to be refused."""
    (block,) = _blocks("yaml")
    document = yaml.safe_load(block)
    document["applications"] += [
        {"displayName": "Payments API", "identifierUris": ["api://payments"], "accessTokenAcceptedVersion": 2},
        {"displayName": "Invoices auditor", "passwordCredentials": [{"displayName": "dev"}]},
    ]
    directory = tmp_path_factory.mktemp("invoices")
    file, secrets_file = directory / "invoices.yaml", directory / "secrets.json"
    file.write_text(yaml.safe_dump(document, sort_keys=False))
    server.cli("apply", str(file), "--secrets-out", str(secrets_file), check=True)
    secrets = json.loads(secrets_file.read_text())

    def token(application: str, scope: str) -> str:
        response = server.token(*_secret(secrets, application), scope)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    api_app_id = document["applications"][0]["appId"]
    api = server.graph("GET", f"/applications(appId='{api_app_id}')").json()
    version = {"api": {"requestedAccessTokenVersion": None}}
    assert server.graph("PATCH", f"/applications/{api['id']}", json=version).status_code == 204
    v1_token = token("Invoices web", f"{api_app_id}/.default")   # aud: the appId, as the client named it
    assert jwt.decode(v1_token, options={"verify_signature": False})["aud"] == api_app_id
    version["api"]["requestedAccessTokenVersion"] = 2
    assert server.graph("PATCH", f"/applications/{api['id']}", json=version).status_code == 204
    return Invoices(
        api_app_id=api_app_id,
        client_id=_secret(secrets, "Invoices web")[0],
        token=token("Invoices web", "api://invoices/.default"),
        roleless_token=token("Invoices auditor", "api://invoices/.default"),
        other_audience_token=token("Invoices web", "api://payments/.default"),
        v1_token=v1_token,
    )


def test_pyjwt_validates_the_token_and_refuses_another_audience(server: Server, invoices: Invoices) -> None:
    validate = readme_function("invoices_validator")(server.url, server.tenant_id, invoices.api_app_id,
                                                     server.ca_cert)
    claims = validate(invoices.token)
    assert claims["roles"] == ["Invoices.Read.All"]
    assert claims["aud"] == invoices.api_app_id and claims["iss"] == f"{server.url}/{server.tenant_id}/v2.0"
    assert "roles" not in validate(invoices.roleless_token)   # valid, but nothing granted
    with pytest.raises(jwt.InvalidAudienceError):
        validate(invoices.other_audience_token)
    with pytest.raises(jwt.InvalidIssuerError):
        validate(invoices.v1_token)
    header, _, signature = invoices.token.split(".")
    forged = jwt.utils.base64url_encode(json.dumps({**claims, "roles": ["Invoices.Write.All"]}).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        validate(f"{header}.{forged}.{signature}")


def test_fastapi_azure_auth_lets_the_role_in_and_refuses_the_rest(server: Server, invoices: Invoices) -> None:
    app = readme_function("create_invoices_app")(server.url, server.tenant_id, invoices.api_app_id,
                                                 server.ca_cert)
    with TestClient(app) as client:
        ok = client.get("/invoices", headers={"Authorization": f"Bearer {invoices.token}"})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"caller": invoices.client_id, "roles": ["Invoices.Read.All"]}
        assert client.get("/invoices").status_code == 401
        wrong_audience = client.get("/invoices", headers={"Authorization": f"Bearer {invoices.other_audience_token}"})
        assert wrong_audience.status_code == 401, wrong_audience.text
        v1 = client.get("/invoices", headers={"Authorization": f"Bearer {invoices.v1_token}"})
        assert v1.status_code == 401, v1.text
        without_role = client.get("/invoices", headers={"Authorization": f"Bearer {invoices.roleless_token}"})
        assert without_role.status_code == 403, without_role.text


def test_fastapi_azure_auth_needs_tenantds_ca(server: Server, invoices: Invoices) -> None:
    """With only the public CAs, the app does not start: it cannot read tenantd's discovery document."""
    app = readme_function("create_invoices_app")(server.url, server.tenant_id, invoices.api_app_id, certifi.where())
    with pytest.raises(RuntimeError, match="Unable to fetch provider information"), TestClient(app):
        pass
