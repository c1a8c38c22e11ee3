"""The helpers tenantd.testing hands a test, through the plugin's own fixtures: tokens, run environments,
clients, tenant files, reset and fresh tenants; and what they leave alone (the test's environment)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tenantd.domain.platforms import CA_VARIABLES, STEERING
from tenantd.tenantfile import TenantFileError
from tenantd.testing import NameNotFound, RequestFailed, Tenant, TenantdServer

API_APP_ID = "57bfd192-6d0a-466d-beec-bd22114849a0"
SITES = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites"
SITE = f"{SITES}/joonasmsitest"
TWIN = "11111111-1111-1111-1111-111111111111"


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def verified(tenant: Tenant, token: str, audience: str) -> dict[str, Any]:
    """The claims of a token that verifies against the tenant's own discovery document."""
    context = ssl.create_default_context(cafile=tenant.ca_cert)
    discovery = httpx.get(tenant.discovery_url, verify=context).json()
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=context)
    header = jwt.get_unverified_header(token)
    issuer = tenant.issuer(2) if claims(token)["ver"] == "2.0" else tenant.issuer(1)
    return jwt.decode(token, keys.get_signing_key(header["kid"]).key, algorithms=["RS256"], audience=audience,
                      issuer=issuer)


def msi_token(tenant: Tenant, env: dict[str, str], resource: str = "api://things") -> httpx.Response:
    """What App Service's identity endpoint answers a process that has ``env``."""
    return httpx.get(env["IDENTITY_ENDPOINT"], headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
                     params={"api-version": "2019-08-01", "resource": resource})


def test_the_tenant_says_where_it_is(tenantd_tenant: Tenant, tenantd_server: TenantdServer) -> None:
    assert tenantd_tenant.tenant_id == tenantd_server.info["tenant_id"]
    assert tenantd_tenant.url == tenantd_server.url and tenantd_tenant.url.startswith("https://localhost:")
    discovery = httpx.get(tenantd_tenant.discovery_url, verify=ssl.create_default_context(
        cafile=tenantd_tenant.ca_cert)).json()
    assert discovery["issuer"] == tenantd_tenant.issuer(2)
    assert Path(tenantd_tenant.ca_cert).read_text() in Path(tenantd_tenant.ca_bundle).read_text()


def test_token_as_an_identity_or_an_app_carries_exactly_its_roles(tenantd_tenant: Tenant) -> None:
    as_identity = verified(tenantd_tenant, tenantd_tenant.token(as_="joonasmsitest", resource="api://things"),
                           "api://things")
    assert as_identity["roles"] == ["Things.Read.All"] and as_identity["xms_mirid"] == SITE
    by_name = claims(tenantd_tenant.token(as_="joonasmsitest", resource="Things API"))
    assert by_name["aud"] == API_APP_ID and by_name["roles"] == ["Things.Read.All"]
    dev = claims(tenantd_tenant.token(as_="Things web (dev)", resource="api://things"))
    assert "roles" not in dev   # the dev app holds the role on the dev copy only
    assert claims(tenantd_tenant.token("Things web (dev)", "api://things-dev"))["roles"] == ["Things.Read.All"]
    with pytest.raises(NameNotFound, match="nobody"):
        tenantd_tenant.token(as_="nobody", resource="api://things")


def test_run_env_is_a_new_environment_for_a_child(tenantd_tenant: Tenant) -> None:
    before = dict(os.environ)
    base = {"PATH": "/bin", "AZURE_CLIENT_SECRET": "leaked", "MSI_ENDPOINT": "http://elsewhere", "KEEP": "1"}
    env = tenantd_tenant.run_env(as_="joonasmsitest", base=base)
    assert dict(os.environ) == before and base["AZURE_CLIENT_SECRET"] == "leaked"
    assert env["KEEP"] == "1" and "AZURE_CLIENT_SECRET" not in env
    assert env["MSI_ENDPOINT"].startswith(tenantd_tenant.identity_url)
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == tenantd_tenant.ca_bundle
    assert env["AZURE_TENANT_ID"] == tenantd_tenant.tenant_id and "AZURE_CLIENT_ID" not in env
    answer = msi_token(tenantd_tenant, env)
    assert answer.status_code == 200, answer.text
    assert claims(answer.json()["access_token"])["roles"] == ["Things.Read.All"]
    from_process = tenantd_tenant.run_env(as_="joonasmsitest")
    ours = (*STEERING, *CA_VARIABLES, "AZURE_TENANT_ID")
    assert {k: v for k, v in from_process.items() if k not in ours} == {
        k: v for k, v in os.environ.items() if k not in ours}


