"""A tenant file pinning an id that another tenant's object holds gets a 400 in Graph's shape, and nothing of
the file is written: the check of ids across tenants answers first, and the store's unique key (a 400 through
the ``DuplicateKey`` handler) stands behind it."""

from __future__ import annotations

from ..support import Server


def test_a_tenant_file_pinning_another_tenants_id_is_a_400_and_writes_nothing(tenantd: Server) -> None:
    group = tenantd.graph("POST", "/groups", json={"displayName": "held"}).json()
    other = tenantd.admin("POST", "/tenants", json={"name": "pinning"}).json()
    token = tenantd.token(other["admin"]["clientId"], other["admin"]["clientSecret"], "api://tenantd/.default",
                          tenant=other["id"]).json()["access_token"]
    document = {"users": [{"userPrincipalName": "first@pinning.example.com", "displayName": "first"}],
                "groups": [{"displayName": "pinned", "id": group["id"]}]}
    with tenantd.http() as client:
        response = client.post("/_tenantd/apply", json={"document": document},
                               headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "TenantFile_Invalid" and group["id"] in error["message"], error
        exported = client.get("/_tenantd/export", headers={"Authorization": f"Bearer {token}"})
    assert exported.status_code == 200 and "first@pinning" not in exported.text and "pinned" not in exported.text
    assert tenantd.graph("GET", f"/groups/{group['id']}").json()["displayName"] == "held"
