"""The JSON Schemas of the OpenAPI document: every resource as ``graph/serialize.py`` writes it, and the
request bodies the routes take."""

from __future__ import annotations

from dataclasses import dataclass

from ...domain.domain_names import NAME_PATTERN
from ..graph import audit, directory_audits, odata
from ..graph.credentials import FEDERATED_CREDENTIAL
from ..graph.domains import DOMAIN
from ..graph.grants import OAUTH2_PERMISSION_GRANT
from ..graph.policies import AUTHORIZATION_POLICY
from ..graph.role_serialize import DIRECTORY_ROLE, DIRECTORY_ROLE_TEMPLATE, ROLE_ASSIGNMENT, ROLE_DEFINITION
from ..graph.serialize import APP_ROLE_ASSIGNMENT, APPLICATION, GROUP, SERVICE_PRINCIPAL, USER
from . import policy_schemas
from . import registration_schemas as reg
from . import role_schemas as roles
from .blocks import (
    BOOL,
    DATE_TIME,
    EMPTY_LIST,
    GUID,
    INTEGER,
    NON_BLANK,
    NULL,
    STRING,
    STRINGS,
    TEXT,
    Schema,
    array,
    nullable,
    obj,
    odata_type,
    ref,
)

# -- the resources, as serialize.py writes them ----------------------------------------------------------
APP_ROLE = obj({
    "allowedMemberTypes": array({"type": "string", "enum": ["Application", "User"]}),
    "description": STRING, "displayName": STRING, "id": GUID, "isEnabled": BOOL, "origin": STRING,
    "value": TEXT,
})
PASSWORD_CREDENTIAL = obj(annotations=True, properties={
    "customKeyIdentifier": TEXT, "displayName": TEXT, "endDateTime": DATE_TIME, "hint": STRING, "keyId": GUID,
    "secretText": {**TEXT, "description": "The secret, in addPassword's answer only; null everywhere else."},
    "startDateTime": DATE_TIME,
})
KEY_CREDENTIAL = obj({
    "customKeyIdentifier": TEXT, "displayName": TEXT, "endDateTime": DATE_TIME, "key": TEXT, "keyId": GUID,
    "startDateTime": DATE_TIME, "type": STRING, "usage": STRING,
})
_INFO = obj({k: TEXT for k in ("logoUrl", "marketingUrl", "privacyStatementUrl", "supportUrl",
                               "termsOfServiceUrl")})
_VERIFIED_PUBLISHER = obj({"displayName": TEXT, "verifiedPublisherId": TEXT, "addedDateTime": TEXT})

