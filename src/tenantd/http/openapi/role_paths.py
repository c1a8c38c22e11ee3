"""The OpenAPI document's paths of directory roles: Graph's unified RBAC (``roleManagement/directory``) and
its older ``directoryRoles`` and ``directoryRoleTemplates``."""

from __future__ import annotations

from ..graph.access import ROLE_READ, ROLE_WRITE
from .operations import Operation, Paths, create, get, list_, no_content

_RBAC, _ROLES = "roleManagement", "directoryRoles"

PATHS: Paths = {
    "/roleManagement/directory/roleDefinitions": {
        "GET": list_(_RBAC, "unifiedRoleDefinition", ROLE_READ, "the built-in directory role definitions")},
    "/roleManagement/directory/roleDefinitions/{id}": {
        "GET": get(_RBAC, "unifiedRoleDefinition", ROLE_READ, "a role definition (its id is its template id)")},
    "/roleManagement/directory/roleAssignments": {
        "GET": list_(_RBAC, "unifiedRoleAssignment", ROLE_READ,
                     "directory role assignments ($expand=principal,roleDefinition)"),
        "POST": create(_RBAC, "unifiedRoleAssignment", "unifiedRoleAssignmentCreate", ROLE_WRITE,
                       "a directory role assignment, tenant-wide")},
    "/roleManagement/directory/roleAssignments/{id}": {
        "GET": get(_RBAC, "unifiedRoleAssignment", ROLE_READ, "a directory role assignment"),
        "DELETE": no_content("Delete a directory role assignment", _RBAC, ROLE_WRITE)},
    "/directoryRoles": {"GET": list_(_ROLES, "directoryRole", ROLE_READ, "the activated directory roles")},
    "/directoryRoles/{id}": {"GET": get(_ROLES, "directoryRole", ROLE_READ,
                                        "a directory role, by its object id or its template id")},
    "/directoryRoles/{id}/members": {"GET": Operation("List the principals holding a directory role", _ROLES,
                                                      ROLE_READ, result="[directoryObject]", query="collection")},
    "/directoryRoles/{id}/members/$ref": {"POST": no_content("Give a user or service principal the role", _ROLES,
                                                             ROLE_WRITE, "referenceCreate")},
    "/directoryRoles/{id}/members/{member_id}/$ref": {"DELETE": no_content("Take the role from a member", _ROLES,
                                                                           ROLE_WRITE)},
    "/directoryRoleTemplates": {"GET": list_("directoryRoleTemplates", "directoryRoleTemplate", ROLE_READ,
                                             "the directory role templates")},
    "/directoryRoleTemplates/{id}": {"GET": get("directoryRoleTemplates", "directoryRoleTemplate", ROLE_READ,
                                                "a directory role template")},
}