def test_run_env_platforms_and_user_assigned_identities(tenantd_fresh_tenant: Tenant) -> None:
    tenant = tenantd_fresh_tenant
    tenant.apply({"managedIdentities": [{"name": "orders-worker", "type": "UserAssigned", "attachedTo": [SITE]}],
                  "assignments": [{"principal": "orders-worker", "resource": "Things API", "role": "Things.Read.All"}]})
    imds = tenant.run_env(as_="orders-worker", platform="imds", base={})
    client_id = next(i for i in tenant.admin("GET", "/identities")["value"] if i["name"] == "orders-worker")["clientId"]
    assert imds["AZURE_CLIENT_ID"] == client_id
    assert imds["AZURE_POD_IDENTITY_AUTHORITY_HOST"].startswith(tenant.identity_url + "/")
    assert tenant.run_env("joonasmsitest", "cloudshell", base={})["MSI_ENDPOINT"].endswith("/cloudshell/token")
    with pytest.raises(ValueError, match="tenantd run --platform workload"):
        tenant.run_env("orders-worker", platform="workload")
    with pytest.raises(Exception, match="not attached"):
        tenant.run_env("orders-worker", host=SITE.replace("joonasmsitest", "elsewhere"))


def test_close_ends_the_sessions_run_env_opened(tenantd_server: TenantdServer) -> None:
    tenant = tenantd_server.new_tenant({"managedIdentities": [{"name": "site", "type": "SystemAssigned",
                                                               "host": SITE}]})
    env = tenant.run_env("site", base={})
    assert msi_token(tenant, env, "https://management.azure.com").status_code == 200
    tenant.close()
    assert msi_token(tenant, env, "https://management.azure.com").status_code == 401


def test_client_for_and_credential_for_sign_in_with_the_apps_secret(tenantd_tenant: Tenant) -> None:
    before = dict(os.environ)
    tenant = tenantd_tenant
    with tenant.client_for("Things web (dev)", resource="api://things-dev", base_url=tenant.url) as client:
        # The client reaches tenantd itself too (it trusts the CA), here its discovery document.
        assert client.get(f"/{tenantd_tenant.tenant_id}/v2.0/.well-known/openid-configuration").status_code == 200
        sent = client.build_request("GET", "/x")
        token = next(client.auth.sync_auth_flow(sent)).headers["Authorization"].removeprefix("Bearer ")
    assert verified(tenantd_tenant, token, "api://things-dev")["roles"] == ["Things.Read.All"]
    credential = tenantd_tenant.credential_for("Things web (dev)")
    token = credential.get_token("api://things-dev/.default").token
    assert claims(token)["appidacr"] == "1" and claims(token)["roles"] == ["Things.Read.All"]
    assert dict(os.environ) == before
    with pytest.raises(RequestFailed, match="AADSTS7000215"):
        tenantd_tenant.auth_for("Things web (dev)", resource="api://things", secret="wrong").token()


def test_apply_takes_a_path_yaml_text_or_a_dict_and_reports_bad_files(tenantd_fresh_tenant: Tenant,
                                                                       tmp_path: Path) -> None:
    tenant = tenantd_fresh_tenant
    assert tenant.apply("applications:\n  - displayName: From text\n")["changes"]
    assert tenant.apply({"applications": [{"displayName": "From a dict"}]})["changes"]
    path = tmp_path / "more.yaml"
    path.write_text("users:\n  - userPrincipalName: bob@contoso.test\n    displayName: Bob\n")
    assert tenant.apply(path)["changes"] and tenant.apply(str(path))["changes"] == []
    with pytest.raises(TenantFileError, match=r"tenant file \(text\):2"):
        tenant.apply("applications:\n  - displayNme: Typo\n")
    with pytest.raises(RequestFailed, match="Permission being assigned already exists"):
        tenant.grant("joonasmsitest", "Things API", "Things.Read.All")
    with pytest.raises(NameNotFound, match="has no app role 'Things.Write'"):
        tenant.grant("joonasmsitest", "Things API", "Things.Write")


