"""The demo tenant: applied at start, idempotent across restarts, its secret written 0600 and usable."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import jwt
import yaml

from tenantd.directory.passwords import verify
from tenantd.domain import builtins
from tenantd.runtime import Runtime
from tenantd.tenantfile.demo import SECRETS_FILE, demo_text, load_demo
from tenantd.tokens.request import TokenRequest

from ..support import start_server
from .conftest import snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "things" / "tenant.yaml"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
MEMBER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ORDERS_API = "6f409032-2609-4a53-b729-0c20fa50b8f5"   # pinned in the file
ORDERS_WEB = "5b299d17-79a3-4427-a389-7fcb06de8b1c"


def test_the_demo_is_the_storys_tenant() -> None:
    """The README's story applies examples/things/tenant.yaml right after `make up`: "no changes"."""
    assert yaml.safe_load(demo_text()) == yaml.safe_load(EXAMPLE.read_text())


def test_the_demo_loads_once_and_again_changes_nothing(rt: Runtime, tenant_id: str, tmp_path: Path) -> None:
    first = load_demo(rt, tenant_id, tmp_path)
    assert len(first.changes) == 33
    assert [s.application for s in first.secrets] == ["Things web (dev)", "Orders API", "Orders web"]
    assert first.changes[0] == "add domain 'contoso.test'"
    path = tmp_path / SECRETS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())["applications"]["Things web (dev)"]
    before = snapshot(rt, tenant_id)

    again = load_demo(rt, tenant_id, tmp_path)
    assert again.changes == [] and again.secrets == []
    assert snapshot(rt, tenant_id) == before
    assert json.loads(path.read_text())["applications"]["Things web (dev)"] == saved

    token = rt.tokens.token(TokenRequest(tenant=tenant_id, endpoint_version=2, form={
        "grant_type": "client_credentials", "client_id": saved["client_id"], "client_secret": saved["client_secret"],
        "scope": "api://things-dev/.default"}))
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["roles"] == ["Things.Read.All"]


def test_the_demo_grants_the_api_to_the_identity_and_a_group_and_its_dev_copy_to_the_dev_principals(
        rt: Runtime, tenant_id: str, tmp_path: Path) -> None:
    load_demo(rt, tenant_id, tmp_path)
    snap = snapshot(rt, tenant_id)

    def granted(api_name: str) -> set[str]:
        api = next(sp for sp in snap.service_principals if sp.display_name == api_name)
        return {a.principal_display_name for a in snap.assignments if a.resource_id == api.id}

    assert granted("Things API") == {"joonasmsitest", "Things API readers"}
    assert granted("Things API (dev)") == {"Things web (dev)", "Alice", "Things readers"}
    [msi] = snap.identities
    assert msi.managed_identity_resource_id == ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/"
                                                "rg/providers/Microsoft.Web/sites/joonasmsitest")
    users = {u.user_principal_name: u.id for u in snap.users}
    groups = {g.display_name: g.id for g in snap.groups}
    assert snap.members[groups["Things readers"]] == [(users["alice@contoso.test"], "user")]
    assert snap.members[groups["Things API readers"]] == [(users["megan@contoso.test"], "user")]
    assert [d.name for d in snap.domains if not d.is_initial] == ["contoso.test"]


def test_the_demos_middle_tier_reads_the_things_on_megans_behalf(rt: Runtime, tenant_id: str,
                                                                 tmp_path: Path) -> None:
    """Orders web holds Orders.Read on the Orders API, the Orders API holds Things.Read on the Things API (the
    file's consents), so megan's token for the Orders API becomes one for the Things API with her group's role."""
    load_demo(rt, tenant_id, tmp_path)
    saved = json.loads((tmp_path / SECRETS_FILE).read_text())
    web, api, megan = saved["applications"]["Orders web"], saved["applications"]["Orders API"], \
        saved["users"]["megan@contoso.test"]
    assert (web["client_id"], api["client_id"]) == (ORDERS_WEB, ORDERS_API)

    def issued(client: dict[str, str], **form: str) -> str:
        token = rt.tokens.token(TokenRequest(tenant=tenant_id, endpoint_version=2, form={
            "client_id": client["client_id"], "client_secret": client["client_secret"], **form}))
        return str(token["access_token"])

    hers = issued(web, grant_type="password", username=megan["username"], password=megan["password"],
                  scope="api://orders/Orders.Read")
    claims = jwt.decode(hers, options={"verify_signature": False})
    assert (claims["aud"], claims["azp"], claims["scp"], claims["ver"]) == (ORDERS_API, ORDERS_WEB, "Orders.Read",
                                                                            "2.0")
    downstream = jwt.decode(issued(api, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   requested_token_use="on_behalf_of", assertion=hers,
                                   scope="api://things/Things.Read"), options={"verify_signature": False})
    assert (downstream["aud"], downstream["appid"], downstream["oid"]) == ("api://things", ORDERS_API, claims["oid"])
    assert downstream["scp"] == "Things.Read" and downstream["roles"] == ["Things.Read.All"]


