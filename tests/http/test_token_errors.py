"""Bad token requests get Entra's OAuth error with the right AADSTS code, and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tenantd.domain import rules

from ..support import Server

ROLE = "32028ccd-3212-4f39-3212-beabd6787d81"


@dataclass
class Apps:
    client_id: str
    secret: str
    expired_client_id: str
    expired_secret: str
    client_sp: str
    api_sp: str


@pytest.fixture(scope="module")
def apps(server: Server) -> Iterator[Apps]:
    rt = server.runtime()
    tid, d = server.tenant_id, rt.directory
    api = d.create_application(tid, "Guarded API", identifier_uris=["api://guarded"], with_service_principal=True,
                               app_roles=rules.app_roles([{"id": ROLE, "value": "Read", "displayName": "Read",
                                                           "allowedMemberTypes": ["Application"]}]))
    web = d.create_application(tid, "client", with_service_principal=True)
    _, secret = d.add_password(tid, web.id)
    old = d.create_application(tid, "expired", with_service_principal=True)
    past = datetime.now(UTC) - timedelta(days=30)
    _, expired = d.add_password(tid, old.id, start=past, end=past + timedelta(days=1))
    yield Apps(web.app_id, secret, old.app_id, expired, d.service_principal_by_app_id(tid, web.app_id).id,
               d.service_principal_by_app_id(tid, api.app_id).id)
    rt.store.dispose()


def _form(apps: Apps, **overrides: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": apps.client_id, "client_secret": apps.secret,
            "scope": "api://guarded/.default"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v != "<omit>"}


def _error(response_json: dict[str, object]) -> tuple[object, object]:
    codes = response_json["error_codes"]
    assert isinstance(codes, list)
    return response_json["error"], codes[0]


@pytest.mark.parametrize(("overrides", "status", "error", "code"), [
    ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
    ({"client_secret": "<omit>"}, 401, "invalid_client", 7000218),
    ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
    ({"client_id": "not-a-guid"}, 400, "unauthorized_client", 700016),
    ({"scope": "api://guarded"}, 400, "invalid_scope", 1002012),
    ({"scope": "api://nowhere/.default"}, 400, "invalid_resource", 500011),
    ({"grant_type": "implicit"}, 400, "unsupported_grant_type", 70003),
    ({"grant_type": "<omit>"}, 400, "invalid_request", 900144),
])
def test_oauth_errors_carry_entras_codes(server: Server, apps: Apps, overrides: dict[str, str], status: int,
                                         error: str, code: int) -> None:
    with server.http() as client:
        response = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", data=_form(apps, **overrides))
    assert response.status_code == status, response.text
    body = response.json()
    assert _error(body) == (error, code)
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert "\r\nTrace ID: " in body["error_description"] and body["trace_id"] and body["correlation_id"]
    assert apps.secret not in response.text


def test_unknown_tenant(server: Server, apps: Apps) -> None:
    with server.http() as client:
        response = client.post("/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", data=_form(apps))
    assert response.status_code == 400 and _error(response.json()) == ("invalid_tenant", 90002)


def test_expired_secret(server: Server, apps: Apps) -> None:
    response = server.token(apps.expired_client_id, apps.expired_secret, "api://guarded/.default")
    assert response.status_code == 401 and _error(response.json()) == ("invalid_client", 7000222)


def test_disabled_client_and_assignment_required(server: Server, apps: Apps) -> None:
    rt = server.runtime()
    try:
        rt.directory.update_service_principal(server.tenant_id, apps.api_sp, {"appRoleAssignmentRequired": True})
        response = server.token(apps.client_id, apps.secret, "api://guarded/.default")
        assert response.status_code == 400 and _error(response.json()) == ("invalid_grant", 501051)
        rt.directory.assign(server.tenant_id, apps.client_sp, apps.api_sp, ROLE)
        assert server.token(apps.client_id, apps.secret, "api://guarded/.default").status_code == 200

        rt.directory.update_service_principal(server.tenant_id, apps.client_sp, {"accountEnabled": False})
        response = server.token(apps.client_id, apps.secret, "api://guarded/.default")
        assert response.status_code == 400 and _error(response.json()) == ("unauthorized_client", 7000112)
    finally:
        rt.directory.update_service_principal(server.tenant_id, apps.client_sp, {"accountEnabled": True})
        rt.directory.update_service_principal(server.tenant_id, apps.api_sp, {"appRoleAssignmentRequired": False})
        rt.store.dispose()


@pytest.mark.parametrize("body", [
    b"grant_type=client_credentials&grant_type=client_credentials",
    b"\xff\xfe\x00garbage",
    b"%%%&&&===",
    b"a=" + b"&a=".join(b"%d" % i for i in range(100)),
])
def test_garbage_and_repeated_form_bodies_are_invalid_requests(server: Server, body: bytes) -> None:
    with server.http() as client:
        response = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", content=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "unsupported_grant_type"}


def test_oversized_and_non_form_bodies(server: Server, apps: Apps) -> None:
    with server.http() as client:
        big = client.post(f"/{server.tenant_id}/oauth2/v2.0/token",
                          content=b"scope=" + b"a" * (1024 * 1024),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        as_json = client.post(f"/{server.tenant_id}/oauth2/v2.0/token", json=_form(apps))
    assert big.status_code == 413 and big.json()["error"] == "invalid_request"
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


@pytest.mark.parametrize("endpoint", ["oauth2/v2.0/token", "oauth2/token"])
def test_http_basic_and_a_client_secret_together_are_refused(server: Server, apps: Apps, endpoint: str) -> None:
    """One authentication method per request (RFC 6749 section 2.3), even when both credentials are right."""
    form = _form(apps, resource="api://guarded") if endpoint == "oauth2/token" else _form(apps)
    with server.http() as client:
        both = client.post(f"/{server.tenant_id}/{endpoint}", data=form, auth=(apps.client_id, apps.secret))
        basic_alone = client.post(f"/{server.tenant_id}/{endpoint}", data={**form, "client_secret": ""},
                                  auth=(apps.client_id, apps.secret))
    assert both.status_code == 400 and _error(both.json()) == ("invalid_request", 900144)
    assert "HTTP Basic and client_secret" in both.json()["error_description"]
    assert apps.secret not in both.text
    assert basic_alone.status_code == 200, basic_alone.text


def test_an_unknown_resource_is_named_within_bounds(server: Server, apps: Apps) -> None:
    resource = "api://" + "x" * 20_000
    with server.http() as client:
        response = client.post(f"/{server.tenant_id}/oauth2/token", data=_form(apps, resource=resource, scope="<omit>"))
    assert response.status_code == 400 and _error(response.json()) == ("invalid_resource", 500011)
    assert "api://xxxx" in response.text and len(response.text) < 2_000
