"""The real Azure CLI (azure_cli.VERSION) signs in to tenantd every way it can: a service principal with a
secret, a certificate or a federated token; a managed identity (system- and user-assigned) under
``tenantd run``; a person with a password, a device code or the browser. Then ``az account show``,
``az account get-access-token --resource/--scope/--tenant`` (an app's and a person's roles, a custom API that
did not pre-authorize the Azure CLI refusing a person's token), ``az logout`` and ``az account clear``, and
azure-identity's AzureCliCredential reading the login. Each test has its own az configuration directory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from tenantd.domain import builtins

from ..browser.entra_page import PASSWORD_VARIABLE, USER_VARIABLE, approve_device_code, browser_command
from ..http.graph_support import ok
from ..support import TENANTD
from ..tokens.support import certificate, der_b64, new_key, pem
from .az_world import SUBSCRIPTION, THINGS, THINGS_DEV, AzWorld, az_world, claims
from .azure_cli import Az
from .loopback_proxy import LoopbackProxy

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers"
ORDERS = "api://orders"
WORKER = f"{SUB}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-worker"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzWorld]:
    with az_world(tmp_path_factory) as arranged:
        yield arranged


@pytest.fixture
def az(world: AzWorld, tmp_path: Path) -> Az:
    return world.az(tmp_path / "az")


def token(az: Az, *args: str) -> dict[str, object]:
    return claims(az.ok("account", "get-access-token", *args)["accessToken"])


def assert_signed_out(az: Az) -> None:
    assert "Please run 'az login' to setup account." in az.fails("account", "show")


def test_service_principal_with_a_secret(world: AzWorld, az: Az) -> None:
    client_id, secret = world.app_secret("Things web (dev)")
    (account,) = az.ok("login", "--service-principal", "-u", client_id, f"--password={secret}",
                       "--tenant", world.tenant_id)
    assert account["id"] == SUBSCRIPTION and account["tenantId"] == world.tenant_id
    assert account["user"] == {"name": client_id, "type": "servicePrincipal"}
    shown = az.ok("account", "show")
    assert shown["id"] == SUBSCRIPTION and shown["environmentName"] == "tenantd"
    by_resource = token(az, "--resource", THINGS_DEV)
    assert by_resource["aud"] == THINGS_DEV and by_resource["appid"] == client_id
    assert by_resource["roles"] == ["Things.Read.All"]
    assert token(az, "--scope", f"{THINGS_DEV}/.default")["roles"] == ["Things.Read.All"]
    full = az.ok("account", "get-access-token", "--resource", THINGS_DEV, "--tenant", world.tenant_id)
    assert full["tenant"] == world.tenant_id and full["tokenType"] == "Bearer" and full["expires_on"] > time.time()
    assert "roles" not in token(az, "--resource", THINGS)   # no role assigned on the other API
    az.ok("logout")
    assert_signed_out(az)


def test_a_wrong_secret_fails_with_aadsts7000215(world: AzWorld, az: Az) -> None:
    client_id, _ = world.app_secret("Things web (dev)")
    error = az.fails("login", "--service-principal", "-u", client_id, "-p", "not-the-secret",
                     "--tenant", world.tenant_id)
    assert "AADSTS7000215" in error
    assert_signed_out(az)


def test_service_principal_with_a_certificate(world: AzWorld, az: Az, tmp_path: Path) -> None:
    key = new_key()
    cert = certificate(key, "az-cert")
    server = world.server
    app = ok(server.graph("POST", "/applications", json={"displayName": "az cert app", "keyCredentials": [
        {"type": "AsymmetricX509Cert", "usage": "Verify", "key": der_b64(cert)}]}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    pem_file = tmp_path / "app.pem"
    pem_file.write_bytes(pem(key, cert))
    (account,) = az.ok("login", "--service-principal", "-u", app["appId"], "--certificate", str(pem_file),
                       "--tenant", world.tenant_id)
    assert account["user"] == {"name": app["appId"], "type": "servicePrincipal"}
    assert token(az, "--resource", THINGS)["appidacr"] == "2"


def test_service_principal_with_a_federated_token(world: AzWorld, az: Az, tmp_path: Path) -> None:
    """The federated token is one tenantd issued to another principal for api://AzureADTokenExchange, trusted
    by the app's federated credential (issuer and subject), as a CI system's token would be."""
    server = world.server
    app = ok(server.graph("POST", "/applications", json={"displayName": "az federated app"}), 201)
    ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}), 201)
    issuer_sp = ok(server.graph("GET", f"/servicePrincipals(appId='{server.info['admin_client_id']}')"))
    assertion = ok(server.admin("POST", "/token", json={
        "principalId": issuer_sp["id"], "resource": builtins.TOKEN_EXCHANGE_RESOURCE}))["access_token"]
    trusted = claims(assertion)
    ok(server.graph("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json={
        "name": "tenantd-issued", "issuer": trusted["iss"], "subject": trusted["sub"],
        "audiences": [builtins.TOKEN_EXCHANGE_RESOURCE]}), 201)
    (account,) = az.ok("login", "--service-principal", "-u", app["appId"], "--federated-token", assertion,
                       "--tenant", world.tenant_id)
    assert account["user"]["name"] == app["appId"]
    assert token(az, "--resource", THINGS)["appid"] == app["appId"]
    other = ok(server.admin("POST", "/token", json={"principalId": issuer_sp["id"], "resource": THINGS}))
    fresh = world.az(tmp_path / "fresh")   # msal would answer from the first login's cache
    refused = fresh.fails("login", "--service-principal", "-u", app["appId"], "--federated-token",
                          other["access_token"], "--tenant", world.tenant_id)
    assert "AADSTS700211" in refused or "AADSTS700212" in refused or "AADSTS70021" in refused, refused


def _as_identity(world: AzWorld, az: Az, identity: str, *login: str) -> dict[str, object]:
    """``az login --identity LOGIN`` then a token for the Things API, in one process ``tenantd run`` starts
    (the identity's session ends with it); the token's claims."""
    script = f'"$0" login --identity "$@" >/dev/null && "$0" account get-access-token --resource {THINGS}'
    command = [*TENANTD, "--data", str(world.server.data), "run", "--as", identity, "--",
               "sh", "-c", script, str(az.binary), *login]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=az.env(),
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, result.stderr
    return claims(json.loads(result.stdout)["accessToken"])


def test_managed_identities_under_tenantd_run(world: AzWorld, az: Az) -> None:
    """``az login --identity`` in a process ``tenantd run`` started: the system-assigned identity of the demo's
    site, then a user-assigned one attached to it, chosen by client id; each token has its own roles."""
    rt = world.server.runtime()
    d = rt.directory
    worker = d.create_managed_identity(world.tenant_id, "orders-worker", "UserAssigned", WORKER)
    d.attach(world.tenant_id, worker.id, f"{SUB}/Microsoft.Web/sites/joonasmsitest")
    rt.store.dispose()
    system = _as_identity(world, az, "joonasmsitest")
    assert system["roles"] == ["Things.Read.All"] and str(system["xms_mirid"]).endswith("joonasmsitest")
    assert az.ok("account", "show")["user"] == {"assignedIdentityInfo": "MSI", "name": "systemAssignedIdentity",
                                                "type": "servicePrincipal"}
    user_claims = _as_identity(world, az, "orders-worker", "--client-id", worker.app_id)
    assert user_claims["appid"] == worker.app_id and "roles" not in user_claims


def test_a_person_with_a_password(world: AzWorld, az: Az) -> None:
    """``-u/-p``: msal's user realm probe goes to port 443 (the proxy carries it to tenantd). Megan reads the
    Things API through her group's assignment; the API pre-authorizes the Azure CLI, the dev API does not."""
    (account,) = az.ok("login", "-u", "megan@contoso.test", f"--password={world.password('megan@contoso.test')}")
    assert account["user"] == {"name": "megan@contoso.test", "type": "user"} and account["id"] == SUBSCRIPTION
    things = token(az, "--resource", THINGS)
    assert things["upn"] == "megan@contoso.test" and things["appid"] == builtins.AZURE_CLI_APP_ID
    assert things["scp"] == "Things.Read" and things["roles"] == ["Things.Read.All"]
    assert token(az, "--scope", f"{THINGS}/Things.Read", "--tenant", world.tenant_id)["scp"] == "Things.Read"
    refused = az.fails("account", "get-access-token", "--resource", ORDERS)   # no pre-authorization, no grant
    assert ("AADSTS65001: The user or administrator has not consented to use the application with ID "
            f"'{builtins.AZURE_CLI_APP_ID}' named 'Microsoft Azure CLI'. Send an interactive authorization "
            "request for this user and resource.") in refused
    me = az.ok("ad", "signed-in-user", "show")
    assert me["userPrincipalName"] == "megan@contoso.test"
    az.ok("account", "clear")
    assert_signed_out(az)


def test_a_wrong_password_fails_with_aadsts50126(world: AzWorld, az: Az) -> None:
    assert "AADSTS50126" in az.fails("login", "-u", "megan@contoso.test", "-p", "Not-Her-Password-1")


def test_a_person_with_a_device_code(world: AzWorld, az: Az, browser_context: BrowserContext) -> None:
    """``--use-device-code``: az prints the page and the code; Alice enters it on the device login page."""
    process = subprocess.Popen([str(az.binary), "login", "--use-device-code", "--tenant", world.tenant_id],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=az.env())
    try:
        assert process.stderr is not None
        prompt, found = "", None
        while found is None and len(prompt) < 4096:   # the prompt, after any warning az prints first
            line = process.stderr.readline()
            assert line, f"az exited without a device code: {prompt}"
            prompt += line
            found = re.search(r"open the page (\S+) and enter the code (\S+) ", line)
        assert found, prompt
        assert found.group(1) == f"{world.server.url}/devicelogin"
        approve_device_code(browser_context.new_page(), found.group(1), found.group(2), "alice@contoso.test",
                            world.password("alice@contoso.test"), app_name="Azure CLI")
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert json.loads(out)[0]["user"] == {"name": "alice@contoso.test", "type": "user"}
    assert token(az, "--resource", THINGS)["upn"] == "alice@contoso.test"


def test_a_person_in_the_browser(world: AzWorld, az: Az, tmp_path: Path) -> None:
    """``az login``: az listens on a loopback port and opens the sign-in page with Python's webbrowser, which
    runs $BROWSER: headless Chromium, where the administrator signs in through ``organizations``. Chromium's
    own background requests go to a proxy of their own, refused there and not counted against az."""
    browser_proxy = LoopbackProxy(world.proxy.https_port)
    browser = tmp_path / "browser"
    complete = browser_command().removesuffix(" %s &")
    browser.write_text(f'#!/bin/sh\nHTTPS_PROXY={browser_proxy.url} exec {complete} "$1"\n')
    browser.chmod(0o700)
    env = {"BROWSER": f"{browser} %s &", USER_VARIABLE: "admin@contoso.test",
           PASSWORD_VARIABLE: world.password("admin@contoso.test")}
    try:
        (account,) = az.ok("login", env=env, timeout=90)
    finally:
        browser_proxy.close()
    assert account["user"] == {"name": "admin@contoso.test", "type": "user"}
    assert account["tenantId"] == world.tenant_id
    graph = token(az, "--resource", world.server.url + "/")
    assert "62e90394-69f5-4237-9190-012177145e10" in graph["wids"]   # Global Administrator
    az.ok("logout")
    assert_signed_out(az)


def test_azure_identity_in_a_process_tenantd_run_az_starts(world: AzWorld) -> None:
    """``tenantd run --az``: an unchanged app's AzureCliCredential and DefaultAzureCredential (whose managed
    identity probe ``run`` points at a loopback address that has none) read the login of ``tenantd az``'s
    directory by running ``az account get-access-token``."""
    az = world.az()   # the data directory's own configuration, the one ``run --az`` hands its child
    client_id, secret = world.app_secret("Things web (dev)")
    az.ok("login", "--service-principal", "-u", client_id, f"--password={secret}", "--tenant", world.tenant_id)
    app = ("import sys\n"
           "from azure.identity import AzureCliCredential, DefaultAzureCredential\n"
           f"for credential in (AzureCliCredential(process_timeout=60), DefaultAzureCredential()):\n"
           f"    print(credential.get_token('{THINGS_DEV}/.default').token)\n")
    env = {k: v for k, v in az.env().items() if k not in ("AZURE_CONFIG_DIR", "REQUESTS_CA_BUNDLE")}
    env["PATH"] = f"{az.binary.parent}:/usr/bin:/bin"
    result = subprocess.run([*TENANTD, "--data", str(world.server.data), "run", "--az", "--", sys.executable, "-c",
                             app], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert result.returncode == 0, result.stderr
    tokens = result.stdout.split()
    assert len(tokens) == 2
    assert all(claims(t)["appid"] == client_id and claims(t)["roles"] == ["Things.Read.All"] for t in tokens)
    az.ok("logout")