APPLICATION_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "deletedDateTime": TEXT, "appId": GUID, "applicationTemplateId": TEXT,
    "createdDateTime": DATE_TIME, "description": TEXT, "disabledByMicrosoftStatus": TEXT, "displayName": STRING,
    "groupMembershipClaims": TEXT, "identifierUris": STRINGS, "isDeviceOnlyAuthSupported": nullable(BOOL),
    "isFallbackPublicClient": nullable(BOOL), "notes": TEXT, "serviceManagementReference": TEXT,
    "signInAudience": reg.SIGN_IN_AUDIENCE, "tags": STRINGS,
    "tokenEncryptionKeyId": TEXT, "defaultRedirectUri": TEXT, "optionalClaims": reg.OPTIONAL_CLAIMS,
    "addIns": EMPTY_LIST,
    "api": obj({"acceptMappedClaims": nullable(BOOL), "knownClientApplications": EMPTY_LIST,
                "requestedAccessTokenVersion": nullable({"type": "integer", "enum": [1, 2]}),
                "oauth2PermissionScopes": array(ref("permissionScope")),
                "preAuthorizedApplications": array(reg.PRE_AUTHORIZED_APPLICATION)}),
    "appRoles": array(ref("appRole")), "info": _INFO, "keyCredentials": array(ref("keyCredential")),
    "parentalControlSettings": obj({"countriesBlockedForMinors": STRINGS, "legalAgeGroupRule": STRING}),
    "passwordCredentials": array(ref("passwordCredential")), "publicClient": obj({"redirectUris": STRINGS}),
    "requiredResourceAccess": array(reg.REQUIRED_RESOURCE_ACCESS), "verifiedPublisher": _VERIFIED_PUBLISHER,
    "web": obj({"homePageUrl": TEXT, "logoutUrl": TEXT, "redirectUris": STRINGS,
                "redirectUriSettings": array(reg.REDIRECT_URI_SETTING),
                "implicitGrantSettings": obj({"enableAccessTokenIssuance": BOOL, "enableIdTokenIssuance": BOOL})}),
    "spa": obj({"redirectUris": STRINGS}),
}
SERVICE_PRINCIPAL_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "deletedDateTime": TEXT, "accountEnabled": BOOL, "alternativeNames": STRINGS,
    "appDisplayName": TEXT, "appDescription": TEXT, "appId": GUID, "applicationTemplateId": TEXT,
    "appOwnerOrganizationId": nullable(GUID), "appRoleAssignmentRequired": BOOL, "description": TEXT,
    "disabledByMicrosoftStatus": TEXT, "displayName": STRING, "homepage": TEXT, "loginUrl": TEXT,
    "logoutUrl": TEXT, "notes": TEXT, "notificationEmailAddresses": STRINGS, "preferredSingleSignOnMode": TEXT,
    "preferredTokenSigningKeyThumbprint": TEXT, "replyUrls": STRINGS, "servicePrincipalNames": STRINGS,
    "servicePrincipalType": {"type": "string", "enum": ["Application", "ManagedIdentity"]},
    "signInAudience": nullable({"type": "string", "enum": ["AzureADMyOrg", "AzureADMultipleOrgs"]}),
    "tags": STRINGS, "tokenEncryptionKeyId": TEXT, "info": _INFO, "addIns": EMPTY_LIST,
    "appRoles": array(ref("appRole")), "keyCredentials": EMPTY_LIST,
    "oauth2PermissionScopes": array(ref("permissionScope")),
    "passwordCredentials": EMPTY_LIST, "resourceSpecificApplicationPermissions": EMPTY_LIST,
    "verifiedPublisher": _VERIFIED_PUBLISHER,
}
USER_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "businessPhones": STRINGS, "displayName": STRING, "givenName": TEXT, "jobTitle": TEXT,
    "mail": TEXT, "mobilePhone": TEXT, "officeLocation": TEXT, "preferredLanguage": TEXT, "surname": TEXT,
    "userPrincipalName": STRING, "accountEnabled": BOOL, "createdDateTime": DATE_TIME, "deletedDateTime": TEXT,
}
GROUP_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "deletedDateTime": TEXT, "classification": TEXT, "createdDateTime": DATE_TIME,
    "creationOptions": STRINGS, "description": TEXT, "displayName": STRING, "expirationDateTime": TEXT,
    "groupTypes": STRINGS, "isAssignableToRole": nullable(BOOL), "mail": TEXT, "mailEnabled": BOOL,
    "mailNickname": STRING, "membershipRule": TEXT, "membershipRuleProcessingState": TEXT,
    "preferredDataLocation": TEXT, "preferredLanguage": TEXT, "proxyAddresses": STRINGS,
    "renewedDateTime": DATE_TIME, "resourceBehaviorOptions": STRINGS, "resourceProvisioningOptions": STRINGS,
    "securityEnabled": BOOL, "securityIdentifier": TEXT, "theme": TEXT, "visibility": TEXT,
    "onPremisesProvisioningErrors": EMPTY_LIST, "serviceProvisioningErrors": EMPTY_LIST,
}
APP_ROLE_ASSIGNMENT_PROPERTIES: dict[str, Schema] = {
    "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}, "deletedDateTime": TEXT, "appRoleId": GUID,
    "createdDateTime": DATE_TIME, "principalDisplayName": TEXT, "principalId": GUID,
    "principalType": {"type": "string", "enum": ["User", "Group", "ServicePrincipal"]},
    "resourceDisplayName": TEXT, "resourceId": GUID,
}
GRANT_ID: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$|^[A-Za-z0-9_-]{64}$",
                    "description": "base64url of the client's, the resource's and (one user's grant) the user's ids."}
CONSENT_TYPE: Schema = {"type": "string", "enum": ["AllPrincipals", "Principal"]}
GRANT_SCOPE: Schema = {"type": "string", "maxLength": 3850,
                       "description": "Scope values the resource offers, separated by spaces."}
OAUTH2_PERMISSION_GRANT_PROPERTIES: dict[str, Schema] = {
    "id": GRANT_ID, "clientId": GUID, "consentType": CONSENT_TYPE, "principalId": nullable(GUID), "resourceId": GUID,
    "scope": STRING,
}
FEDERATED_CREDENTIAL_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "audiences": STRINGS, "description": TEXT, "issuer": STRING, "name": STRING, "subject": STRING,
}
DOMAIN_NAME: Schema = {"type": "string", "maxLength": 253, "pattern": NAME_PATTERN,
                       "description": "A DNS name (any case; kept in lower case)."}
