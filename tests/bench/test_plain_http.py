"""`tenantd up --plain-http`: the same server over plain HTTP, for running behind a TLS-terminating proxy."""

from __future__ import annotations

from pathlib import Path

import httpx

from ..support import start_server


def test_plain_http_serves_discovery_tokens_and_graph(tmp_path: Path) -> None:
    server = start_server(tmp_path / "tenantd", "--plain-http")
    try:
        assert server.info["listen"].startswith("http://127.0.0.1:")
        assert server.url.startswith("http://localhost:")
        with httpx.Client(base_url=server.info["listen"], timeout=30) as client:
            discovery = client.get(f"/{server.tenant_id}/v2.0/.well-known/openid-configuration").json()
            assert discovery["issuer"] == f"{server.url}/{server.tenant_id}/v2.0"
            token = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data={
                "grant_type": "client_credentials", "client_id": server.info["admin_client_id"],
                "client_secret": server.info["admin_client_secret"], "scope": "https://graph.microsoft.com/.default",
            })
            assert token.status_code == 200, token.text
            apps = client.get("/v1.0/applications", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
            assert apps.status_code == 200 and "value" in apps.json()
    finally:
        server.stop()
    again = start_server(tmp_path / "tenantd")   # HTTPS again on the same data: the local default URL follows
    try:
        assert again.url.startswith("https://localhost:")
        assert again.admin_token()
    finally:
        again.stop()
