"""Entra's directory roles (Global Administrator, Application Administrator ...): the built-in role definitions
tenantd knows, the rules of assigning them, and what a user's tokens say of them (``wids``).

Each definition carries Entra's template id (the same in every tenant, and the definition's id) and, as
``rolePermissions``, a subset of the ``allowedResourceActions`` Entra's permissions reference lists for it:
the ``microsoft.directory/...`` actions on the objects tenantd models (applications, service principals,
users, groups, domains, consent grants, role assignments and definitions, the authorization policy, the audit
and sign-in logs). The actions of other services (Exchange, Intune, the Microsoft 365 admin center ...) are
left out.

An assignment holds one role for one principal (a user or a service principal) over the whole tenant: the
directory scope ``/``. Groups cannot hold roles here: Entra gives roles only to role-assignable groups,
which tenantd's groups are not.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from typing import Any

from . import audit
from .errors import BadRequest
from .ids import is_guid
from .model import Principal

# The role every member of a tenant holds ("User", the default user permissions): always in a user's ``wids``.
MEMBER_ROLE_TEMPLATE_ID = "b79fbf4d-3ef9-4689-8143-76b194e85509"
TENANT_SCOPE = "/"
# directoryRole objects (the roles "activated" in a tenant) have an object id of their own in each tenant.
_DIRECTORY_ROLE_NAMESPACE = uuid.UUID("7e4a47d0-7e4a-47d0-a000-7e4a47d0d1e0")


@dataclass(frozen=True)
class RoleDefinition:
    """A built-in directory role: Graph's unifiedRoleDefinition (``id`` is the template id)."""

    template_id: str
    display_name: str
    description: str
    allowed_resource_actions: tuple[str, ...]
    is_built_in: bool = True
    is_enabled: bool = True

    def to_graph(self) -> dict[str, Any]:
        return {
            "id": self.template_id, "description": self.description, "displayName": self.display_name,
            "isBuiltIn": self.is_built_in, "isEnabled": self.is_enabled, "resourceScopes": [TENANT_SCOPE],
            "templateId": self.template_id, "version": "1",
            "rolePermissions": [{"allowedResourceActions": list(self.allowed_resource_actions), "condition": None}],
        }


@dataclass(frozen=True)
class RoleAssignment:
    """A directory role held by a principal: Graph's unifiedRoleAssignment, and who holds it."""

    tenant_id: str
    id: str
    role_definition_id: str          # the role's template id
    principal_id: str
    principal_type: str              # User | ServicePrincipal
    principal_display_name: str
    directory_scope_id: str
    created: str

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "principalId": self.principal_id, "roleDefinitionId": self.role_definition_id,
                "directoryScopeId": self.directory_scope_id, "appScopeId": None}


_APPS = "microsoft.directory/applications"
_SPS = "microsoft.directory/servicePrincipals"
_LOGS = ("microsoft.directory/auditLogs/allProperties/read", "microsoft.directory/signInReports/allProperties/read")
_APP_ADMIN_ACTIONS = (
    f"{_APPS}/appRoles/update", f"{_APPS}/audience/update", f"{_APPS}/authentication/update",
    f"{_APPS}/basic/update", f"{_APPS}/create", f"{_APPS}/credentials/update", f"{_APPS}/delete",
    f"{_APPS}/owners/update", f"{_APPS}/permissions/update", _LOGS[0],
    "microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks",
    f"{_SPS}/appRoleAssignedTo/update", f"{_SPS}/basic/update", f"{_SPS}/create", f"{_SPS}/credentials/update",
    f"{_SPS}/delete", f"{_SPS}/disable", f"{_SPS}/enable",
    f"{_SPS}/managePermissionGrantsForAll.microsoft-application-admin", f"{_SPS}/owners/update",
    f"{_SPS}/permissions/update", _LOGS[1],
)
_AUTHORIZATION_POLICY = "microsoft.directory/authorizationPolicy/allProperties/allTasks"
_GROUP_ADMIN_ACTIONS = tuple(f"microsoft.directory/groups/{action}" for action in (
    "basic/update", "create", "delete", "members/update", "owners/update", "restore"))

