"""Directory objects in Microsoft Graph v1.0's JSON shapes, and the query facts of each type.

Properties tenantd does not model are written with the values an ordinary tenant shows (null, [] or
Graph's defaults), so clients that parse the full type find every field they expect. Secrets never
appear: a password credential shows its hint, never its hash, and its text only in addPassword's answer.
"""

from __future__ import annotations

from typing import Any

from ...domain.model import (
    Application,
    AppRoleAssignment,
    Group,
    PasswordCredential,
    ServicePrincipal,
    User,
)
from .odata import Entity, project

SIGN_IN_AUDIENCE = "AzureADMyOrg"


def application(app: Application) -> dict[str, Any]:
    return {
        "id": app.id,
        "deletedDateTime": None,
        "appId": app.app_id,
        "applicationTemplateId": None,
        "createdDateTime": app.created,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": app.display_name,
        "groupMembershipClaims": app.group_membership_claims,
        "identifierUris": list(app.identifier_uris),
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": app.is_fallback_public_client,
        "notes": None,
        "serviceManagementReference": None,
        "signInAudience": app.sign_in_audience,
        "tags": [],
        "tokenEncryptionKeyId": None,
        "defaultRedirectUri": None,
        "optionalClaims": app.optional_claims,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": app.requested_access_token_version,
            "oauth2PermissionScopes": [s.to_graph() for s in app.oauth2_permission_scopes],
            "preAuthorizedApplications": [p.to_graph() for p in app.pre_authorized_applications],
        },
        "appRoles": [role.to_graph() for role in app.app_roles],
        "info": _info(),
        "keyCredentials": [k.to_graph() for k in app.key_credentials],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [password_credential(c) for c in app.password_credentials],
        "publicClient": {"redirectUris": list(app.public_client_redirect_uris)},
        "requiredResourceAccess": [r.to_graph() for r in app.required_resource_access],
        "verifiedPublisher": _verified_publisher(),
        "web": {
            "homePageUrl": None, "logoutUrl": None, "redirectUris": list(app.web_redirect_uris),
            "redirectUriSettings": [{"uri": uri, "index": None} for uri in app.web_redirect_uris],
            "implicitGrantSettings": app.implicit_grant_settings.to_graph(),
        },
        "spa": {"redirectUris": list(app.spa_redirect_uris)},
    }


def password_credential(cred: PasswordCredential, secret: str | None = None) -> dict[str, Any]:
    """A password credential; ``secret`` only in addPassword's answer, the one time it is shown."""
    shown = cred.to_graph()
    shown["secretText"] = secret
    return shown


def service_principal(sp: ServicePrincipal) -> dict[str, Any]:
    is_app = sp.service_principal_type == "Application"
    if not is_app:
        audience = None
    elif sp.sign_in_audience:
        audience = sp.sign_in_audience
    elif sp.app_owner_organization_id in (None, sp.tenant_id):
        audience = SIGN_IN_AUDIENCE
    else:
        audience = "AzureADMultipleOrgs"
    return {
        "id": sp.id,
        "deletedDateTime": None,
        "accountEnabled": sp.account_enabled,
        "alternativeNames": list(sp.alternative_names),
        "appDisplayName": sp.display_name if is_app else None,
        "appDescription": None,
        "appId": sp.app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": sp.app_owner_organization_id,
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": sp.display_name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": list(sp.reply_urls),
        "servicePrincipalNames": list(sp.service_principal_names),
        "servicePrincipalType": sp.service_principal_type,
        "signInAudience": audience,
        "tags": [],
        "tokenEncryptionKeyId": None,
        "info": _info(),
        "addIns": [],
        "appRoles": [role.to_graph() for role in sp.app_roles],
        "keyCredentials": [],
        "oauth2PermissionScopes": [s.to_graph() for s in sp.oauth2_permission_scopes],
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": _verified_publisher(),
    }


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": None,
        "jobTitle": None,
        "mail": u.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": None,
        "userPrincipalName": u.user_principal_name,
        # Not in Graph's default set for users: returned only when $select names them.
        "accountEnabled": u.account_enabled,
        "createdDateTime": u.created,
        "deletedDateTime": None,
    }


def group(g: Group) -> dict[str, Any]:
    return {
        "id": g.id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": g.created,
        "creationOptions": [],
        "description": g.description,
        "displayName": g.display_name,
        "expirationDateTime": None,
        "groupTypes": [],
        "isAssignableToRole": None,
        "mail": None,
        "mailEnabled": False,
        "mailNickname": g.mail_nickname,
        "membershipRule": None,
        "membershipRuleProcessingState": None,
        "preferredDataLocation": None,
        "preferredLanguage": None,
        "proxyAddresses": [],
        "renewedDateTime": g.created,
        "resourceBehaviorOptions": [],
        "resourceProvisioningOptions": [],
        "securityEnabled": g.security_enabled,
        "securityIdentifier": None,
        "theme": None,
        "visibility": None,
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    }


