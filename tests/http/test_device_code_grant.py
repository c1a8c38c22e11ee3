"""The device code flow through a real server, on SQLite and PostgreSQL: the v2 and v1 device authorization
endpoints, every polling answer, the person's approval (as the device login page records it), and codes asked
through ``common``."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tenantd.domain import builtins
from tenantd.tokens.device_authorization import USER_CODE_ALPHABET

from ..support import Server
from .people_support import (
    World,
    approve,
    arrange,
    claims,
    issued,
    refusal,
    stored_device_code,
    token,
)
from .test_graph_signins import of_app

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def world(tenantd: Server) -> Iterator[World]:
    yield arrange(tenantd)


def device_code(server: Server, tenant: str | None = None, version: int = 2, **form: str) -> httpx.Response:
    path = "oauth2/v2.0/devicecode" if version == 2 else "oauth2/devicecode"
    with server.http() as client:
        return client.post(f"/{tenant or server.tenant_id}/{path}", data=form)


def poll(server: Server, flow: dict[str, Any], client_id: str, tenant: str | None = None,
         **form: str) -> httpx.Response:
    return token(server, tenant=tenant, grant_type=DEVICE_GRANT, client_id=client_id,
                 device_code=flow["device_code"], **form)


def test_a_device_signs_in_once_the_person_approves(world: World) -> None:
    server, client_id = world.server, world.native["appId"]
    flow = issued(device_code(server, client_id=client_id,
                              scope=f"openid profile offline_access {world.scope('Things.Read')}"))
    assert flow.keys() == {"user_code", "device_code", "verification_uri", "expires_in", "interval", "message"}
    assert re.fullmatch(f"[{USER_CODE_ALPHABET}]{{9}}", flow["user_code"])
    assert flow["verification_uri"] == f"{server.url}/devicelogin"
    assert (flow["expires_in"], flow["interval"]) == (900, 5)
    assert flow["message"] == (f"To sign in, use a web browser to open the page {server.url}/devicelogin and enter "
                               f"the code {flow['user_code']} to authenticate.")
    assert refusal(poll(server, flow, client_id)) == (400, "authorization_pending", [70016])
    assert refusal(poll(server, flow, client_id)) == (400, "slow_down", [70016])   # sooner than the interval
    approve(server, flow["user_code"], world.alice)
    body = issued(poll(server, flow, client_id, client_info="1"))
    access = claims(body["access_token"])
    assert access["oid"] == world.alice["id"] and access["roles"] == ["Things.Reader"] and access["azpacr"] == "0"
    assert body["refresh_token"] and claims(body["id_token"])["aud"] == client_id and body["client_info"]
    assert refusal(poll(server, flow, client_id)) == (400, "invalid_grant", [70000])   # once
    logged = of_app(server, client_id, 1, " and status/errorCode eq 0")
    assert logged[0]["tenantdKind"] == "device_code" and logged[0]["isInteractive"] is True
    assert of_app(server, client_id, 0, " and status/errorCode eq 70016") == []   # polls are no sign-ins


def test_a_declined_code_ends_polling(world: World) -> None:
    flow = issued(device_code(world.server, client_id=world.native["appId"], scope=world.scope("Things.Read")))
    approve(world.server, flow["user_code"], world.alice, "declined")
    assert refusal(poll(world.server, flow, world.native["appId"])) == (400, "authorization_declined", [65004])


def test_expired_unknown_and_foreign_codes(world: World) -> None:
    server, client_id = world.server, world.native["appId"]
    now = int(time.time())
    expired = stored_device_code(server, client_app_id=client_id, created=now - 901, expires=now - 1)
    assert refusal(poll(server, {"device_code": expired}, client_id)) == (400, "expired_token", [70020])
    assert refusal(poll(server, {"device_code": "D" * 43}, client_id)) == (400, "bad_verification_code", [70000])
    flow = issued(device_code(server, client_id=client_id, scope=world.scope("Things.Read")))
    assert refusal(poll(server, flow, builtins.AZURE_CLI_APP_ID))[1] == "bad_verification_code"
    assert refusal(token(server, grant_type=DEVICE_GRANT, client_id=client_id)) == (400, "invalid_request", [900144])


def test_the_v1_endpoints_speak_v1(world: World) -> None:
    server, client_id = world.server, world.native["appId"]
    flow = issued(device_code(server, version=1, client_id=client_id, resource=world.api_uri))
    assert flow["verification_url"] == f"{server.url}/devicelogin" and "verification_uri" not in flow
    assert (flow["expires_in"], flow["interval"]) == ("900", "5")
    pending = token(server, version=1, grant_type="device_code", client_id=client_id, code=flow["device_code"])
    assert refusal(pending) == (400, "authorization_pending", [70016])
    approve(server, flow["user_code"], world.alice)
    body = issued(token(server, version=1, grant_type="device_code", client_id=client_id, code=flow["device_code"]))
    assert body["resource"] == world.api_uri and body["expires_in"].isdigit() and body["refresh_token"]
    assert claims(body["access_token"])["ver"] == "2.0" and claims(body["id_token"])["ver"] == "1.0"


def test_the_azure_cli_signs_in_for_arm_with_its_first_party_consent(world: World) -> None:
    server = world.server
    flow = issued(device_code(server, client_id=builtins.AZURE_CLI_APP_ID,
                              scope="https://management.core.windows.net//.default offline_access openid profile"))
    approve(server, flow["user_code"], world.bob)
    body = issued(poll(server, flow, builtins.AZURE_CLI_APP_ID))
    access = claims(body["access_token"])
    assert access["scp"] == "user_impersonation" and access["aud"] == "https://management.core.windows.net/"
    assert body["scope"].split() == ["https://management.core.windows.net//user_impersonation",
                                     "https://management.core.windows.net//.default", "openid", "profile",
                                     "offline_access"]


@pytest.mark.parametrize("authority", ["common", "organizations"])
def test_a_code_asked_through_common_takes_the_tenant_of_who_answers(world: World, authority: str) -> None:
    server, client_id = world.server, builtins.AZURE_CLI_APP_ID
    flow = issued(device_code(server, tenant=authority, client_id=client_id,
                              scope="https://graph.microsoft.com/.default offline_access"))
    assert refusal(poll(server, flow, client_id, tenant=authority)) == (400, "authorization_pending", [70016])
    approve(server, flow["user_code"], world.alice)
    access = claims(issued(poll(server, flow, client_id, tenant=authority))["access_token"])
    assert access["tid"] == world.tenant_id and access["iss"] == f"{server.url}/{world.tenant_id}/"
    held = access["scp"].split()   # what the Azure CLI holds on Graph in every tenant, its directory permissions too
    assert held[0] == "User.Read" and {"Directory.AccessAsUser.All", "Application.ReadWrite.All"} <= set(held)


def test_bad_requests_get_oauth_errors(world: World) -> None:
    server = world.server
    assert refusal(device_code(server, client_id=world.native["appId"])) == (400, "invalid_request", [900144])
    assert refusal(device_code(server, client_id=world.native["appId"], scope="a/.default b/.default"))[2] == [28000]
    assert refusal(device_code(server, client_id="not-a-guid", scope="openid"))[2] == [700016]
    assert refusal(device_code(server, tenant="common", client_id="6731de76-14a6-49ae-97bc-6eba6914391e",
                               scope="openid"))[2] == [700016]
