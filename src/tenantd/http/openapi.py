"""The OpenAPI 3.1 document of the Graph v1.0 API as tenantd serves it, built from the tables in this module.

It is served at ``/_tenantd/openapi.json`` (no token needed: it holds no tenant data). The tables name every
path and method that ``graph/routes.py`` mounts under /v1.0, the JSON shape of every resource as
``graph/serialize.py`` writes it, and the permissions from ``graph/access.py``; tests compare the paths
with the mounted routes and the property names with the serializers, and fuzz the live API against the
document, so a change to one that is not made to the other fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.credentials import MAX_FEDERATED_CREDENTIALS
from .bodies import MAX_BODY
from .graph import access, audit, directory_audits, odata
from .graph.credentials import FEDERATED_CREDENTIAL
from .graph.serialize import APP_ROLE_ASSIGNMENT, APPLICATION, GROUP, SERVICE_PRINCIPAL, USER
from .graph.serialize import DIRECTORY_OBJECT as DIRECTORY_OBJECT_ENTITY
from .limits import MAX_HEAD

Schema = dict[str, Any]

GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


# -- JSON Schema building blocks -------------------------------------------------------------------------
def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    if "$ref" in schema or "const" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    either = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        either["enum"] = [*schema["enum"], None]
    return either


def array(items: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": items, **more}


def obj(properties: Mapping[str, Schema], *, required: tuple[str, ...] = (), closed: bool = True,
        annotations: bool = False, description: str | None = None) -> Schema:
    """An object schema; ``closed`` ones refuse unlisted properties (but ``@odata.*`` ones with ``annotations``)."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = list(required)
    if annotations:
        schema["patternProperties"] = {"^@odata\\.": {}}
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING: Schema = {"type": "string"}
TEXT: Schema = nullable(STRING)
BOOL: Schema = {"type": "boolean"}
INTEGER: Schema = {"type": "integer"}
GUID: Schema = {"type": "string", "pattern": GUID_PATTERN, "description": "An object id (GUID)."}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
NULL: Schema = {"type": "null"}
STRINGS: Schema = array(STRING)
EMPTY_LIST: Schema = array({}, maxItems=0)
NON_BLANK: Schema = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "\\S"}


