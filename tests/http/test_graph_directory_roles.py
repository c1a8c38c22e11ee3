"""Graph v1.0 directory roles against a real tenantd, on SQLite and on PostgreSQL: the built-in role
definitions, role assignments (unified RBAC), the older directoryRoles with their members, the role
templates, their permissions, and what a change leaves in the audit log."""

from __future__ import annotations

import uuid
from typing import Any

from tenantd.domain import builtins

from ..support import Server
from .graph_support import error, grant_graph_role, graph_token, new_app, new_client, new_sp, ok, unique

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
TEMPLATES = {  # Entra's template ids (its permissions reference)
    "Global Administrator": GLOBAL_ADMIN,
    "Application Administrator": APP_ADMIN,
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Groups Administrator": GROUPS_ADMIN,
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
}
DEFINITIONS = "/roleManagement/directory/roleDefinitions"
ASSIGNMENTS = "/roleManagement/directory/roleAssignments"


def new_user(server: Server) -> dict[str, Any]:
    local = uuid.uuid4().hex[:10]
    return ok(server.graph("POST", "/users", json={"userPrincipalName": f"{local}@example.com",
                                                  "displayName": unique("admin")}), 201)


def assign(server: Server, principal_id: str, role_id: str, scope: Any = "/") -> dict[str, Any]:
    return ok(server.graph("POST", ASSIGNMENTS, json={
        "principalId": principal_id, "roleDefinitionId": role_id, "directoryScopeId": scope}), 201)


def assignments_of(server: Server, principal_id: str) -> list[dict[str, Any]]:
    found = ok(server.graph("GET", ASSIGNMENTS, params={"$filter": f"principalId eq '{principal_id}'"}))
    return list(found["value"])


