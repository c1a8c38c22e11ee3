"""Text no store can hold, from outside, on SQLite and PostgreSQL: an unpaired UTF-16 surrogate in a JSON
string (SQLite cannot bind it, no UTF-8 body can carry it) and NUL (PostgreSQL's text refuses it) in JSON
bodies, paths, queries and forms. Each is a 400 in the protocol's own shape, never a 500, and the connection
it came on goes on serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tenantd.domain import builtins

from ..support import Server

HOSTILE = ["\\ud800", "a\\udfffb", "\\u0000", "x\\u0000"]   # as JSON escapes: the body stays ASCII


@pytest.fixture(scope="module")
def objects(tenantd: Server) -> dict[str, str]:
    """An application with a secret, its service principal, a user and a group to aim the bodies at."""
    def made(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    app = made(tenantd.graph("POST", "/applications", json={"displayName": "hostile text"}))
    secret = made(tenantd.graph("POST", f"/applications/{app['id']}/addPassword", json={}))
    sp = made(tenantd.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}))
    user = made(tenantd.graph("POST", "/users", json={"userPrincipalName": "hostile@example.com",
                                                      "displayName": "hostile"}))
    group = made(tenantd.graph("POST", "/groups", json={"displayName": "hostile"}))
    return {"app": app["id"], "key": secret["keyId"], "sp": sp["id"], "user": user["id"], "group": group["id"]}


def graph_refusal(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest" and "request-id" in error["innerError"], error
    return str(error["message"])


def oauth_refusal(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request" and body["error_codes"] == [900144], body
    return str(body["error_description"])


def bodies(o: dict[str, str], text: str) -> list[tuple[str, str, str]]:
    """(API, path, raw JSON body) of calls whose strings reach the store; ``text`` is a JSON escape."""
    return [
        ("graph", "/applications", f'{{"displayName": "{text}"}}'),
        ("graph", f"/applications/{o['app']}", f'{{"notes": "{text}"}}'),
        ("graph", f"/applications/{o['app']}/removePassword", f'{{"keyId": "{o["key"][:-1]}{text}"}}'),
        ("graph", f"/groups/{o['group']}/members/$ref",
         f'{{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{text}"}}'),
        ("graph", f"/servicePrincipals/{o['sp']}/appRoleAssignedTo",
         f'{{"principalId": "{o["user"]}", "resourceId": "{o["sp"]}", "appRoleId": "{text}"}}'),
        ("graph", "/users", f'{{"userPrincipalName": "u{text}@example.com", "displayName": "u"}}'),
        ("graph", "/groups", f'{{"displayName": "g", "description": "{text}"}}'),
        ("graph", "/applications", f'{{"displayName": "k", "{text}": 1}}'),
        ("admin", "/identities", f'{{"name": "{text}", "type": "UserAssigned"}}'),
        ("admin", "/apply",
         f'{{"document": {{"groups": [{{"displayName": "{text}"}}]}}, "dryRun": true}}'),
    ]


@pytest.mark.parametrize("text", HOSTILE)
def test_json_strings_with_surrogates_or_nul_are_a_graph_400(tenantd: Server, objects: dict[str, str],
                                                             text: str) -> None:
    """One connection for every call: each refusal leaves it serving the next."""
    graph, admin = tenantd.admin_token(), tenantd.admin_token("api://tenantd")
    with tenantd.http() as client:
        for api, path, raw in bodies(objects, text):
            method = "PATCH" if path == f"/applications/{objects['app']}" else "POST"
            prefix, token = ("/v1.0", graph) if api == "graph" else ("/_tenantd", admin)
            response = client.request(method, prefix + path, content=raw.encode("ascii"), headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            message = graph_refusal(response)
            assert "NUL or an unpaired UTF-16 surrogate" in message, (path, message)
        still = client.get(f"/v1.0/applications/{objects['app']}", headers={"Authorization": f"Bearer {graph}"})
    assert still.status_code == 200 and "\x00" not in still.text and still.json()["notes"] is None


@pytest.mark.parametrize("path", [
    "/v1.0/users/a%00b@example.com",
    "/v1.0/applications?$filter=displayName%20eq%20'a%00b'",
    "/v1.0/users?$filter=startswith(displayName,'%00')",
])
def test_nul_in_a_graph_path_or_query_is_a_graph_400(tenantd: Server, path: str) -> None:
    with tenantd.http() as client:
        response = client.get(path, headers={"Authorization": f"Bearer {tenantd.admin_token()}"})
        assert "may not hold NUL" in graph_refusal(response)
        assert client.get("/_tenantd/health").status_code == 200


@pytest.mark.parametrize("path", [
    "/a%00b/v2.0/.well-known/openid-configuration",
    "/a%00b/discovery/v2.0/keys",
    "/organizations/v2.0/.well-known/openid-configuration?x=%00",
])
def test_nul_in_an_sts_path_or_query_is_an_oauth_400(tenantd: Server, path: str) -> None:
    with tenantd.http() as client:
        assert "may not hold NUL" in oauth_refusal(client.get(path))


def test_nul_in_the_token_endpoints_path_or_form_is_an_oauth_400(tenantd: Server) -> None:
    form = {"grant_type": "client_credentials", "client_id": tenantd.info["admin_client_id"],
            "client_secret": tenantd.info["admin_client_secret"], "scope": "https://graph.microsoft.com/.default"}
    with tenantd.http() as client:
        assert "may not hold NUL" in oauth_refusal(client.post("/a%00b/oauth2/v2.0/token", data=form))
        for field in ("client_id", "client_secret", "scope", "grant_type"):
            response = client.post(f"/{tenantd.tenant_id}/oauth2/v2.0/token", data={**form, field: "a\x00b"})
            assert response.status_code in (400, 401), response.text
            assert response.json()["error_codes"], response.text
        assert client.post(f"/{tenantd.tenant_id}/oauth2/v2.0/token", data=form).status_code == 200


def test_nul_in_a_managed_identity_query_is_a_400_in_its_shape(tenantd: Server) -> None:
    with httpx.Client(base_url=tenantd.info["identity_url"]) as client:
        imds = client.get("/secret/metadata/identity/oauth2/token?api-version=2018-02-01&resource=a%00b",
                          headers={"Metadata": "true"})
        assert imds.status_code == 400 and imds.json()["error"] == "invalid_request", imds.text
        assert "may not hold NUL" in imds.json()["error_description"]
        service = client.get("/msi/token?api-version=2019-08-01&resource=a%00b", headers={"X-IDENTITY-HEADER": "x"})
        assert service.status_code == 400 and "may not hold NUL" in service.json()["message"], service.text


def test_a_tenant_file_holding_nul_is_refused_and_nothing_is_stored(tenantd: Server) -> None:
    document = {"applications": [{"displayName": "nul\x00app"}]}
    response = tenantd.admin("POST", "/apply", json={"document": document})
    assert "document.applications[0].displayName" in graph_refusal(response)
    listed = tenantd.graph("GET", "/applications?$filter=startswith(displayName,'nul')")
    assert listed.status_code == 200 and listed.json()["value"] == []


def test_apply_of_a_tenant_file_holding_nul_or_a_surrogate_is_a_message_and_an_exit_code(
        tenantd: Server, tmp_path: Path) -> None:
    for text in ("a\\0b", "c\\ud800"):   # YAML's own escapes
        tenant_file = tmp_path / "tenant.yaml"
        tenant_file.write_text(f'applications:\n  - displayName: "{text}"\n')
        result = tenantd.cli("apply", str(tenant_file))
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert "NUL or an unpaired UTF-16 surrogate" in result.stderr + result.stdout


def test_nul_in_peoples_grants_is_an_oauth_400(tenantd: Server) -> None:
    """Values the people's grants look up or store (user names, resources in scopes, device codes' scopes)."""
    cli = builtins.AZURE_CLI_APP_ID
    password = {"grant_type": "password", "client_id": cli, "username": "nobody@contoso.test", "password": "P-ss-w0rd",
                "scope": "api://things/.default"}
    with tenantd.http() as client:
        for path, form in (
                ("oauth2/v2.0/token", {**password, "username": "a\x00b@contoso.test"}),
                ("oauth2/v2.0/token", {**password, "scope": "api://th\x00ings/.default"}),
                ("oauth2/token", {**password, "scope": "", "resource": "api://th\x00ings"}),
                ("oauth2/v2.0/devicecode", {"client_id": cli, "scope": "api://th\x00ings/Read"}),
                ("oauth2/v2.0/token", {"grant_type": "refresh_token", "client_id": cli, "refresh_token": "a\x00b"})):
            response = client.post(f"/{tenantd.tenant_id}/{path}", data=form)
            assert response.status_code == 400 and response.json()["error_codes"], response.text
        response = client.post("/common/oauth2/v2.0/token", data={**password, "username": "a@con\x00toso.test"})
        assert response.status_code == 400 and response.json()["error_codes"], response.text