def odata_type(type_name: str) -> Schema:
    return {"type": "string", "enum": [f"#{type_name}", type_name], "description": "Optional; names the type."}


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
    "signInAudience": {"type": "string", "enum": ["AzureADMyOrg"]}, "tags": STRINGS,
    "tokenEncryptionKeyId": TEXT, "defaultRedirectUri": TEXT, "optionalClaims": nullable({"type": "object"}),
    "addIns": EMPTY_LIST,
    "api": obj({"acceptMappedClaims": nullable(BOOL), "knownClientApplications": EMPTY_LIST,
                "requestedAccessTokenVersion": nullable({"type": "integer", "enum": [1, 2]}),
                "oauth2PermissionScopes": EMPTY_LIST, "preAuthorizedApplications": EMPTY_LIST}),
    "appRoles": array(ref("appRole")), "info": _INFO, "keyCredentials": array(ref("keyCredential")),
    "parentalControlSettings": obj({"countriesBlockedForMinors": STRINGS, "legalAgeGroupRule": STRING}),
    "passwordCredentials": array(ref("passwordCredential")), "publicClient": obj({"redirectUris": STRINGS}),
    "requiredResourceAccess": EMPTY_LIST, "verifiedPublisher": _VERIFIED_PUBLISHER,
    "web": obj({"homePageUrl": TEXT, "logoutUrl": TEXT, "redirectUris": STRINGS, "redirectUriSettings": EMPTY_LIST,
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
    "appRoles": array(ref("appRole")), "keyCredentials": EMPTY_LIST, "oauth2PermissionScopes": EMPTY_LIST,
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
FEDERATED_CREDENTIAL_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "audiences": STRINGS, "description": TEXT, "issuer": STRING, "name": STRING, "subject": STRING,
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
                                             "servicePrincipalName": TEXT})), "user": NULL}),
    "targetResources": array(_AUDIT_TARGET), "additionalDetails": EMPTY_LIST,
}
SIGN_IN_PROPERTIES: dict[str, Schema] = {
    "id": GUID, "createdDateTime": DATE_TIME, "appId": TEXT, "appDisplayName": TEXT, "servicePrincipalId": TEXT,
    "servicePrincipalName": TEXT, "resourceDisplayName": TEXT, "resourceId": TEXT, "ipAddress": TEXT,
    "isInteractive": BOOL,
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
    Resource("federatedIdentityCredential", FEDERATED_CREDENTIAL, FEDERATED_CREDENTIAL_PROPERTIES,
             "name eq 'github-main'"),
    Resource("signIn", audit.SIGN_IN, SIGN_IN_PROPERTIES, "createdDateTime ge 2024-05-01T00:00:00Z",
             _LOG_FILTER.format(time="createdDateTime", text="appId, servicePrincipalId, ipAddress",
                                more="; status/errorCode eq|ne <integer>"), countable=False),
    Resource("directoryAudit", directory_audits.DIRECTORY_AUDIT, DIRECTORY_AUDIT_PROPERTIES,
             "category eq 'ApplicationManagement' and activityDateTime ge 2024-05-01T00:00:00Z",
             _LOG_FILTER.format(time="activityDateTime", text="activityDisplayName, category, operationType, "
                                "result, correlationId, initiatedBy/app/appId, initiatedBy/app/servicePrincipalId",
                                more=""), countable=False),
)
_BY_NAME = {r.name: r for r in RESOURCES}
DIRECTORY_OBJECT: Schema = {"oneOf": [
    {"allOf": [ref(name), {"type": "object", "required": ["@odata.type"],
                           "properties": {"@odata.type": {"const": f"#microsoft.graph.{name}"}}}]}
    for name in ("user", "group", "servicePrincipal")
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
        "signInAudience": {"type": "string", "enum": ["AzureADMyOrg"]},
        "keyCredentials": nullable(keys) if create else keys,   # a PATCH states the whole collection
        "api": obj({
            "@odata.type": odata_type("microsoft.graph.apiApplication"),
            "requestedAccessTokenVersion": nullable({"type": "integer", "enum": [1, 2]}),
            **{k: nullable(EMPTY_LIST) for k in ("knownClientApplications", "oauth2PermissionScopes",
                                                 "preAuthorizedApplications")},
            "acceptMappedClaims": nullable({"type": "boolean", "const": False}),
        }),
    }, required=("displayName",) if create else ())


_FIC_NAME: Schema = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$"}
_FIC_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 600}