BUILT_IN: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        "62e90394-69f5-4237-9190-012177145e10", "Global Administrator",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
        (f"{_APPS}/allProperties/allTasks", _LOGS[0], _AUTHORIZATION_POLICY,
         "microsoft.directory/directoryRoles/allProperties/allTasks",
         "microsoft.directory/domains/allProperties/allTasks", "microsoft.directory/groups/allProperties/allTasks",
         "microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks",
         "microsoft.directory/roleAssignments/allProperties/allTasks",
         "microsoft.directory/roleDefinitions/allProperties/allTasks", f"{_SPS}/allProperties/allTasks",
         f"{_SPS}/managePermissionGrantsForAll.microsoft-company-admin", _LOGS[1],
         "microsoft.directory/users/allProperties/allTasks")),
    RoleDefinition(
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps.",
        (*_APP_ADMIN_ACTIONS, f"{_APPS}/applicationProxy/update")),
    RoleDefinition(
        "158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
        _APP_ADMIN_ACTIONS),
    RoleDefinition(
        "e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
        (_AUTHORIZATION_POLICY, "microsoft.directory/directoryRoles/allProperties/allTasks",
         "microsoft.directory/oAuth2PermissionGrants/allProperties/allTasks",
         "microsoft.directory/roleAssignments/allProperties/allTasks",
         "microsoft.directory/roleDefinitions/allProperties/allTasks", f"{_SPS}/appRoleAssignedTo/update",
         f"{_SPS}/managePermissionGrantsForAll.microsoft-company-admin", f"{_SPS}/permissions/update")),
    RoleDefinition(
        "fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator",
        "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
        (*_GROUP_ADMIN_ACTIONS, f"{_SPS}/appRoleAssignedTo/update",
         *(f"microsoft.directory/users/{action}" for action in (
             "basic/update", "create", "delete", "disable", "enable", "invalidateAllRefreshTokens",
             "password/update", "restore", "userPrincipalName/update")))),
    RoleDefinition(
        "fdd7a751-b60b-444a-984c-02652fe8fa1c", "Groups Administrator",
        "Members of this role can create/manage groups, create/manage groups settings like naming and expiration "
        "policies, and view groups activity and audit reports.",
        _GROUP_ADMIN_ACTIONS),
    RoleDefinition(
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader",
        "Can read everything that a Global Administrator can, but not update anything.",
        (f"{_APPS}/allProperties/read", _LOGS[0], "microsoft.directory/authorizationPolicy/standard/read",
         "microsoft.directory/directoryRoles/allProperties/read",
         "microsoft.directory/domains/allProperties/read", "microsoft.directory/groups/allProperties/read",
         "microsoft.directory/oAuth2PermissionGrants/allProperties/read",
         "microsoft.directory/roleAssignments/allProperties/read",
         "microsoft.directory/roleDefinitions/allProperties/read", f"{_SPS}/allProperties/read", _LOGS[1],
         "microsoft.directory/users/allProperties/read")),
)
BY_TEMPLATE_ID = {role.template_id: role for role in BUILT_IN}


def find(key: str) -> RoleDefinition | None:
    """A built-in role by template id, or by display name in any case (what people and tenant files write)."""
    if is_guid(key):
        return BY_TEMPLATE_ID.get(key.lower())
    folded = key.casefold()
    return next((role for role in BUILT_IN if role.display_name.casefold() == folded), None)


def directory_role_id(tenant_id: str, template_id: str) -> str:
    """The object id of a role's directoryRole in one tenant: its own in each tenant, the same at every read."""
    return str(uuid.uuid5(_DIRECTORY_ROLE_NAMESPACE, f"{tenant_id.lower()}/{template_id.lower()}"))


def assignment_id(template_id: str, principal_id: str) -> str:
    """An assignment's id as Entra writes a tenant-wide one: base64url of the role's and the principal's GUID
    bytes, then ``-1``. One role, one principal, one id: a second assignment of the same is a duplicate."""
    raw = uuid.UUID(template_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") + "-1"


def is_role_assignment_id(text: object) -> bool:
    """Whether ``text`` has the shape of an assignment id (:func:`assignment_id`)."""
    return isinstance(text, str) and re.fullmatch(r"[A-Za-z0-9_-]{43}-1", text) is not None


def directory_scope(value: object) -> str:
    """The assignment's scope: the whole tenant (``/``), the only one tenantd has (no administrative units,
    no application scopes)."""
    if value != TENANT_SCOPE:
        raise BadRequest("Must specify valid property scope of entity RoleAssignment.")
    return TENANT_SCOPE


def assignable(role: RoleDefinition, principal: Principal) -> None:
    """Whether ``principal`` may hold ``role``: an enabled role, and a user or a service principal."""
    if not role.is_enabled:
        raise BadRequest(f"The role definition '{role.template_id}' is not enabled for assignment.")
    if principal.type == "Group":
        raise BadRequest("Groups without IsAssignableToRole property set cannot be assigned to roles.")


def wids(template_ids: tuple[str, ...]) -> tuple[str, ...]:
    """A user's ``wids``: the template ids of her directory roles, then the member role every user holds."""
    return (*sorted(set(template_ids) - {MEMBER_ROLE_TEMPLATE_ID}), MEMBER_ROLE_TEMPLATE_ID)


def in_id_token(group_membership_claims: str | None) -> bool:
    """Whether a client's ID tokens carry ``wids``: Entra emits directory roles in them only for an application
    whose ``groupMembershipClaims`` asks for them (``DirectoryRole``, or ``All``); access tokens always do."""
    asked = {part.strip().casefold() for part in (group_membership_claims or "").split(",")}
    return bool(asked & {"directoryrole", "all"})


def membership(added: bool, role: RoleDefinition, role_object_id: str, principal: Principal) -> audit.Entry:
    """Entra's "Add member to role" / "Remove member from role": the member (the role in its changed
    properties) and the role as targets."""
    values = {"Role.ObjectID": role_object_id, "Role.DisplayName": role.display_name,
              "Role.TemplateId": role.template_id}
    changes = audit.diff(None, values) if added else audit.diff(values, None)
    return audit.Entry("Add member to role" if added else "Remove member from role", "RoleManagement",
                       "Assign" if added else "Unassign",
                       (audit.principal(principal, changes), audit.Target(role_object_id, role.display_name, "Role")))