DOMAIN_PROPERTIES: dict[str, Schema] = {
    "authenticationType": {"const": "Managed"}, "availabilityStatus": NULL, "id": DOMAIN_NAME,
    "isAdminManaged": BOOL, "isDefault": BOOL, "isInitial": BOOL, "isRoot": BOOL, "isVerified": {"const": True},
    "passwordNotificationWindowInDays": INTEGER, "passwordValidityPeriodInDays": INTEGER,
    "supportedServices": STRINGS, "state": NULL,
}
_AUDIT_TARGET = obj({
    "id": STRING, "displayName": TEXT, "type": STRING, "userPrincipalName": TEXT, "groupType": TEXT,
    "modifiedProperties": array(obj({"displayName": STRING, "oldValue": TEXT, "newValue": TEXT})),
})
DIRECTORY_AUDIT_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "category": STRING, "correlationId": STRING, "result": STRING, "resultReason": STRING,
    "activityDisplayName": STRING, "activityDateTime": DATE_TIME, "loggedByService": STRING,
    "operationType": STRING,
    "initiatedBy": obj({"app": nullable(obj({"appId": TEXT, "displayName": TEXT, "servicePrincipalId": TEXT,
                                             "servicePrincipalName": TEXT})),
                           "user": nullable(obj({"id": STRING, "displayName": TEXT, "ipAddress": TEXT,
                                                 "userPrincipalName": TEXT}))}),
    "targetResources": array(_AUDIT_TARGET), "additionalDetails": EMPTY_LIST,
}
SIGN_IN_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "createdDateTime": DATE_TIME, "appId": TEXT, "appDisplayName": TEXT, "servicePrincipalId": TEXT,
    "servicePrincipalName": TEXT, "userId": TEXT, "userPrincipalName": TEXT, "resourceDisplayName": TEXT,
    "resourceId": TEXT, "ipAddress": TEXT, "isInteractive": BOOL,
    "status": obj({"errorCode": INTEGER, "failureReason": TEXT, "additionalDetails": TEXT}),
    "tenantdRoles": {**STRINGS, "description": "The roles the issued token carried (tenantd's own)."},
    "tenantdKind": {**STRING, "description": "The grant: client_credentials, managed_identity, impersonation..."},
    "tenantdCount": {**INTEGER, "description": "How many identical sign-ins within a minute the entry stands for "
                                               "(tenantd's own)."},
    "tenantdLastDateTime": {**DATE_TIME, "description": "When the last of them was; createdDateTime is the first."},
}


_LOG_FILTER = ("a conjunction (and, parentheses) of: {time} ge|gt|le|lt <date and time, unquoted>; "
               "{text} eq|ne '<text>'{more}.")


@dataclass(frozen=True)
class Resource:
    """A resource type: the query facts the endpoints use, and the schema of its properties."""

    name: str                       # component name, e.g. "application"
    entity: odata.Entity
    properties: dict[str, Schema]
    filter_example: str | None = None
    filter_grammar: str | None = None   # the logs' own $filter language (None: the directory's)
    countable: bool = True              # takes $count

    def schema(self) -> Schema:
        return obj(self.properties, annotations=True, description=f"#{self.entity.type_name}")