def _federated_credential_write(*, create: bool) -> Schema:
    return obj({
        "@odata.type": odata_type(FEDERATED_CREDENTIAL.type_name),
        "name": _FIC_NAME,
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
    "federatedIdentityCredentialCreate": _federated_credential_write(create=True),
    "federatedIdentityCredentialUpdate": _federated_credential_write(create=False),
}


# -- operations ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One method on one path: what it does, who may call it, what it takes and what it answers."""

    summary: str
    tag: str
    permissions: tuple[str, ...]
    status: int = 200                 # on success
    result: str | None = None         # the success body: a resource name, "[resource]" for a collection
    body: str | None = None           # the request body's schema (a REQUEST_BODIES name)
    query: str | None = None          # "collection" or "entity": the OData options it takes
    conflicts: bool = False           # may answer 409
    extra_statuses: tuple[int, ...] = ()


def _get(tag: str, resource: str, permissions: tuple[str, ...], what: str) -> Operation:
    return Operation(f"Get {what}", tag, permissions, result=resource, query="entity")


def _list(tag: str, resource: str, permissions: tuple[str, ...], what: str) -> Operation:
    return Operation(f"List {what}", tag, permissions, result=f"[{resource}]", query="collection")


def _create(tag: str, resource: str, body: str, permissions: tuple[str, ...], what: str, *,
            conflicts: bool = False) -> Operation:
    return Operation(f"Create {what}", tag, permissions, 201, resource, body, conflicts=conflicts)


def _no_content(summary: str, tag: str, permissions: tuple[str, ...], body: str | None = None) -> Operation:
    return Operation(summary, tag, permissions, 204, body=body)


Paths = dict[str, dict[str, Operation]]
_APP_R, _APP_W = access.APPLICATION_READ, access.APPLICATION_WRITE


def _application_paths(prefix: str) -> Paths:
    one = {"GET": _get("applications", "application", _APP_R, "an application"),
           "PATCH": _no_content("Update an application", "applications", _APP_W, "applicationUpdate"),
           "DELETE": _no_content("Delete an application (and its service principal)", "applications", _APP_W)}
    if "{id}" not in prefix:
        return {prefix: one}
    return {prefix: one,
            f"{prefix}/addPassword": {"POST": Operation(
                "Add a client secret (its text is shown in this answer only)", "applications", _APP_W,
                result="passwordCredential", body="addPasswordRequest")},
            f"{prefix}/removePassword": {"POST": _no_content("Remove a client secret", "applications", _APP_W,
                                                             "removePasswordRequest")}}


def _federated_credential_paths(prefix: str) -> Paths:
    tag, collection = "federatedIdentityCredentials", f"{prefix}/federatedIdentityCredentials"
    what = "federated identity credential"
    one = {"GET": _get(tag, "federatedIdentityCredential", _APP_R, f"a {what}"),
           "PATCH": _no_content(f"Update a {what}", tag, _APP_W, "federatedIdentityCredentialUpdate"),
           "DELETE": _no_content(f"Delete a {what}", tag, _APP_W)}
    by_name = {**one, "PATCH": Operation(
        f"Update a {what}, or create it (201) when none has this name", tag, _APP_W, 204,
        body="federatedIdentityCredentialUpdate", conflicts=True, extra_statuses=(201,))}
    return {
        collection: {"GET": _list(tag, "federatedIdentityCredential", _APP_R, f"an application's {what}s"),
                     "POST": _create(tag, "federatedIdentityCredential", "federatedIdentityCredentialCreate", _APP_W,
                                     f"a {what} (at most {MAX_FEDERATED_CREDENTIALS} per application)",
                                     conflicts=True)},
        f"{collection}/{{fid}}": one,
        f"{collection}(name='{{name}}')": by_name,
    }


def _assignment_paths(prefix: str, navigation: str, read: tuple[str, ...], what: str) -> Paths:
    tag = "appRoleAssignments"
    return {
        f"{prefix}/{navigation}": {
            "GET": _list(tag, "appRoleAssignment", read, what),
            "POST": _create(tag, "appRoleAssignment", "appRoleAssignmentCreate", access.ASSIGNMENT_WRITE,
                            "an app role assignment")},
        f"{prefix}/{navigation}/{{assignment_id}}": {
            "GET": _get(tag, "appRoleAssignment", read, "an app role assignment"),
            "DELETE": _no_content("Delete an app role assignment", tag, access.ASSIGNMENT_WRITE)},
    }


def _service_principal_paths(prefix: str) -> Paths:
    tag, sp_read = "servicePrincipals", access.assignment_read(_APP_R)
    return {
        prefix: {"GET": _get(tag, "servicePrincipal", _APP_R, "a service principal"),
                 "PATCH": _no_content("Update a service principal", tag, _APP_W, "servicePrincipalUpdate"),
                 "DELETE": _no_content("Delete a service principal", tag, _APP_W)},
        **_assignment_paths(prefix, "appRoleAssignedTo", sp_read, "who holds the service principal's app roles"),
        **_assignment_paths(prefix, "appRoleAssignments", sp_read, "the app roles a service principal holds"),
    }


def _paths() -> Paths:
    users, groups = "users", "groups"
    member_read, member_write = access.MEMBER_READ, access.MEMBER_WRITE
    return {
        "/applications": {"GET": _list("applications", "application", _APP_R, "applications"),
                          "POST": _create("applications", "application", "applicationCreate", _APP_W,
                                          "an application")},
        **_application_paths("/applications/{id}"),
        **_application_paths("/applications(appId='{app_id}')"),
        **_federated_credential_paths("/applications/{id}"),
        **_federated_credential_paths("/applications(appId='{app_id}')"),

        "/servicePrincipals": {
            "GET": _list("servicePrincipals", "servicePrincipal", _APP_R, "service principals"),
            "POST": _create("servicePrincipals", "servicePrincipal", "servicePrincipalCreate", _APP_W,
                            "the service principal of an application")},
        **_service_principal_paths("/servicePrincipals/{id}"),
        **_service_principal_paths("/servicePrincipals(appId='{app_id}')"),

        "/users": {"GET": _list(users, "user", access.USER_READ, "users"),
                   "POST": _create(users, "user", "userCreate", access.USER_WRITE, "a user")},
        "/users/{id}": {"GET": _get(users, "user", access.USER_READ, "a user"),
                        "PATCH": _no_content("Update a user", users, access.USER_WRITE, "userUpdate"),
                        "DELETE": _no_content("Delete a user", users, access.USER_WRITE)},
        **_assignment_paths("/users/{id}", "appRoleAssignments", access.assignment_read(access.USER_READ),
                            "the app roles a user holds"),

        "/groups": {"GET": _list(groups, "group", access.GROUP_READ, "security groups"),
                    "POST": _create(groups, "group", "groupCreate", access.GROUP_WRITE, "a security group")},
        "/groups/{id}": {"GET": _get(groups, "group", access.GROUP_READ, "a group"),
                         "DELETE": _no_content("Delete a group", groups, access.GROUP_WRITE)},
        "/groups/{id}/members": {"GET": Operation("List a group's members", groups, member_read,
                                                  result="[directoryObject]", query="collection")},
        "/groups/{id}/members/$ref": {"POST": _no_content("Add a member", groups, member_write, "referenceCreate")},
        "/groups/{id}/members/{member_id}/$ref": {"DELETE": _no_content("Remove a member", groups, member_write)},
        **_assignment_paths("/groups/{id}", "appRoleAssignments", access.assignment_read(access.GROUP_READ),
                            "the app roles a group's members hold through it"),

        "/auditLogs/signIns": {"GET": _list("auditLogs", "signIn", audit.AUDIT_READ, "sign-ins, newest first")},
        "/auditLogs/signIns/{id}": {"GET": _get("auditLogs", "signIn", audit.AUDIT_READ, "a sign-in")},
        "/auditLogs/directoryAudits": {"GET": _list("auditLogs", "directoryAudit", audit.AUDIT_READ,
                                                    "directory changes, newest first")},
        "/auditLogs/directoryAudits/{id}": {"GET": _get("auditLogs", "directoryAudit", audit.AUDIT_READ,
                                                        "a directory change")},
    }


PATHS: Paths = _paths()


# -- parameters ------------------------------------------------------------------------------------------
_USER_KEY: Schema = {"type": "string", "pattern": f"{GUID_PATTERN}|^[^/]*@[^/]*$",
                     "description": "The user's id or userPrincipalName."}
_PATH_PARAMETERS: dict[str, Schema] = {
    "id": GUID,
    "app_id": {**GUID, "description": "The application's appId."},
    "fid": {**GUID, "description": "The credential's id."},
    "name": {**_FIC_NAME, "description": "The credential's name."},
    "assignment_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$", "description": "The assignment's id."},
    "member_id": {**GUID, "description": "The member's id."},
}


