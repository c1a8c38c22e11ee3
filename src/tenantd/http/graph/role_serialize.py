"""Directory roles in Microsoft Graph v1.0's JSON shapes: directoryRole and directoryRoleTemplate (the role
definitions and assignments write their own, ``to_graph``), and the query facts of each type."""

from __future__ import annotations

from typing import Any

from ...domain.directory_roles import BUILT_IN, RoleAssignment, RoleDefinition, directory_role_id
from .odata import Entity


def directory_role(tenant_id: str, role: RoleDefinition) -> dict[str, Any]:
    """A built-in role as activated in one tenant: its object id there, and its template."""
    return {"id": directory_role_id(tenant_id, role.template_id), "deletedDateTime": None,
            "description": role.description, "displayName": role.display_name, "roleTemplateId": role.template_id}


def directory_role_template(role: RoleDefinition) -> dict[str, Any]:
    return {"id": role.template_id, "deletedDateTime": None, "description": role.description,
            "displayName": role.display_name}


# The navigation properties ``$expand`` adds to an assignment (never there otherwise, so an assignment is
# shown whole by default: with them when they were expanded).
EXPANDABLE = ("principal", "roleDefinition")
_SAMPLE = BUILT_IN[0]
_ASSIGNMENT_KEYS = frozenset(RoleAssignment("", "", _SAMPLE.template_id, _SAMPLE.template_id, "User", "", "/",
                                            "").to_graph())

ROLE_DEFINITION = Entity("microsoft.graph.unifiedRoleDefinition", frozenset(_SAMPLE.to_graph()), {
    "id": "guid", "displayName": "string", "templateId": "guid", "isBuiltIn": "bool", "isEnabled": "bool",
})
ROLE_ASSIGNMENT = Entity("microsoft.graph.unifiedRoleAssignment", _ASSIGNMENT_KEYS | set(EXPANDABLE), {
    "id": "string", "principalId": "guid", "roleDefinitionId": "guid", "directoryScopeId": "string",
})
DIRECTORY_ROLE = Entity("microsoft.graph.directoryRole", frozenset(directory_role(_SAMPLE.template_id, _SAMPLE)), {
    "id": "guid", "displayName": "string", "roleTemplateId": "guid",
})
DIRECTORY_ROLE_TEMPLATE = Entity("microsoft.graph.directoryRoleTemplate",
                                 frozenset(directory_role_template(_SAMPLE)), {"id": "guid", "displayName": "string"})
