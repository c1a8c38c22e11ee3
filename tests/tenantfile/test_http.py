"""POST /_tenantd/apply and GET /_tenantd/export on a running tenantd."""

from __future__ import annotations

import yaml

from tenantd.http.admin_tenantfile import MAX_DOCUMENT
from tenantd.tenantfile import load_text

from ..support import Server

FILE = """\
applications:
  - displayName: Http API
    identifierUris: [api://http-things]
    appRoles:
      - {allowedMemberTypes: [Application], displayName: Read, id: 52028ccd-3212-4f39-3212-beabd6787d81,
         value: Http.Read}
  - displayName: Http client
    passwordCredentials: [{displayName: ci}]
assignments:
  - {principal: Http client, resource: Http API, role: Http.Read}
"""


def test_apply_over_http_then_again_changes_nothing(server: Server) -> None:
    body = load_text(FILE, "http.yaml").request_body()
    dry = server.admin("POST", "/apply", json={**body, "dryRun": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["applied"] is False and len(dry.json()["changes"]) == 6 and dry.json()["secrets"] == []

    first = server.admin("POST", "/apply", json=body)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    result = first.json()
    assert result["applied"] is True and len(result["changes"]) == 6
    [secret] = result["secrets"]
    assert secret["application"] == "Http client" and secret["displayName"] == "ci"

    token = server.token(secret["appId"], secret["secretText"], "api://http-things/.default")
    assert token.status_code == 200, token.text

    again = server.admin("POST", "/apply", json=body).json()
    assert again == {"changes": [], "secrets": [], "applied": True, "summary": "no changes"}


def test_export_over_http_applies_back_with_no_changes(server: Server) -> None:
    server.admin("POST", "/apply", json=load_text(FILE, "http.yaml").request_body())
    exported = server.admin("GET", "/export")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert "Http API" in [a["displayName"] for a in document["applications"]]
    assert "secretText" not in exported.text
    doc = load_text(yaml.safe_dump(document), "export.yaml")
    again = server.admin("POST", "/apply", json=doc.request_body(prune=True)).json()
    assert again["changes"] == []


def test_a_bad_document_is_a_400_that_lists_the_problems_and_changes_nothing(server: Server) -> None:
    assert server.admin("POST", "/apply", json=load_text(FILE, "http.yaml").request_body()).status_code == 200
    before = server.admin("GET", "/export").json()
    document = {"applications": [{"displayName": "Never created"}],
                "users": [{"userPrincipalName": "x@contoso.test"}],
                "assignments": [{"principal": "nobody", "resource": "Http API", "role": "Http.Read"}]}
    response = server.admin("POST", "/apply", json={"document": document, "source": "mine.yaml",
                                                    "lines": [[["users", 0], 9]]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "TenantFile_Invalid"
    assert error["message"] == "mine.yaml:9: users[0]: 'displayName' is a required property"

    document["users"] = []
    response = server.admin("POST", "/apply", json={"document": document})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "tenant.yaml: assignments[0].principal: no principal 'nobody' in the file or the tenant")
    assert server.admin("GET", "/export").json() == before


def test_apply_needs_the_admin_role_and_a_sane_body(server: Server) -> None:
    assert server.admin("POST", "/apply", token="not-a-token", json={"document": {}}).status_code == 401
    assert server.admin("GET", "/export", token="not-a-token").status_code == 401
    graph_token = server.admin_token()  # a token for Graph, not for tenantd's admin API
    assert server.admin("GET", "/export", token=graph_token).status_code == 401
    assert server.admin("POST", "/apply", content=b"{not json").status_code == 400
    assert server.admin("POST", "/apply", json={"document": {}, "prune": "yes"}).status_code == 400
    assert server.admin("POST", "/apply", json={"nothing": 1}).status_code == 400
    nested = server.admin("POST", "/apply", content=b'{"document": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert nested.status_code == 400 and "valid JSON" in nested.json()["error"]["message"]
    huge = b'{"document": {"x": "' + b"a" * MAX_DOCUMENT + b'"}}'
    assert server.admin("POST", "/apply", content=huge).status_code == 413