def path_parameter_names(path: str) -> list[str]:
    names, rest = [], path
    while "{" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        names.append(rest[start + 1:end])
        rest = rest[end + 1:]
    return names


def _path_parameters(path: str) -> list[Schema]:
    params = []
    for name in path_parameter_names(path):
        schema = _USER_KEY if name == "id" and path.startswith("/users/") else _PATH_PARAMETERS[name]
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _parameter(name: str) -> Schema:
    return {"$ref": f"#/components/parameters/{name}"}


def _query_parameters(op: Operation) -> list[Schema]:
    if op.query is None:
        return []
    result = (op.result or "").strip("[]")
    if op.query == "entity":
        return [_parameter(f"select.{result}")]
    resource = _BY_NAME.get(result)
    counted = [_parameter("count")] if resource is None or resource.countable else []
    return [_parameter(f"filter.{result}"), _parameter(f"select.{result}"), _parameter("top"),
            _parameter("skiptoken"), *counted]


def _parameters() -> Schema:
    """The query options, once per resource where they differ."""
    found: Schema = {
        "top": {"name": "$top", "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": odata.MAX_TOP},
                "description": f"Page size (default {odata.DEFAULT_PAGE_SIZE})."},
        "skiptoken": {"name": "$skiptoken", "in": "query", "required": False,
                      "schema": {"type": "string", "maxLength": 512},
                      "description": "The continuation from a previous page's @odata.nextLink."},
        "count": {"name": "$count", "in": "query", "required": False, "schema": BOOL,
                  "description": "Include @odata.count, the number of matching objects."},
    }
    resources: list[tuple[str, odata.Entity, Resource | None]] = [(r.name, r.entity, r) for r in RESOURCES]
    for name, entity, resource in [*resources, ("directoryObject", DIRECTORY_OBJECT_ENTITY, None)]:
        found[f"select.{name}"] = {"name": "$select", "in": "query", "required": False, "schema": STRING,
                                   "description": "Comma-separated properties to return (case-insensitive): "
                                                  f"{', '.join(sorted(entity.selectable))}."}
        grammar = resource.filter_grammar if resource else None
        if grammar is None:
            filterable = ", ".join(f"{k} ({v})" for k, v in entity.filterable.items())
            grammar = ("eq/ne, startswith(p,'x'), p/any(x:x eq 'y') on collections, and/or, parentheses; "
                       f"filterable: {filterable}.")
        found[f"filter.{name}"] = {"name": "$filter", "in": "query", "required": False,
                                   "schema": {"type": "string", "maxLength": odata.MAX_FILTER_LENGTH},
                                   "description": f"An OData filter: {grammar}"}
        if resource and resource.filter_example:
            found[f"filter.{name}"]["example"] = resource.filter_example
    return found


