"""The JSON Schemas of the directory roles' resources (as ``graph/role_serialize.py`` writes them) and of the
body that assigns a role."""

from __future__ import annotations

from ..graph.role_serialize import ROLE_ASSIGNMENT
from .blocks import BOOL, GUID, NULL, STRING, STRINGS, TEXT, Schema, array, nullable, obj, odata_type, ref

ROLE_ASSIGNMENT_ID: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}-1$",
                              "description": "The assignment's id."}
_TENANT_SCOPE: Schema = {"const": "/", "description": "The whole tenant, the only scope tenantd has."}

ROLE_DEFINITION_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "description": STRING, "displayName": STRING, "isBuiltIn": BOOL, "isEnabled": BOOL,
    "resourceScopes": STRINGS, "templateId": GUID, "version": TEXT,
    "rolePermissions": array(obj({"allowedResourceActions": STRINGS, "condition": NULL})),
}
ROLE_ASSIGNMENT_PROPERTIES: dict[str, Schema] = {
    "id": ROLE_ASSIGNMENT_ID, "principalId": GUID, "roleDefinitionId": GUID, "directoryScopeId": _TENANT_SCOPE,
    "appScopeId": NULL,
    "principal": {**nullable(ref("directoryObject")), "description": "With $expand=principal only."},
    "roleDefinition": {**ref("unifiedRoleDefinition"), "description": "With $expand=roleDefinition only."},
}
DIRECTORY_ROLE_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "deletedDateTime": NULL, "description": STRING, "displayName": STRING, "roleTemplateId": GUID,
}
DIRECTORY_ROLE_TEMPLATE_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "deletedDateTime": NULL, "description": STRING, "displayName": STRING,
}

REQUEST_BODIES: dict[str, Schema] = {
    "unifiedRoleAssignmentCreate": obj({
        "@odata.type": odata_type(ROLE_ASSIGNMENT.type_name), "principalId": GUID,
        "roleDefinitionId": {**GUID, "description": "The role's template id (a built-in role's definition id)."},
        "directoryScopeId": _TENANT_SCOPE,
    }, required=("principalId", "roleDefinitionId", "directoryScopeId"),
        description="A user or service principal given a built-in directory role, tenant-wide."),
}