def test_each_demo_user_gets_a_generated_password_once(rt: Runtime, tenant_id: str, tmp_path: Path) -> None:
    load_demo(rt, tenant_id, tmp_path)
    users = json.loads((tmp_path / SECRETS_FILE).read_text())["users"]
    assert list(users) == ["alice@contoso.test", "megan@contoso.test", "admin@contoso.test"]
    alice = users["alice@contoso.test"]
    assert alice["tenant_id"] == tenant_id and alice["username"] == "alice@contoso.test"
    stored = rt.directory.password_of(tenant_id, "alice@contoso.test")[1]
    assert stored is not None and verify(stored.hash, alice["password"])

    load_demo(rt, tenant_id, tmp_path)
    assert rt.directory.password_of(tenant_id, "alice@contoso.test")[1] == stored
    assert json.loads((tmp_path / SECRETS_FILE).read_text())["users"] == users


def test_the_demos_administrator_holds_global_administrator(rt: Runtime, tenant_id: str, tmp_path: Path) -> None:
    load_demo(rt, tenant_id, tmp_path)
    admin = json.loads((tmp_path / SECRETS_FILE).read_text())["users"]["admin@contoso.test"]
    [held] = snapshot(rt, tenant_id).role_assignments
    assert (held.principal_display_name, held.role_definition_id) == ("Tenant admin", GLOBAL_ADMIN)
    token = rt.tokens.token(TokenRequest(tenant=tenant_id, endpoint_version=2, form={
        "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": admin["username"],
        "password": admin["password"], "scope": "https://graph.microsoft.com/.default"}))
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["upn"] == "admin@contoso.test" and claims["wids"] == [GLOBAL_ADMIN, MEMBER_ROLE]


def test_up_demo_serves_the_demo_and_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "tenantd"
    passwords = []
    for _ in range(2):
        server = start_server(data, "--demo")
        try:
            secrets = json.loads((data / SECRETS_FILE).read_text())
            assert stat.S_IMODE((data / SECRETS_FILE).stat().st_mode) == 0o600
            alice = secrets["users"]["alice@contoso.test"]
            passwords.append(alice["password"])
            signed_in = server.http().post(f"/{alice['tenant_id']}/oauth2/v2.0/token", data={
                "grant_type": "password", "client_id": builtins.AZURE_CLI_APP_ID, "username": alice["username"],
                "password": alice["password"], "scope": "api://things-dev/.default"})
            assert signed_in.status_code == 200, signed_in.text
            alice_claims = jwt.decode(signed_in.json()["access_token"], options={"verify_signature": False})
            assert alice_claims["upn"] == "alice@contoso.test" and alice_claims["roles"] == ["Things.Read.All"]
            saved = secrets["applications"]["Things web (dev)"]
            token = server.token(saved["client_id"], saved["client_secret"], "api://things-dev/.default")
            assert token.status_code == 200, token.text
            claims = jwt.decode(token.json()["access_token"], options={"verify_signature": False})
            assert claims["roles"] == ["Things.Read.All"]
            exported = server.admin("GET", "/export").json()
            assert [a["displayName"] for a in exported["applications"]] == [
                "Orders API", "Orders web", "Things API", "Things API (dev)", "Things web (dev)"]
            assert len(exported["assignments"]) == 5 and exported["tenant"]["domains"] == ["contoso.test"]
            assert [(c["client"], c["resource"], c["scopes"]) for c in exported["consents"]] == [
                ("Orders web", "Orders API", ["Orders.Read"]), ("Orders API", "Things API", ["Things.Read"])]
            assert "password" not in json.dumps(exported["users"])
        finally:
            assert server.stop() == 0
    assert passwords[0] == passwords[1]


def test_the_demo_subscription_is_visible_to_its_people_dev_app_and_identity(rt: Runtime, tenant_id: str,
                                                                              tmp_path: Path) -> None:
    """az login signs in to the demo tenant without --allow-no-subscriptions, as a user, the dev app or the
    managed identity; nothing else (the Orders apps) sees it."""
    load_demo(rt, tenant_id, tmp_path)
    snap = snapshot(rt, tenant_id)
    sps = {sp.display_name: sp.id for sp in snap.service_principals}
    seers = [u.id for u in snap.users] + [sps["Things web (dev)"], sps["joonasmsitest"]]
    for principal_id in seers:
        [sub] = rt.directory.visible_subscriptions(tenant_id, principal_id)
        assert (sub.id, sub.display_name) == ("00000000-0000-0000-0000-000000000001", "Contoso dev")
    assert rt.directory.visible_subscriptions(tenant_id, sps["Orders web"]) == []