RESOURCES = (
    Resource("application", APPLICATION, APPLICATION_PROPERTIES, "startswith(displayName,'Things')"),
    Resource("servicePrincipal", SERVICE_PRINCIPAL, SERVICE_PRINCIPAL_PROPERTIES,
             "servicePrincipalNames/any(n:n eq 'api://things')"),
    Resource("user", USER, USER_PROPERTIES, "userPrincipalName eq 'ada@example.com'"),
    Resource("group", GROUP, GROUP_PROPERTIES, "displayName eq 'Readers'"),
    Resource("appRoleAssignment", APP_ROLE_ASSIGNMENT, APP_ROLE_ASSIGNMENT_PROPERTIES,
             "principalType eq 'ServicePrincipal'"),
    Resource("oAuth2PermissionGrant", OAUTH2_PERMISSION_GRANT, OAUTH2_PERMISSION_GRANT_PROPERTIES,
             "consentType eq 'AllPrincipals'"),
    Resource("federatedIdentityCredential", FEDERATED_CREDENTIAL, FEDERATED_CREDENTIAL_PROPERTIES,
             "name eq 'github-main'"),
    Resource("domain", DOMAIN, DOMAIN_PROPERTIES, "isInitial eq false"),
    Resource("signIn", audit.SIGN_IN, SIGN_IN_PROPERTIES, "createdDateTime ge 2024-05-01T00:00:00Z",
             _LOG_FILTER.format(time="createdDateTime", text="appId, servicePrincipalId, ipAddress",
                                more="; status/errorCode eq|ne <integer>"), countable=False),
    Resource("directoryAudit", directory_audits.DIRECTORY_AUDIT, DIRECTORY_AUDIT_PROPERTIES,
             "category eq 'ApplicationManagement' and activityDateTime ge 2024-05-01T00:00:00Z",
             _LOG_FILTER.format(time="activityDateTime", text="activityDisplayName, category, operationType, "
                                "result, correlationId, initiatedBy/app/appId, initiatedBy/app/servicePrincipalId, "
                                "initiatedBy/user/id",
                                more=""), countable=False),
    Resource("unifiedRoleDefinition", ROLE_DEFINITION, roles.ROLE_DEFINITION_PROPERTIES,
             "displayName eq 'Global Administrator'"),
    Resource("unifiedRoleAssignment", ROLE_ASSIGNMENT, roles.ROLE_ASSIGNMENT_PROPERTIES,
             "principalId eq '00000000-0000-0000-0000-000000000000'"),
    Resource("directoryRole", DIRECTORY_ROLE, roles.DIRECTORY_ROLE_PROPERTIES,
             "roleTemplateId eq '62e90394-69f5-4237-9190-012177145e10'"),
    Resource("directoryRoleTemplate", DIRECTORY_ROLE_TEMPLATE, roles.DIRECTORY_ROLE_TEMPLATE_PROPERTIES,
             "displayName eq 'Global Administrator'"),
    Resource("authorizationPolicy", AUTHORIZATION_POLICY, policy_schemas.AUTHORIZATION_POLICY_PROPERTIES),
)
BY_NAME = {r.name: r for r in RESOURCES}
DIRECTORY_OBJECT: Schema = {"oneOf": [
    {"allOf": [ref(name), {"type": "object", "required": ["@odata.type"],
                           "properties": {"@odata.type": {"const": f"#microsoft.graph.{name}"}}}]}
    for name in ("user", "group", "servicePrincipal", "application")
]}


# -- request bodies --------------------------------------------------------------------------------------
_IDENTIFIER_URI: Schema = {
    "type": "string", "maxLength": 256,
    "pattern": "^(?:[aA][pP][iI]|[hH][tT][tT][pP][sS]?|[mM][sS]-[aA][pP][pP][xX])://[^\\s/?#]+[^\\s?#]*$"
               "|^[uU][rR][nN]:[^\\s?#]+$",
    "description": "api://, https://, http://, ms-appx:// or urn: with no query or fragment.",
}
_APP_ROLE_WRITE = obj({
    "id": {**GUID, "not": {"const": "00000000-0000-0000-0000-000000000000"}},
    "value": nullable({"type": "string", "maxLength": 249, "pattern": "^[!#-\\[\\]-~]+$"}),
    "displayName": NON_BLANK, "description": TEXT,
    "allowedMemberTypes": array({"type": "string", "enum": ["Application", "User"]}, minItems=1),
    "isEnabled": BOOL, "origin": TEXT,
}, required=("id", "displayName", "allowedMemberTypes"), closed=False)
_KEY_CREDENTIAL_WRITE = obj({
    "@odata.type": odata_type("microsoft.graph.keyCredential"),
    "key": nullable({"type": "string", "description": "Base64 of a DER or PEM X.509 certificate holding an RSA "
                                                      "key (2048 bits or more), or PEM text."}),
    "keyId": nullable(GUID), "displayName": nullable({"type": "string", "maxLength": 256}),
    "startDateTime": nullable(DATE_TIME), "endDateTime": nullable(DATE_TIME), "customKeyIdentifier": TEXT,
    "type": {"type": "string", "enum": ["AsymmetricX509Cert"]}, "usage": {"type": "string", "enum": ["Verify"]},
}, description="A certificate. An entry naming a current keyId without a key keeps that certificate.")


def _application_write(*, create: bool) -> Schema:
    keys = array(_KEY_CREDENTIAL_WRITE, maxItems=50)
    return obj({
        "@odata.type": odata_type(APPLICATION.type_name),
        "displayName": NON_BLANK,
        "identifierUris": array(_IDENTIFIER_URI, uniqueItems=True),
        "appRoles": array(_APP_ROLE_WRITE),
        "keyCredentials": nullable(keys) if create else keys,   # a PATCH states the whole collection
        **reg.APPLICATION_WRITE,
        "api": obj({
            "@odata.type": odata_type("microsoft.graph.apiApplication"),
            "requestedAccessTokenVersion": nullable({"type": "integer", "enum": [1, 2]}),
            "knownClientApplications": nullable(EMPTY_LIST), **reg.API_WRITE,
            "acceptMappedClaims": nullable({"type": "boolean", "const": False}),
        }),
    }, required=("displayName",) if create else ())