def test_reset_returns_to_the_tenant_file(tenantd_fresh_tenant: Tenant) -> None:
    tenant = tenantd_fresh_tenant
    file_secret = tenant.secret_for("Things web (dev)")
    tenant.revoke("joonasmsitest", "Things API", "Things.Read.All")
    tenant.grant("Things web (dev)", "Things API", "Things.Read.All")
    tenant.apply({"applications": [{"displayName": "Added by a test"}]})
    extra = tenant.secret_for("Things API")           # its app declares no passwords: reset keeps it
    added = tenant.secret_for("Things API (dev)")     # likewise
    assert "roles" not in claims(tenant.token("joonasmsitest", "api://things"))

    changes = tenant.reset()["changes"]
    assert any("Added by a test" in c for c in changes)
    assert claims(tenant.token("joonasmsitest", "api://things"))["roles"] == ["Things.Read.All"]
    assert "roles" not in claims(tenant.token("Things web (dev)", "api://things"))
    assert tenant.secret_for("Things web (dev)") == file_secret
    assert tenant.secret_for("Things API") == extra and tenant.secret_for("Things API (dev)") == added
    with pytest.raises(NameNotFound):
        tenant.token("Added by a test", "api://things")
    assert tenant.reset()["changes"] == []


def test_a_secret_that_reset_removed_is_replaced(tenantd_fresh_tenant: Tenant) -> None:
    tenant = tenantd_fresh_tenant
    tenant.apply({"applications": [{"displayName": "Things web (dev)", "passwordCredentials": [
        {"displayName": "dev"}, {"displayName": "extra"}]}]})
    extra = tenant.secret_for("Things web (dev)")     # the one that apply generated
    assert tenant.auth_for("Things web (dev)", resource="api://things-dev", secret=extra).token()
    tenant.reset()                                    # the file declares "dev" only: "extra" is removed
    replacement = tenant.secret_for("Things web (dev)")
    assert replacement != extra
    assert claims(tenant.auth_for("Things web (dev)", resource="api://things-dev").token())["roles"] == [
        "Things.Read.All"]
    with pytest.raises(RequestFailed, match="AADSTS7000215"):
        tenant.auth_for("Things web (dev)", resource="api://things-dev", secret=extra).token()


def test_fresh_tenants_share_nothing(tenantd_server: TenantdServer, tenantd_tenant: Tenant,
                                     tenantd_fresh_tenant: Tenant) -> None:
    fresh = tenantd_fresh_tenant
    fresh.revoke("joonasmsitest", "Things API", "Things.Read.All")
    assert claims(tenantd_tenant.token("joonasmsitest", "api://things"))["roles"] == ["Things.Read.All"]
    token = claims(fresh.token("joonasmsitest", "api://things"))
    assert token["tid"] == fresh.tenant_id != tenantd_tenant.tenant_id and "roles" not in token
    empty = tenantd_server.new_tenant()
    try:
        assert [a["displayName"] for a in empty.graph("GET", "/applications")["value"]] == ["tenantd admin"]
    finally:
        empty.close()


def test_ambiguous_names_are_refused_with_the_candidates(tenantd_fresh_tenant: Tenant) -> None:
    tenant = tenantd_fresh_tenant
    tenant.apply({"applications": [{"displayName": "Twin", "appId": TWIN}]})
    other = tenant.graph("POST", "/applications", json={"displayName": "Twin"})
    tenant.graph("POST", "/servicePrincipals", json={"appId": other["appId"]})
    with pytest.raises(NameNotFound, match="'Twin' names 2 objects"):
        tenant.token("Twin", "api://things")
    assert claims(tenant.token(TWIN, "api://things"))["appid"] == TWIN
