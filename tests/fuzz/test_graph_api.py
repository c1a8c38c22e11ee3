"""Schemathesis against a live tenantd, on SQLite and on PostgreSQL: every operation of the Graph API's
OpenAPI document, with generated paths, queries and bodies (valid and invalid, some holding NUL, control
characters or unpaired surrogates), must answer without a 5xx, with a status, content type, headers and body
the document declares, and must refuse a missing or bogus token.

Generated ids rarely name an object, so half of the valid path parameters are swapped for the ids of a
small world of objects (an API application with roles, its service principal, a user in a group,
assignments, delegated permission grants, a directory role held by the user, who owns the application, its
service principal and the group, a federated credential, a secret, a managed identity, a domain; made again after
each DELETE operation): the fuzzer then reaches the handlers' bodies, not only their 404s. The ``/me`` operations
are called with a signed-in Global Administrator's token (the others with the admin app's).
``TENANTD_FUZZ_SCALE`` multiplies the examples (`make fuzz`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tenantd.domain import builtins
from tenantd.http import openapi

from ..http.conftest import tenantd
from ..http.delegated_support import GLOBAL_ADMIN, person, user_token
from ..support import Server
from .hostile import HOSTILE
from .support import fuzz_settings

__all__ = ["tenantd"]

CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance, negative_data_rejection, ignored_auth,
    unsupported_method,
]

# Failures are reported in full: the values schemathesis would hide (keys, credentials) are the fuzzer's own.
# Security parameters are not generated: the auth provider sets the token, and ignored_auth sends each operation
# without one and with a bogus one.
CONFIG = schemathesis.Config.from_dict({
    "output": {"sanitization": {"enabled": False}},
    "generation": {"with-security-parameters": False},
    "checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 405, 409, 413, 431]}},
})
schema = schemathesis.openapi.from_dict(openapi.document("https://localhost"), config=CONFIG)


@dataclass
class World:
    """The objects an operation's path parameters may name, and the token to call with."""

    token: str = ""
    user_token: str = ""                    # a signed-in Global Administrator's, for /me
    ids: dict[str, list[str]] | None = None
    server: Server | None = None
    spoiled: bool = False                   # the last operation may have deleted some of the objects

    def for_path(self, path: str) -> dict[str, list[str]]:
        """Known values for each path parameter of ``path`` (none while tests are collected)."""
        ids = self.ids or {}
        owner = path.split("/")[1].split("(")[0]
        if owner == "auditLogs":
            owner = "/".join(path.split("/")[1:3])
        elif owner == "roleManagement":
            owner = "/".join(path.split("/")[1:4])
        known: dict[str, list[str]] = {
            "id": ids.get(owner, []), "app_id": ids.get("appId", []), "fid": ids.get("fid", []),
            "name": ids.get("name", []), "member_id": ids.get("users", [])[:1],
            "owner_id": ids.get("users", [])[:1],
        }
        if "{grant_id}" in path:
            known["grant_id"] = ids.get("oauth2PermissionGrants", [])
        if "{assignment_id}" in path:
            known["assignment_id"] = ids.get(f"{owner}/{path.split('/')[-2]}", [])
        return known


WORLD = World()
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"   # a directory role the world's user holds
TOKEN_STAND_IN = "graph-admin-token"


def _valid(name: str, path: str, value: Any) -> bool:
    parameter = next(p for op in schema.raw_schema["paths"][path].values() for p in op["parameters"]
                     if p.get("name") == name)
    return isinstance(value, str) and re.search(parameter["schema"]["pattern"], value) is not None


@schema.hook
def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> Any:
    """Half the time, valid path parameters become ids of the world's objects (invalid ones stay invalid)."""
    assert context.operation is not None
    path = context.operation.path
    known = WORLD.for_path(path)
    swaps = {name: known[name] for name, value in (path_parameters or {}).items()
             if known.get(name) and _valid(name, path, value)}
    if not swaps:
        return st.just(path_parameters)
    chosen = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in swaps.items()})
    return st.one_of(st.just(path_parameters), chosen.map(lambda c: {**path_parameters, **c}))