# -- responses -------------------------------------------------------------------------------------------
_ERRORS = {400: "The request is malformed or breaks a directory rule.",
           401: "No token, or a token that is invalid, expired, or not for Microsoft Graph.",
           403: "The token lacks every permission the operation accepts.",
           404: "The object does not exist in the caller's tenant.",
           409: "An object with the same key already exists.",
           413: f"The request body is larger than {MAX_BODY // 1024} KB.",
           431: f"The request line and headers are larger than {MAX_HEAD // 1024} KB (refused before Graph).",
           503: "The store cannot be reached; retry after Retry-After seconds."}
_REQUEST_ID = {"request-id": {"required": True, "schema": STRING, "description": "Quote it when reporting."}}


def _error_response(status: int) -> Schema:
    if status == 431:
        return {"description": _ERRORS[status], "content": {"application/json": {"schema": ref("headTooLarge")}}}
    response: Schema = {"description": _ERRORS[status], "headers": dict(_REQUEST_ID),
                        "content": {"application/json": {"schema": ref("error")}}}
    if status == 401:
        response["headers"]["WWW-Authenticate"] = {"required": True, "schema": STRING}
    if status == 503:
        response["headers"]["Retry-After"] = {"required": True, "schema": STRING}
    return response


def _body_schema(result: str) -> Schema:
    if result.startswith("["):
        return ref(result.strip("[]") + "Collection")
    return {"allOf": [ref(result), {"type": "object", "required": ["@odata.context"]}]}


