"""The JSON Schemas of the authorization policy (as ``domain/authorization_policy.py`` writes it) and of the
body that changes it."""

from __future__ import annotations

from .blocks import BOOL, GUID, STRING, STRINGS, Schema, obj, odata_type

_PERMISSIONS: dict[str, Schema] = {
    "allowedToCreateApps": BOOL, "allowedToCreateSecurityGroups": BOOL, "allowedToCreateTenants": BOOL,
    "allowedToReadBitlockerKeysForOwnedDevice": BOOL, "allowedToReadOtherUsers": BOOL,
    "permissionGrantPoliciesAssigned": STRINGS,
}
AUTHORIZATION_POLICY_PROPERTIES: dict[str, Schema] = {
    "id": {"const": "authorizationPolicy"}, "displayName": STRING, "description": STRING,
    "allowInvitesFrom": STRING, "allowedToSignUpEmailBasedSubscriptions": BOOL, "allowedToUseSSPR": BOOL,
    "allowEmailVerifiedUsersToJoinOrganization": BOOL, "allowUserConsentForRiskyApps": BOOL,
    "blockMsolPowerShell": BOOL, "guestUserRoleId": GUID,
    "defaultUserRolePermissions": obj(_PERMISSIONS),
}
REQUEST_BODIES: dict[str, Schema] = {
    "authorizationPolicyUpdate": obj({
        "@odata.type": odata_type("microsoft.graph.authorizationPolicy"),
        "defaultUserRolePermissions": obj({
            "@odata.type": odata_type("microsoft.graph.defaultUserRolePermissions"), "allowedToCreateApps": BOOL,
            "allowedToCreateSecurityGroups": BOOL, "allowedToReadOtherUsers": BOOL}),
    }, description="tenantd keeps these three settings of the default user role; the policy's other properties "
                   "cannot be changed."),
}