def test_the_built_in_definitions_carry_entras_template_ids(tenantd: Server) -> None:
    listed = ok(tenantd.graph("GET", DEFINITIONS))
    assert listed["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#roleManagement/directory/roleDefinitions"
    assert {r["displayName"]: r["templateId"] for r in listed["value"]} == TEMPLATES
    for role in listed["value"]:
        assert role["id"] == role["templateId"] and role["isBuiltIn"] and role["isEnabled"]
        assert role["resourceScopes"] == ["/"] and role["version"] == "1"
        [permission] = role["rolePermissions"]
        assert permission["condition"] is None and permission["allowedResourceActions"]
        assert all(a.startswith("microsoft.directory/") for a in permission["allowedResourceActions"])

    one = ok(tenantd.graph("GET", f"{DEFINITIONS}/{APP_ADMIN.upper()}"))
    assert one["@odata.context"].endswith("#roleManagement/directory/roleDefinitions/$entity")
    assert one["displayName"] == "Application Administrator"
    assert "microsoft.directory/applications/credentials/update" in one["rolePermissions"][0]["allowedResourceActions"]
    error(tenantd.graph("GET", f"{DEFINITIONS}/{uuid.uuid4()}"), 404, "Request_ResourceNotFound")
    error(tenantd.graph("GET", f"{DEFINITIONS}/not-an-id"), 400)

    for query, names in (("displayName eq 'global administrator'", ["Global Administrator"]),
                         (f"templateId eq '{GROUPS_ADMIN}'", ["Groups Administrator"]),
                         ("isBuiltIn eq true and startswith(displayName, 'Cloud')",
                          ["Cloud Application Administrator"]),
                         ("isBuiltIn eq false", [])):
        found = ok(tenantd.graph("GET", DEFINITIONS, params={"$filter": query, "$select": "displayName"}))
        assert [r["displayName"] for r in found["value"]] == names, query
        assert all(set(r) == {"displayName"} for r in found["value"])


def test_an_assignment_is_made_listed_expanded_and_removed(tenantd: Server) -> None:
    user = new_user(tenantd)
    response = tenantd.graph("POST", ASSIGNMENTS, json={
        "@odata.type": "#microsoft.graph.unifiedRoleAssignment", "principalId": user["id"],
        "roleDefinitionId": APP_ADMIN, "directoryScopeId": "/"})
    created = ok(response, 201)
    assert created["@odata.context"] == f"{tenantd.url}/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity"
    assert response.headers["location"] == f"{tenantd.url}/v1.0{ASSIGNMENTS}/{created['id']}"
    assert (created["principalId"], created["roleDefinitionId"], created["directoryScopeId"]) == (
        user["id"], APP_ADMIN, "/")
    assert created["id"].endswith("-1") and len(created["id"]) == 45   # Entra's shape: role and principal, base64url

    duplicate = error(tenantd.graph("POST", ASSIGNMENTS, json={
        "principalId": user["id"], "roleDefinitionId": APP_ADMIN, "directoryScopeId": "/"}), 400, "Request_BadRequest")
    assert duplicate["message"] == ("A conflicting object with one or more of the specified property values is "
                                    "present in the directory.")
    second = assign(tenantd, user["id"], GLOBAL_ADMIN)

    mine = assignments_of(tenantd, user["id"])
    assert [a["id"] for a in mine] == [created["id"], second["id"]]
    by_role = ok(tenantd.graph("GET", ASSIGNMENTS, params={
        "$filter": f"roleDefinitionId eq '{APP_ADMIN}' and principalId eq '{user['id']}'"}))["value"]
    assert [a["id"] for a in by_role] == [created["id"]]
    expanded = ok(tenantd.graph("GET", ASSIGNMENTS, params={
        "$filter": f"principalId eq '{user['id']}'", "$expand": "principal,roleDefinition", "$top": "1"}))
    [first] = expanded["value"]
    assert first["principal"]["@odata.type"] == "#microsoft.graph.user" and first["principal"]["id"] == user["id"]
    assert first["roleDefinition"]["displayName"] == "Application Administrator"
    assert "$expand=principal,roleDefinition" in expanded["@odata.nextLink"]
    nxt = ok(tenantd.graph("GET", expanded["@odata.nextLink"].removeprefix(f"{tenantd.url}/v1.0")))
    assert [a["id"] for a in nxt["value"]] == [second["id"]] and "principal" in nxt["value"][0]

    got = ok(tenantd.graph("GET", f"{ASSIGNMENTS}/{created['id']}", params={"$expand": "roleDefinition",
                                                                           "$select": "id"}))
    assert set(got) == {"@odata.context", "id", "roleDefinition"}
    error(tenantd.graph("GET", ASSIGNMENTS, params={"$expand": "owner"}), 400, "BadRequest")

    assert tenantd.graph("DELETE", f"{ASSIGNMENTS}/{created['id']}").status_code == 204
    error(tenantd.graph("GET", f"{ASSIGNMENTS}/{created['id']}"), 404, "Request_ResourceNotFound")
    error(tenantd.graph("DELETE", f"{ASSIGNMENTS}/{created['id']}"), 404, "Request_ResourceNotFound")
    assert [a["roleDefinitionId"] for a in assignments_of(tenantd, user["id"])] == [GLOBAL_ADMIN]


def test_assignments_are_refused_as_graph_refuses_them(tenantd: Server) -> None:
    user = new_user(tenantd)
    group = ok(tenantd.graph("POST", "/groups", json={"displayName": unique("admins")}), 201)
    for scope in ("/administrativeUnits/5d107bba-d8e2-4e13-b6ae-884be90e5d1a", "", None, f"/{uuid.uuid4()}"):
        refused = error(tenantd.graph("POST", ASSIGNMENTS, json={
            "principalId": user["id"], "roleDefinitionId": APP_ADMIN, "directoryScopeId": scope}), 400)
        assert refused["message"] == "Must specify valid property scope of entity RoleAssignment."
    refused = error(tenantd.graph("POST", ASSIGNMENTS, json={"principalId": user["id"], "roleDefinitionId": APP_ADMIN}),
                    400)
    assert refused["message"] == "Must specify valid property scope of entity RoleAssignment."
    refused = error(tenantd.graph("POST", ASSIGNMENTS, json={
        "principalId": group["id"], "roleDefinitionId": APP_ADMIN, "directoryScopeId": "/"}), 400)
    assert refused["message"] == "Groups without IsAssignableToRole property set cannot be assigned to roles."
    for principal, role in ((str(uuid.uuid4()), APP_ADMIN), (user["id"], str(uuid.uuid4()))):
        error(tenantd.graph("POST", ASSIGNMENTS, json={
            "principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/"}), 404,
              "Request_ResourceNotFound")
    error(tenantd.graph("POST", ASSIGNMENTS, json={
        "principalId": user["id"], "roleDefinitionId": APP_ADMIN, "directoryScopeId": "/", "appScopeId": "/"}), 400)
    error(tenantd.graph("POST", ASSIGNMENTS, json={"principalId": "x", "roleDefinitionId": APP_ADMIN,
                                                   "directoryScopeId": "/"}), 400)
    assert assignments_of(tenantd, user["id"]) == []


def test_deleting_a_principal_removes_its_assignments(tenantd: Server) -> None:
    user = new_user(tenantd)
    app = new_app(tenantd)
    sp = new_sp(tenantd, app)
    assign(tenantd, user["id"], GLOBAL_ADMIN)
    assign(tenantd, sp["id"], APP_ADMIN)
    assert tenantd.graph("DELETE", f"/users/{user['id']}").status_code == 204
    assert tenantd.graph("DELETE", f"/applications/{app['id']}").status_code == 204
    assert assignments_of(tenantd, user["id"]) == [] and assignments_of(tenantd, sp["id"]) == []


def test_directory_roles_and_their_members(tenantd: Server) -> None:
    roles = ok(tenantd.graph("GET", "/directoryRoles"))["value"]
    assert {r["displayName"]: r["roleTemplateId"] for r in roles} == TEMPLATES
    admin = next(r for r in roles if r["roleTemplateId"] == GLOBAL_ADMIN)
    assert admin["id"] != GLOBAL_ADMIN and set(admin) == {"id", "deletedDateTime", "description", "displayName",
                                                          "roleTemplateId"}
    assert ok(tenantd.graph("GET", f"/directoryRoles/{admin['id']}"))["id"] == admin["id"]
    assert ok(tenantd.graph("GET", f"/directoryRoles/{GLOBAL_ADMIN}"))["id"] == admin["id"]   # by its template id
    found = ok(tenantd.graph("GET", "/directoryRoles", params={"$filter": f"roleTemplateId eq '{GLOBAL_ADMIN}'"}))
    assert [r["id"] for r in found["value"]] == [admin["id"]]

    user, (_, sp, _) = new_user(tenantd), new_client(tenantd)
    members = f"/directoryRoles/{admin['id']}/members"
    for principal in (user, sp):
        reference = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{principal['id']}"}
        assert tenantd.graph("POST", f"{members}/$ref", json=reference).status_code == 204
    again = error(tenantd.graph("POST", f"{members}/$ref", json={
        "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}), 400)
    assert again["message"] == ("One or more added object references already exist for the following modified "
                                "properties: 'members'.")
    listed = ok(tenantd.graph("GET", members))["value"]
    kinds = {m["id"]: m["@odata.type"] for m in listed}
    assert kinds[user["id"]] == "#microsoft.graph.user" and kinds[sp["id"]] == "#microsoft.graph.servicePrincipal"
    assert [a["roleDefinitionId"] for a in assignments_of(tenantd, user["id"])] == [GLOBAL_ADMIN]

    assert tenantd.graph("DELETE", f"{members}/{user['id']}/$ref").status_code == 204
    error(tenantd.graph("DELETE", f"{members}/{user['id']}/$ref"), 404)
    assert user["id"] not in {m["id"] for m in ok(tenantd.graph("GET", members))["value"]}
    assert assignments_of(tenantd, user["id"]) == []
    error(tenantd.graph("GET", f"/directoryRoles/{uuid.uuid4()}"), 404, "Request_ResourceNotFound")

    templates = ok(tenantd.graph("GET", "/directoryRoleTemplates"))["value"]
    assert {t["displayName"]: t["id"] for t in templates} == TEMPLATES
    template = ok(tenantd.graph("GET", f"/directoryRoleTemplates/{APP_ADMIN}"))
    assert template["displayName"] == "Application Administrator"


def test_role_changes_are_in_the_audit_log(tenantd: Server) -> None:
    user = new_user(tenantd)
    created = assign(tenantd, user["id"], GROUPS_ADMIN)
    assert tenantd.graph("DELETE", f"{ASSIGNMENTS}/{created['id']}").status_code == 204
    entries = ok(tenantd.graph("GET", "/auditLogs/directoryAudits", params={
        "$filter": "category eq 'RoleManagement'", "$top": "999"}))["value"]
    mine = [e for e in entries if e["targetResources"][0]["id"] == user["id"]]
    assert [(e["activityDisplayName"], e["operationType"]) for e in mine] == [
        ("Remove member from role", "Unassign"), ("Add member to role", "Assign")]
    added = mine[1]
    assert added["initiatedBy"]["app"]["appId"] == tenantd.info["admin_client_id"]
    changed = {p["displayName"]: p["newValue"] for p in added["targetResources"][0]["modifiedProperties"]}
    assert changed["Role.DisplayName"] == '"Groups Administrator"' and changed["Role.TemplateId"] == f'"{GROUPS_ADMIN}"'
    assert added["targetResources"][1]["type"] == "Role"
    assert added["targetResources"][1]["displayName"] == "Groups Administrator"


def test_only_role_management_writes_assign_roles(tenantd: Server) -> None:
    """As in Graph: reading needs a role-management or directory read permission; assigning needs
    RoleManagement.ReadWrite.Directory, which Directory.ReadWrite.All does not include."""
    user = new_user(tenantd)
    tokens = {}
    for permission in ("RoleManagement.Read.Directory", "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
                       "User.Read.All"):
        app, sp, secret = new_client(tenantd)
        grant_graph_role(tenantd, sp, permission)
        tokens[permission] = graph_token(tenantd, app, secret)
    body = {"principalId": user["id"], "roleDefinitionId": GLOBAL_ADMIN, "directoryScopeId": "/"}
    for permission in ("RoleManagement.Read.Directory", "Directory.ReadWrite.All", "User.Read.All"):
        error(tenantd.graph("POST", ASSIGNMENTS, token=tokens[permission], json=body), 403,
              "Authorization_RequestDenied")
        error(tenantd.graph("POST", f"/directoryRoles/{GLOBAL_ADMIN}/members/$ref", token=tokens[permission], json={
            "@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}), 403)
    error(tenantd.graph("GET", ASSIGNMENTS, token=tokens["User.Read.All"]), 403)
    assert assignments_of(tenantd, user["id"]) == []
    ok(tenantd.graph("POST", ASSIGNMENTS, token=tokens["RoleManagement.ReadWrite.Directory"], json=body), 201)
    for permission in ("RoleManagement.Read.Directory", "Directory.ReadWrite.All"):
        ok(tenantd.graph("GET", ASSIGNMENTS, token=tokens[permission]))
    assert builtins.GRAPH_ROLES["RoleManagement.ReadWrite.Directory"] == "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"