def _success(op: Operation, status: int) -> Schema:
    if status == 204:
        return {"description": "Done."}
    response: Schema = {"description": "OK" if status == 200 else "Created."}
    if status == 201:
        response["headers"] = {"Location": {"required": True, "schema": STRING,
                                            "description": "The new object's URL."}}
    if op.result is not None:
        response["content"] = {"application/json": {"schema": _body_schema(op.result)}}
    if op.result == "passwordCredential":
        response["headers"] = {"Cache-Control": {"required": True, "schema": {"const": "no-store"}}}
    return response


def _operation(path: str, method: str, op: Operation) -> Schema:
    statuses = [400, 401, 403, 404]
    if op.conflicts:
        statuses.append(409)
    if op.body is not None:
        statuses.append(413)
    statuses += [431, 503]
    responses: Schema = {str(s): _success(op, s) for s in (op.status, *op.extra_statuses)}
    responses.update({str(s): {"$ref": f"#/components/responses/error{s}"} for s in statuses})
    operation: Schema = {
        "operationId": f"{method.lower()} {path}",
        "summary": op.summary, "tags": [op.tag],
        "description": "Application permissions (any one of): " + ", ".join(op.permissions) + ".",
        "parameters": _path_parameters(path) + _query_parameters(op),
        "responses": responses,
        "x-permissions": list(op.permissions),
    }
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": ref(op.body)}}}
    return operation


def _components() -> Schema:
    schemas: Schema = {r.name: r.schema() for r in RESOURCES}
    schemas.update({"appRole": APP_ROLE, "passwordCredential": PASSWORD_CREDENTIAL, "keyCredential": KEY_CREDENTIAL,
                    "directoryObject": DIRECTORY_OBJECT})
    for name in [*(r.name for r in RESOURCES), "directoryObject"]:
        schemas[f"{name}Collection"] = obj({
            "@odata.context": STRING, "@odata.count": {"type": "integer", "minimum": 0},
            "@odata.nextLink": STRING, "value": array(ref(name)),
        }, required=("@odata.context", "value"), annotations=True)
    schemas["error"] = obj({"error": obj({
        "code": STRING, "message": STRING,
        "innerError": obj({"date": STRING, "request-id": STRING, "client-request-id": STRING}),
    }, required=("code", "message"))}, required=("error",), description="Graph's error envelope.")
    schemas["headTooLarge"] = obj({"error": {"const": "invalid_request"}, "error_description": STRING},
                                  required=("error",), description="The listener's refusal of an oversized head.")
    schemas.update(REQUEST_BODIES)
    bearer = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
              "description": "An access token for Microsoft Graph (scope https://graph.microsoft.com/.default) from "
                             "this server's token endpoint; its roles are the application permissions granted to "
                             "the caller's service principal on Microsoft Graph."}
    return {"schemas": schemas, "parameters": _parameters(),
            "responses": {f"error{status}": _error_response(status) for status in _ERRORS},
            "securitySchemes": {"bearer": bearer}}


@cache
def document(public_url: str) -> dict[str, Any]:
    """The whole document for a server known to its clients as ``public_url``."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "tenantd Microsoft Graph v1.0", "version": version("tenantd"),
                 "description": "The subset of Microsoft Graph v1.0 that tenantd serves: applications, service "
                                "principals, users, security groups, app role assignments, federated identity "
                                "credentials and the sign-in log. Errors use Graph's envelope."},
        "servers": [{"url": public_url.rstrip("/") + "/v1.0"}],
        "security": [{"bearer": []}],
        "paths": {path: {method.lower(): _operation(path, method, op) for method, op in methods.items()}
                  for path, methods in PATHS.items()},
        "components": _components(),
    }


async def serve(request: Request) -> Response:
    return JSONResponse(document(request.app.state.runtime.public_url))
