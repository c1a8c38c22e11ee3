"""Token lifetimes are configurable, and `--mi-stale-cache` rehearses Azure's cache: a managed identity keeps
getting its cached token, old roles included, until it expires."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest

from tenantd.domain import rules

from ..support import Server, start_server

SITE = "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Web/sites/stale"
READ = "32028ccd-3212-4f39-3212-beabd6787d81"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("tenantd"), "--app-token-minutes", "10", "--mi-token-hours", "2",
                           "--mi-stale-cache")
    yield running
    running.stop()


def test_app_and_managed_identity_lifetimes_and_the_stale_cache(server: Server) -> None:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    try:
        api = d.create_application(tid, "Stale API", identifier_uris=["api://stale"], with_service_principal=True,
                                   app_roles=rules.app_roles([{"id": READ, "value": "Read", "displayName": "Read",
                                                               "allowedMemberTypes": ["Application"]}]))
        api_sp = d.service_principal_by_app_id(tid, api.app_id).id
        msi = d.create_managed_identity(tid, "stale", "SystemAssigned", SITE)
        assignment = d.assign(tid, msi.id, api_sp, READ)
        app_claims = jwt.decode(server.admin_token(), options={"verify_signature": False})
        assert app_claims["exp"] - app_claims["iat"] == 600

        secret = server.admin("POST", "/hosts/sessions", json={"host": SITE}).json()["secret"]
        params = {"api-version": "2019-08-01", "resource": "api://stale"}
        with httpx.Client(base_url=server.info["identity_url"], headers={"X-IDENTITY-HEADER": secret}) as client:
            first = client.get("/msi/token", params=params).json()["access_token"]
            claims = jwt.decode(first, options={"verify_signature": False})
            assert claims["exp"] - claims["iat"] == 7200 and claims["roles"] == ["Read"]
            d.unassign(tid, assignment.id, principal_id=msi.id)
            assert client.get("/msi/token", params=params).json()["access_token"] == first  # as Azure does
    finally:
        rt.store.dispose()


def test_a_bad_lifetime_is_refused_at_start(tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(AssertionError, match="app-token-minutes"):
        start_server(tmp_path_factory.mktemp("bad"), "--app-token-minutes", "90-60", timeout=30)
