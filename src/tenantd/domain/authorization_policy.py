"""A tenant's authorization policy (Graph's ``authorizationPolicy``): what the default user role may do beyond
reading the directory. tenantd keeps three of its settings, each true by default as in a new Entra tenant:
``allowedToCreateApps`` (register applications), ``allowedToCreateSecurityGroups`` and
``allowedToReadOtherUsers``; the policy's other properties show Entra's defaults and cannot be changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from . import audit
from .errors import BadRequest

POLICY_ID = "authorizationPolicy"
_SETTINGS = {"allowedToCreateApps": "allowed_to_create_apps",
             "allowedToCreateSecurityGroups": "allowed_to_create_security_groups",
             "allowedToReadOtherUsers": "allowed_to_read_other_users"}
_ODATA_TYPE = "@odata.type"


@dataclass(frozen=True)
class AuthorizationPolicy:
    allowed_to_create_apps: bool = True
    allowed_to_create_security_groups: bool = True
    allowed_to_read_other_users: bool = True

    def default_user_role_permissions(self) -> dict[str, Any]:
        return {"allowedToCreateApps": self.allowed_to_create_apps,
                "allowedToCreateSecurityGroups": self.allowed_to_create_security_groups,
                "allowedToCreateTenants": True, "allowedToReadBitlockerKeysForOwnedDevice": True,
                "allowedToReadOtherUsers": self.allowed_to_read_other_users,
                "permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"]}

    def to_graph(self) -> dict[str, Any]:
        return {"id": POLICY_ID, "displayName": "Authorization Policy",
                "description": "Used to manage authorization related settings across the company.",
                "allowInvitesFrom": "everyone", "allowedToSignUpEmailBasedSubscriptions": True,
                "allowedToUseSSPR": True, "allowEmailVerifiedUsersToJoinOrganization": True,
                "allowUserConsentForRiskyApps": False, "blockMsolPowerShell": False,
                "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
                "defaultUserRolePermissions": self.default_user_role_permissions()}


def changed(policy: AuthorizationPolicy, body: dict[str, Any]) -> AuthorizationPolicy:
    """A PATCH's body applied: ``defaultUserRolePermissions`` naming some of the three settings, each a
    boolean. Any other property is refused: tenantd does not keep it."""
    for key in body:
        if key not in ("defaultUserRolePermissions", _ODATA_TYPE):
            raise _unsupported(key)
    _typed(body, "microsoft.graph.authorizationPolicy")
    permissions = body.get("defaultUserRolePermissions", {})
    if not isinstance(permissions, dict):
        raise BadRequest("Invalid value specified for property 'defaultUserRolePermissions' of resource "
                         "'AuthorizationPolicy'.")
    _typed(permissions, "microsoft.graph.defaultUserRolePermissions")
    changes: dict[str, bool] = {}
    for key, value in permissions.items():
        if key == _ODATA_TYPE:
            continue
        if key not in _SETTINGS:
            raise _unsupported(f"defaultUserRolePermissions/{key}")
        if not isinstance(value, bool):
            raise BadRequest(f"Invalid value specified for property '{key}' of resource "
                             "'DefaultUserRolePermissions'.")
        changes[_SETTINGS[key]] = value
    return replace(policy, **changes)


def _typed(body: dict[str, Any], type_name: str) -> None:
    """An ``@odata.type``, when sent, must name the object's type (with or without ``#``, in any case)."""
    value = body.get(_ODATA_TYPE, type_name)
    if not isinstance(value, str) or value.lstrip("#").lower() != type_name.lower():
        raise BadRequest(f"Invalid @odata.type: expected '#{type_name}'.")


def _unsupported(name: str) -> BadRequest:
    return BadRequest(f"Property '{name[:120]}' of the authorization policy cannot be changed here: tenantd keeps "
                      "only defaultUserRolePermissions' allowedToCreateApps, allowedToCreateSecurityGroups and "
                      "allowedToReadOtherUsers.")


def entry(before: AuthorizationPolicy, after: AuthorizationPolicy) -> audit.Entry:
    """Entra's "Update authorization policy", the changed settings as its modified properties."""
    changes = audit.diff({"DefaultUserRolePermissions": before.default_user_role_permissions()},
                         {"DefaultUserRolePermissions": after.default_user_role_permissions()})
    return audit.Entry("Update authorization policy", "Policy", "Update",
                       (audit.Target(POLICY_ID, "Authorization Policy", "Policy", changes),))
