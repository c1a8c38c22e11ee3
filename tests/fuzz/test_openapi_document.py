"""The Graph API's OpenAPI document says what the server does: the same paths and methods as the routes
mounted under /v1.0, the same properties as the serializers write, the permissions the handlers check,
and it is a valid OpenAPI 3.1 document served without a token at /_tenantd/openapi.json."""

from __future__ import annotations

import pytest
import schemathesis

from tenantd.http import openapi
from tenantd.http.graph import routes

from ..http.graph_support import grant_graph_role, graph_token, new_client
from ..support import Server

DOCUMENT = openapi.document("https://tenantd.example")
DUMMY = {"id": "00000000-0000-4000-8000-00000000000a", "app_id": "00000000-0000-4000-8000-00000000000b",
         "fid": "00000000-0000-4000-8000-00000000000c", "name": "no-such-credential",
         "member_id": "00000000-0000-4000-8000-00000000000d", "assignment_id": "A" * 43, "grant_id": "G" * 43,
         "owner_id": "00000000-0000-4000-8000-00000000000e"}


def documented() -> dict[str, set[str]]:
    return {path: {method.upper() for method in methods} for path, methods in DOCUMENT["paths"].items()}


def routed() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for route in routes.routes:
        assert isinstance(route, routes.Endpoint), f"{route!r} is not a Graph endpoint"
        assert route.path not in found, f"{route.path} is mounted twice"
        found[route.path] = set(route.handlers)
    return found


def test_every_route_is_documented_and_every_documented_path_is_routed() -> None:
    docs, mounted = documented(), routed()
    assert sorted(set(mounted) - set(docs)) == [], "routes missing from the OpenAPI document"
    assert sorted(set(docs) - set(mounted)) == [], "documented paths that no route serves"
    assert {p: m for p, m in docs.items() if mounted[p] != m} == {}, "methods differ"


def test_path_parameters_are_exactly_those_starlette_reads_from_the_route() -> None:
    mounted = {route.path: set(route.param_convertors) for route in routes.routes if isinstance(route, routes.Endpoint)}
    for path, methods in DOCUMENT["paths"].items():
        for operation in methods.values():
            names = [p["name"] for p in operation["parameters"] if p.get("in") == "path"]
            assert sorted(names) == sorted(mounted[path]), path


@pytest.mark.parametrize("resource", openapi.RESOURCES, ids=lambda r: r.name)
def test_each_resource_documents_exactly_the_properties_its_serializer_writes(resource: openapi.Resource) -> None:
    assert set(resource.properties) == set(resource.entity.selectable)
    assert set(resource.entity.filterable) <= set(resource.properties)


def test_the_document_is_valid_openapi_31() -> None:
    schemathesis.openapi.from_dict(DOCUMENT).validate()
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["servers"] == [{"url": "https://tenantd.example/v1.0"}]


def test_it_is_served_without_a_token_and_names_the_servers_public_url(server: Server) -> None:
    with server.http() as client:
        response = client.get("/_tenantd/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    assert served == openapi.document(server.url)
    assert served["servers"] == [{"url": f"{server.url}/v1.0"}]


def _url(path: str) -> str:
    for name, value in DUMMY.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.fixture(scope="module")
def tokens(server: Server) -> dict[str, str]:
    """A Graph token per application permission the document names, each holding that one role."""
    permissions = sorted({p for methods in DOCUMENT["paths"].values() for op in methods.values()
                          for p in op["x-permissions"]})
    found = {}
    for permission in permissions:
        app, sp, secret = new_client(server)
        grant_graph_role(server, sp, permission)
        found[permission] = graph_token(server, app, secret)
    return found


def test_each_operation_accepts_exactly_the_permissions_it_documents(server: Server,
                                                                     tokens: dict[str, str]) -> None:
    """A token with one documented permission gets past authorization (any answer but 403); a token with
    any other permission gets 403; an operation only a signed-in user may call (``/me``) answers every app-only
    token 400. No call carries a body, so none changes anything."""
    wrong: list[str] = []
    with server.http() as client:
        for path, methods in DOCUMENT["paths"].items():
            for method, operation in methods.items():
                allowed = set(operation["x-permissions"])
                for permission, token in tokens.items():
                    response = client.request(method.upper(), "/v1.0" + _url(path),
                                              headers={"Authorization": f"Bearer {token}"})
                    if operation.get("x-delegated-only"):
                        if response.status_code != 400:
                            wrong.append(f"{method.upper()} {path} with {permission}: {response.status_code}")
                    elif (response.status_code == 403) == (permission in allowed):
                        wrong.append(f"{method.upper()} {path} with {permission}: {response.status_code}")
    assert wrong == []


def test_an_undocumented_method_gets_graphs_405_naming_the_documented_ones(server: Server) -> None:
    for path, methods in DOCUMENT["paths"].items():
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} - {m.upper() for m in methods}:
            response = server.graph(method, _url(path))
            assert response.status_code == 405, (method, path, response.text)
            assert set(response.headers["allow"].split(", ")) == {m.upper() for m in methods}
            assert response.json()["error"]["code"] == "Request_BadRequest"