FIC_NAME: Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$"}
_FIC_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 600}


def _federated_credential_write(*, create: bool) -> Schema:
    return obj({
        "@odata.type": odata_type(FEDERATED_CREDENTIAL.type_name),
        "name": FIC_NAME,
        "issuer": {**_FIC_TEXT, "pattern": "^https://[^\\s@/?#]+[^\\s#]*$", "description": "An https URL."},
        "subject": {**_FIC_TEXT, "description": "Printable text, compared exactly with the token's sub."},
        "audiences": nullable(array({**_FIC_TEXT, "pattern": "^\\S+$"}, minItems=1, maxItems=1)),
        "description": nullable({"type": "string", "maxLength": 600}),
    }, required=("name", "issuer", "subject") if create else ())


_SECRET_TIME: Schema = {**DATE_TIME, "description": "Between the years 1900 and 9000."}
REQUEST_BODIES: dict[str, Schema] = {
    "applicationCreate": _application_write(create=True),
    "applicationUpdate": _application_write(create=False),
    "addPasswordRequest": obj({"passwordCredential": nullable(obj({
        "@odata.type": odata_type("microsoft.graph.passwordCredential"),
        "displayName": TEXT, "startDateTime": nullable(_SECRET_TIME), "endDateTime": nullable(_SECRET_TIME),
    }))}),
    "removePasswordRequest": obj({"keyId": GUID}, required=("keyId",)),
    "servicePrincipalCreate": obj({"@odata.type": odata_type(SERVICE_PRINCIPAL.type_name), "appId": GUID,
                                   "appRoleAssignmentRequired": BOOL, "accountEnabled": BOOL},
                                  required=("appId",)),
    "servicePrincipalUpdate": obj({"@odata.type": odata_type(SERVICE_PRINCIPAL.type_name),
                                   "appRoleAssignmentRequired": BOOL, "accountEnabled": BOOL}),
    "userCreate": obj({
        "@odata.type": odata_type(USER.type_name),
        "userPrincipalName": {"type": "string", "maxLength": 256, "pattern": "^[^@ ]*@[^@ ]*$"},
        "displayName": NON_BLANK, "accountEnabled": BOOL, "mail": TEXT, "mailNickname": TEXT,
        "passwordProfile": nullable({"type": "object", "description": "Accepted, not kept: users do not sign in."}),
    }, required=("userPrincipalName", "displayName")),
    "userUpdate": obj({"@odata.type": odata_type(USER.type_name), "displayName": NON_BLANK,
                       "accountEnabled": BOOL}),
    "groupCreate": obj({
        "@odata.type": odata_type(GROUP.type_name), "displayName": NON_BLANK, "description": TEXT,
        "mailNickname": TEXT, "securityEnabled": {"const": True}, "mailEnabled": {"const": False},
        "groupTypes": EMPTY_LIST,
    }, required=("displayName",), description="Only security groups exist in tenantd."),
    "referenceCreate": obj({"@odata.id": {
        "type": "string", "pattern": "/(directoryObjects|users|groups|servicePrincipals)/[^/]+$",
        "description": "The member's URL, e.g. https://graph.microsoft.com/v1.0/directoryObjects/{id}."}},
        required=("@odata.id",)),
    "appRoleAssignmentCreate": obj({"@odata.type": odata_type(APP_ROLE_ASSIGNMENT.type_name), "principalId": GUID,
                                    "resourceId": GUID, "appRoleId": GUID},
                                   required=("principalId", "resourceId", "appRoleId")),
    "oAuth2PermissionGrantCreate": obj({
        "@odata.type": odata_type(OAUTH2_PERMISSION_GRANT.type_name), "clientId": GUID, "consentType": CONSENT_TYPE,
        "principalId": {**nullable(GUID), "description": "The user of a Principal grant; null for AllPrincipals."},
        "resourceId": GUID, "scope": nullable(GRANT_SCOPE),
    }, required=("clientId", "consentType", "resourceId")),
    "oAuth2PermissionGrantUpdate": obj({"@odata.type": odata_type(OAUTH2_PERMISSION_GRANT.type_name),
                                        "scope": GRANT_SCOPE}),
    "domainCreate": obj({"@odata.type": odata_type(DOMAIN.type_name), "id": DOMAIN_NAME}, required=("id",),
                        description="The domain to add; tenantd verifies it at once."),
    "federatedIdentityCredentialCreate": _federated_credential_write(create=True),
    "federatedIdentityCredentialUpdate": _federated_credential_write(create=False),
    **roles.REQUEST_BODIES,
    **policy_schemas.REQUEST_BODIES,
}