def _string_leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _string_leaves(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _string_leaves(inner, (*path, index))


def _with(body: Any, path: tuple[Any, ...], text: str) -> Any:
    if not path:
        return text
    copy = dict(body) if isinstance(body, dict) else list(body)
    copy[path[0]] = _with(body[path[0]], path[1:], text)
    return copy


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> Any:
    """Now and then one string of a generated body becomes hostile text (NUL, control characters, unpaired
    surrogates), which the store must refuse with a 400 or hold unchanged, never answer with a 500."""
    leaves = list(_string_leaves(body))
    if not leaves:
        return st.just(body)
    hostile = st.tuples(st.sampled_from(leaves), HOSTILE).map(lambda chosen: _with(body, *chosen))
    return st.one_of(st.just(body), hostile)


@schema.auth()
class GraphToken:
    """A stand-in for the Graph admin token, put on each case as it is generated (some before the server
    runs); the test swaps in the real token. Cases whose credentials schemathesis removes or garbles keep
    theirs, and must get 401."""

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        return TOKEN_STAND_IN

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _make_world(server: Server) -> tuple[dict[str, list[str]], str]:
    def ok(response: Any, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    tag = uuid.uuid4().hex[:8]
    roles = [{"id": str(uuid.uuid4()), "value": f"Fuzz.{kind}.{tag}", "displayName": kind, "description": kind,
              "allowedMemberTypes": [kind], "isEnabled": True} for kind in ("Application", "User")]
    app = ok(server.graph("POST", "/applications", json={
        "displayName": f"fuzz {tag}", "identifierUris": [f"api://fuzz-{tag}"], "appRoles": roles}))
    sp = ok(server.graph("POST", "/servicePrincipals", json={"appId": app["appId"]}))
    user = ok(server.graph("POST", "/users", json={"userPrincipalName": f"fuzz-{tag}@example.com",
                                                  "displayName": f"fuzz {tag}"}))
    group = ok(server.graph("POST", "/groups", json={"displayName": f"fuzz {tag}"}))
    ok(server.graph("POST", f"/groups/{group['id']}/members/$ref",
                    json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}), 204)
    for owned in (f"/applications/{app['id']}", f"/servicePrincipals/{sp['id']}", f"/groups/{group['id']}"):
        ok(server.graph("POST", f"{owned}/owners/$ref",
                        json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}), 204)
    me = person(server, f"fuzz{tag}", GLOBAL_ADMIN)

    def assign(owner: str, principal: str, role: str) -> str:
        body = {"principalId": principal, "resourceId": sp["id"], "appRoleId": role}
        return str(ok(server.graph("POST", f"/{owner}/{principal}/appRoleAssignments", json=body))["id"])

    to_sp = assign("servicePrincipals", sp["id"], roles[0]["id"])
    to_user = assign("users", user["id"], roles[1]["id"])
    to_group = assign("groups", group["id"], roles[1]["id"])
    to_me = assign("users", me["id"], roles[1]["id"])
    fic = ok(server.graph("POST", f"/applications/{app['id']}/federatedIdentityCredentials", json={
        "name": f"fuzz-{tag}", "issuer": "https://issuer.example.com", "subject": f"repo:fuzz/{tag}"}))
    ok(server.graph("POST", f"/applications/{app['id']}/addPassword", json={}), 200)
    identity = ok(server.admin("POST", "/identities", json={"name": f"fuzz-{tag}", "type": "UserAssigned"}))
    domain = ok(server.graph("POST", "/domains", json={"id": f"fuzz-{tag}.test"}))
    graph = ok(server.graph("GET", f"/servicePrincipals(appId='{builtins.GRAPH_APP_ID}')"), 200)
    grants = [ok(server.graph("POST", "/oauth2PermissionGrants", json={
        "clientId": sp["id"], "resourceId": graph["id"], "scope": "User.Read", **consent}))["id"]
        for consent in ({"consentType": "AllPrincipals"}, {"consentType": "Principal", "principalId": user["id"]})]
    role = ok(server.graph("POST", "/roleManagement/directory/roleAssignments", json={
        "principalId": user["id"], "roleDefinitionId": GROUPS_ADMIN, "directoryScopeId": "/"}))
    directory_role = ok(server.graph("GET", f"/directoryRoles/{GROUPS_ADMIN}"), 200)
    sign_ins = ok(server.graph("GET", "/auditLogs/signIns?$top=2"), 200)["value"]
    audits = ok(server.graph("GET", "/auditLogs/directoryAudits?$top=2"), 200)["value"]
    return {
        "applications": [app["id"]], "appId": [app["appId"]], "servicePrincipals": [sp["id"], identity["id"]],
        "users": [user["id"], user["userPrincipalName"]], "groups": [group["id"]], "domains": [domain["id"]],
        "auditLogs/signIns": [s["id"] for s in sign_ins], "auditLogs/directoryAudits": [a["id"] for a in audits],
        "fid": [fic["id"]], "name": [fic["name"]],
        "servicePrincipals/appRoleAssignedTo": [to_sp, to_user, to_group],
        "servicePrincipals/appRoleAssignments": [to_sp], "users/appRoleAssignments": [to_user],
        "groups/appRoleAssignments": [to_group], "oauth2PermissionGrants": grants,
        "roleManagement/directory/roleDefinitions": [GROUPS_ADMIN],
        "roleManagement/directory/roleAssignments": [role["id"]],
        "directoryRoles": [directory_role["id"], GROUPS_ADMIN], "directoryRoleTemplates": [GROUPS_ADMIN],
        "me/appRoleAssignments": [to_me],
    }, user_token(server, me)


@pytest.fixture
def world(tenantd: Server, request: pytest.FixtureRequest) -> World:
    """The world, made again for a new server or after an operation that may have deleted from it."""
    if WORLD.server is not tenantd or WORLD.spoiled:
        (WORLD.ids, WORLD.user_token), WORLD.token, WORLD.server = _make_world(tenantd), tenantd.admin_token(), tenantd
    WORLD.spoiled = "[DELETE " in request.node.name
    return WORLD


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@schema.parametrize()
@fuzz_settings(30)
def test_graph_api_conforms_to_its_document(case: schemathesis.Case, tenantd: Server, world: World,
                                            session: requests.Session) -> None:
    """Each operation, on SQLite and on PostgreSQL: its examples, schemathesis's coverage cases (every
    parameter at its edges and past them, undocumented methods) and 30 generated cases (times
    TENANTD_FUZZ_SCALE), some with hostile text in their bodies."""
    if case.headers and case.headers.get("Authorization") == f"Bearer {TOKEN_STAND_IN}":
        signed_in = case.operation.path == "/me" or case.operation.path.startswith("/me/")
        case.headers["Authorization"] = f"Bearer {world.user_token if signed_in else world.token}"
    case.call_and_validate(base_url=tenantd.url + "/v1.0", session=session, checks=CHECKS,
                           verify=tenantd.ca_cert, timeout=30)
