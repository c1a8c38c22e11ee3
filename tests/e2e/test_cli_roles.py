"""``tenantd role`` against a real server: roles listed, given and taken by display name or template id, holders
named by UPN, display name, appId or object id, members listed; each checked through Graph and in the
holder's token."""

from __future__ import annotations

from ..support import Server
from .cli_support import fails, make_app, run, run_json

APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
MEMBER = "b79fbf4d-3ef9-4689-8143-76b194e85509"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"


def held(server: Server, principal_id: str) -> list[str]:
    found = server.graph("GET", ASSIGNMENTS, params={"$filter": f"principalId eq '{principal_id}'"}).json()
    return sorted(a["roleDefinitionId"] for a in found["value"])


def test_roles_are_given_listed_and_taken(server: Server) -> None:
    listed = run(server, "role", "list")
    assert "Global Administrator" in listed and APP_ADMIN in listed
    assert len(run_json(server, "role", "list")) == 7

    ada = run_json(server, "user", "create", "ada@contoso.test", "--name", "Ada Admin")
    shown = run(server, "role", "assign", "application administrator", "ada@contoso.test")
    assert "Application Administrator" in shown and ada["id"] in shown
    created = run_json(server, "role", "assign", GLOBAL_READER, "Ada Admin")   # by template id and display name
    assert created["roleDefinitionId"] == GLOBAL_READER and created["principalId"] == ada["id"]
    assert held(server, ada["id"]) == sorted([APP_ADMIN, GLOBAL_READER])
    claims = run_json(server, "token", "--as", "ada@contoso.test", "--resource", "https://graph.microsoft.com",
                      "--decode")["claims"]
    assert claims["wids"] == [APP_ADMIN, GLOBAL_READER, MEMBER]

    app, sp = make_app(server, "Role runner")
    run(server, "role", "assign", "Global Reader", app["appId"])   # an app's appId reaches its service principal
    members = run(server, "role", "members", "Global Reader")
    assert "ada@contoso.test" in members and "Role runner" in members and sp["id"] in members
    assert {m["principalId"] for m in run_json(server, "role", "members", "Global Reader")} == {ada["id"], sp["id"]}
    assert "2" in next(line for line in run(server, "role", "list").splitlines() if "Global Reader" in line)

    run(server, "role", "unassign", "Global Reader", ada["id"])
    assert held(server, ada["id"]) == [APP_ADMIN]
    run(server, "role", "unassign", APP_ADMIN, "Ada Admin")
    assert held(server, ada["id"]) == []
    claims = run_json(server, "token", "--as", ada["id"], "--resource", "https://graph.microsoft.com",
                      "--decode")["claims"]
    assert claims["wids"] == [MEMBER]


def test_what_cannot_be_resolved_or_done_is_an_error(server: Server) -> None:
    run_json(server, "user", "create", "bea@contoso.test", "--name", "Bea")
    assert "No directory role 'Astronaut'" in fails(server, "role", "assign", "Astronaut", "bea@contoso.test")
    assert "No user 'nobody@contoso.test'" in fails(server, "role", "assign", "Global Reader", "nobody@contoso.test")
    assert "does not hold Global Reader" in fails(server, "role", "unassign", "Global Reader", "bea@contoso.test")
    run(server, "role", "assign", "Global Reader", "bea@contoso.test")
    assert "conflicting object" in fails(server, "role", "assign", "global reader", "bea@contoso.test")
    assert "nobody holds User Administrator" in run(server, "role", "members", "User Administrator")
