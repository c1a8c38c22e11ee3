"""Helpers for the Graph API tests: arranging objects through Graph and checking Graph's answers."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

from tenantd.directory import Directory
from tenantd.domain import builtins

from ..support import Server

GRAPH_SP = f"/servicePrincipals(appId='{builtins.GRAPH_APP_ID}')"


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:8]}"


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json() if response.content else {}


def error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Graph's error envelope with ``status`` (and ``code``); returns the ``error`` object."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert isinstance(err["message"], str) and err["message"]
    assert set(err["innerError"]) == {"date", "request-id", "client-request-id"}
    if code is not None:
        assert err["code"] == code, err
    return dict(err)


def send(server: Server, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    """A Graph call with the admin token and headers of the test's choosing."""
    with server.http() as client:
        return client.request(method, "/v1.0" + path, headers={
            "Authorization": f"Bearer {server.admin_token()}", **headers}, **kwargs)


def role(value: str, member_types: tuple[str, ...] = ("Application",), enabled: bool = True) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "value": value, "displayName": value, "description": value,
            "allowedMemberTypes": list(member_types), "isEnabled": enabled}


def new_app(server: Server, name: str = "app", **fields: Any) -> dict[str, Any]:
    return ok(server.graph("POST", "/applications", json={"displayName": unique(name), **fields}), 201)


def new_sp(server: Server, app: dict[str, Any], **flags: Any) -> dict[str, Any]:
    return ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"], **flags}), 201)


def new_api(server: Server, *roles: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """An API application with ``roles`` (default: one Application role) and its service principal."""
    name = unique("api")
    app = ok(server.graph("POST", "/applications", json={
        "displayName": name, "identifierUris": [f"api://{name.replace(' ', '-')}"],
        "appRoles": list(roles) or [role("Things.Read.All")]}), 201)
    return app, new_sp(server, app)


def new_client(server: Server) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A client application with a secret and a service principal: (app, sp, secret)."""
    app = new_app(server, "client")
    sp = new_sp(server, app)
    secret = ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}))["secretText"]
    return app, sp, secret


def graph_token(server: Server, app: dict[str, Any], secret: str) -> str:
    response = server.token(app["appId"], secret, "https://graph.microsoft.com/.default")
    return str(ok(response)["access_token"])


def grant_graph_role(server: Server, sp: dict[str, Any], permission: str) -> None:
    graph = ok(server.graph("GET", GRAPH_SP))
    ok(server.graph("POST", f"/servicePrincipals/{graph['id']}/appRoleAssignedTo", json={
        "principalId": sp["id"], "resourceId": graph["id"], "appRoleId": builtins.GRAPH_ROLES[permission]}), 201)


@contextlib.contextmanager
def store(server: Server) -> Iterator[tuple[Directory, str]]:
    """The server's directory read straight from its store, and the tenant id."""
    rt = server.runtime()
    try:
        yield rt.directory, server.tenant_id
    finally:
        rt.store.dispose()