def assignment(a: AppRoleAssignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "deletedDateTime": None,
        "appRoleId": a.app_role_id,
        "createdDateTime": a.created,
        "principalDisplayName": a.principal_display_name,
        "principalId": a.principal_id,
        "principalType": a.principal_type,
        "resourceDisplayName": a.resource_display_name,
        "resourceId": a.resource_id,
    }


def directory_object(obj: User | Group | ServicePrincipal | Application) -> dict[str, Any]:
    """A member of a group (or an owner, an owned object), typed with ``@odata.type`` as Graph types
    directoryObject collections."""
    if isinstance(obj, User):
        return {"@odata.type": "#microsoft.graph.user", **project(user(obj), None, USER)}
    if isinstance(obj, Group):
        return {"@odata.type": "#microsoft.graph.group", **group(obj)}
    if isinstance(obj, Application):
        return {"@odata.type": "#microsoft.graph.application", **application(obj)}
    return {"@odata.type": "#microsoft.graph.servicePrincipal", **service_principal(obj)}


def _info() -> dict[str, Any]:
    return {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None,
            "termsOfServiceUrl": None}


def _verified_publisher() -> dict[str, Any]:
    return {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


# -- what $filter and $select may name on each type --------------------------------------------------------
_SAMPLE_ID = "00000000-0000-0000-0000-000000000000"
_APP_KEYS = frozenset(application(Application("", _SAMPLE_ID, _SAMPLE_ID, "", (), (), None, "")))
_SP_KEYS = frozenset(service_principal(ServicePrincipal("", _SAMPLE_ID, _SAMPLE_ID, "", "Application", (), False,
                                                        True, "")))
_USER_KEYS = frozenset(user(User("", _SAMPLE_ID, "", "", True, "")))
_GROUP_KEYS = frozenset(group(Group("", _SAMPLE_ID, "", None, "", True, "")))
_ASSIGNMENT_KEYS = frozenset(assignment(AppRoleAssignment("", "", _SAMPLE_ID, _SAMPLE_ID, "User", "", _SAMPLE_ID,
                                                          "", "")))

APPLICATION = Entity("microsoft.graph.application", _APP_KEYS, {
    "id": "guid", "appId": "guid", "displayName": "string", "identifierUris": "strings",
    "signInAudience": "string",
}, fields={"id": "id", "appId": "app_id", "displayName": "name_key", "identifierUris": "identifier_uri"})
SERVICE_PRINCIPAL = Entity("microsoft.graph.servicePrincipal", _SP_KEYS, {
    "id": "guid", "appId": "guid", "displayName": "string", "servicePrincipalType": "string",
    "servicePrincipalNames": "strings", "alternativeNames": "strings", "accountEnabled": "bool",
    "appRoleAssignmentRequired": "bool", "appOwnerOrganizationId": "guid",
}, fields={"id": "id", "appId": "app_id", "displayName": "name_key"})
USER = Entity("microsoft.graph.user", _USER_KEYS, {
    "id": "guid", "displayName": "string", "userPrincipalName": "string", "mail": "string",
    "accountEnabled": "bool",
}, default=_USER_KEYS - {"accountEnabled", "createdDateTime", "deletedDateTime"},
    fields={"id": "id", "displayName": "name_key", "userPrincipalName": "upn_key"})
GROUP = Entity("microsoft.graph.group", _GROUP_KEYS, {
    "id": "guid", "displayName": "string", "mailNickname": "string", "securityEnabled": "bool",
    "mailEnabled": "bool",
}, fields={"id": "id", "displayName": "name_key"})
APP_ROLE_ASSIGNMENT = Entity("microsoft.graph.appRoleAssignment", _ASSIGNMENT_KEYS, {
    "id": "string", "principalId": "guid", "resourceId": "guid", "appRoleId": "guid", "principalType": "string",
    "principalDisplayName": "string", "resourceDisplayName": "string",
}, fields={"principalId": "principal_id", "resourceId": "resource_id", "appRoleId": "app_role_id"})
DIRECTORY_OBJECT = Entity("microsoft.graph.directoryObject", _USER_KEYS | _GROUP_KEYS | _SP_KEYS | _APP_KEYS, {
    "id": "guid", "displayName": "string",
})
