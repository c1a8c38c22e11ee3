"""The tenant file's JSON Schema (draft 2020-12), as ``tenantd schema`` prints it.

Field names follow the application manifest and Microsoft Graph. GUIDs are checked by shape only (any
8-4-4-4-12 hex text, whatever its version and variant bits), so the schema uses a pattern, not
``format: uuid``. Objects reject unknown properties so that a typo is an error, not a silent no-op.
"""

from __future__ import annotations

import copy
from typing import Any

from ..domain.domain_names import MAX_NAME, NAME_PATTERN
from . import schema_registration as registration

GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ROLE_VALUE_PATTERN = "^[!#-\\[\\]-~]+$"  # printable ASCII without space, '"' or '\'
RESOURCE_ID_PATTERN = "^/subscriptions/[^/]+/[Rr]esource[Gg]roups/[^/]+/providers/[^/]+/[^/]+/.*[^/]$"
UPN_PATTERN = "^[^@\\s]+@[^@\\s]+$"
FIC_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$"
HTTPS_PATTERN = "^https://[^\\s]+$"
ENV_NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"
SCOPE_PATTERN = "^[^\\s]+$"
# What each pattern means, for error messages that do not quote a regular expression at the reader.
PATTERN_MEANINGS = {
    GUID_PATTERN: "is not a GUID (8-4-4-4-12 hexadecimal digits)",
    ROLE_VALUE_PATTERN: "is not a valid role value (printable ASCII without spaces, quotes or backslashes)",
    RESOURCE_ID_PATTERN: "is not an Azure resource id (/subscriptions/<id>/resourceGroups/<group>/providers/...)",
    UPN_PATTERN: "is not a user principal name (name@domain)",
    FIC_NAME_PATTERN: "is not a credential name (3 to 120 letters, digits, '-' and '_', starting with a letter or "
                      "digit)",
    HTTPS_PATTERN: "is not an https URL",
    ENV_NAME_PATTERN: "is not an environment variable name (letters, digits and '_', not starting with a digit)",
    SCOPE_PATTERN: "is not a scope value (one word, no spaces)",
    NAME_PATTERN: "is not a domain name (labels of letters, digits and inner hyphens separated by dots, the last "
                  "starting with a letter)",
}
DEFAULT_USER_ASSIGNED_SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tenantd"


def _guid(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": GUID_PATTERN, "description": description}


def _name(description: str, max_length: int = 256) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def _object(properties: dict[str, Any], required: list[str], description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, "required": required,
            "additionalProperties": False, **extra}


_REFERENCE = {
    "type": "string", "minLength": 1, "maxLength": 256,
    "description": "A name (application or service principal displayName, managed identity name, user "
                   "principal name, group displayName) or an id (object id or appId).",
}

_APP_ROLE = _object(
    {
        "allowedMemberTypes": {
            "type": "array", "minItems": 1, "uniqueItems": True,
            "items": {"enum": ["Application", "User"]},
            "description": "Application: assignable to service principals and managed identities; "
                           "User: to users and groups.",
        },
        "displayName": _name("The role's display name."),
        "id": _guid("The role id (any GUID text; the all-zero id is reserved for default access)."),
        "isEnabled": {"type": "boolean", "default": True,
                      "description": "A role must be disabled in one apply before a later apply removes it."},
        "description": {"type": ["string", "null"], "maxLength": 1024},
        "value": {"type": ["string", "null"], "pattern": ROLE_VALUE_PATTERN, "maxLength": 249,
                  "description": "The value that appears in the token's roles claim."},
        "origin": {"type": "string", "enum": ["Application"], "default": "Application"},
        "lang": {"type": ["string", "null"], "description": "Accepted from pasted manifests and ignored."},
    },
    ["allowedMemberTypes", "displayName", "id"],
    "An appRoles entry exactly as the application manifest writes it.",
)

_PASSWORD = _object(
    {
        "displayName": _name("The credential's name; apply generates the secret when no credential of "
                             "this name exists (the secret is returned once and never written here)."),
        "keyId": _guid("The credential's keyId (written by export; matches an existing credential)."),
        "hint": {"type": "string", "description": "First characters of the secret (written by export; "
                                                  "ignored by apply)."},
        "startDateTime": {"type": "string", "description": "Written by export; ignored by apply."},
        "endDateTime": {"type": "string", "minLength": 1,
                        "description": "ISO 8601 expiry of a secret apply generates (default: two years)."},
    },
    [],
    "A client secret, described by its metadata only.",
    anyOf=[{"required": ["displayName"]}, {"required": ["keyId"]}],
)

_KEY = _object(
    {
        "displayName": _name("The certificate's name (default: its subject)."),
        "key": {"type": "string", "minLength": 1, "maxLength": 32768,
                "description": "The public certificate: base64 of its DER, or its PEM text. Not a secret."},
        "keyId": _guid("The credential's keyId (written by export; matches an existing certificate)."),
        "type": {"const": "AsymmetricX509Cert"},
        "usage": {"const": "Verify", "description": "The certificate verifies the application's client assertions."},
        "startDateTime": {"type": "string", "description": "Default: the certificate's own start."},
        "endDateTime": {"type": "string", "description": "Default: the certificate's own end."},
    },
    [],
    "A certificate the application signs client assertions with (keyCredentials).",
    anyOf=[{"required": ["key"]}, {"required": ["keyId"]}],
)

_FEDERATED = _object(
    {
        "name": {"type": "string", "pattern": FIC_NAME_PATTERN,
                 "description": "The credential's name, unique on its owner: 3 to 120 letters, digits, '-' and '_'."},
        "issuer": {"type": "string", "pattern": HTTPS_PATTERN, "maxLength": 600,
                   "description": "The issuer URL, compared exactly with the token's iss (its keys are fetched "
                                  "from its OpenID Connect discovery document)."},
        "subject": {"type": "string", "minLength": 1, "maxLength": 600,
                    "description": "Compared exactly with the token's sub, e.g. system:serviceaccount:ns:name."},
        "audiences": {"type": "array", "minItems": 1, "maxItems": 1,
                      "items": {"type": "string", "minLength": 1, "maxLength": 600},
                      "description": "The audience the token must carry (default [api://AzureADTokenExchange])."},
        "description": {"type": ["string", "null"], "maxLength": 600},
    },
    ["name", "issuer", "subject"],
    "A federated identity credential: tokens of issuer about subject sign the owner in (workload identity).",
)

_FEDERATED_LIST = {"type": "array", "items": _FEDERATED, "maxItems": 20,
                   "description": "Federated identity credentials by name (at most 20)."}

_APP_SERVICE_PRINCIPAL = {
    "description": "The application's service principal: created unless this is false.",
    "oneOf": [
        {"const": False},
        _object(
            {
                "id": _guid("Optional pin of the service principal's object id."),
                "appRoleAssignmentRequired": {"type": "boolean"},
                "accountEnabled": {"type": "boolean"},
            },
            [],
            "Service principal properties.",
        ),
    ],
}

_APPLICATION = _object(
    {
        "displayName": _name("The application's name; other entries refer to it by this name."),
        "id": _guid("Optional pin of the application's object id."),
        "appId": _guid("Optional pin of the application (client) id."),
        "identifierUris": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 256},
                           "description": "App ID URIs such as api://things. Omitted: left as it is."},
        "accessTokenAcceptedVersion": {
            "enum": [None, 1, 2],
            "description": "null or 1: v1.0 access tokens; 2: v2.0 (api.requestedAccessTokenVersion).",
        },
        "appRoles": {"type": "array", "items": _APP_ROLE,
                     "description": "The manifest's appRoles. Omitted: left as they are."},
        "servicePrincipal": _APP_SERVICE_PRINCIPAL,
        "passwordCredentials": {"type": "array", "items": _PASSWORD,
                                "description": "Client secrets by name; values are never in this file."},
        "keyCredentials": {"type": "array", "items": _KEY,
                           "description": "Certificates (public parts only) for client assertions."},
        "federatedIdentityCredentials": _FEDERATED_LIST,
        **registration.PROPERTIES,
        "api": registration.API,
    },
    ["displayName"],
    "An application registration.",
)

_MANAGED_IDENTITY = _object(
    {
        "name": _name("The identity's name; other entries refer to it by this name.", 128),
        "type": {"enum": ["SystemAssigned", "UserAssigned"]},
        "host": {"type": "string", "pattern": RESOURCE_ID_PATTERN, "maxLength": 512,
                 "description": "SystemAssigned: the resource id of the host the identity belongs to."},
        "resourceId": {"type": "string", "pattern": RESOURCE_ID_PATTERN, "maxLength": 512,
                       "description": "UserAssigned: the identity's resource id (default "
                                      f"{DEFAULT_USER_ASSIGNED_SCOPE}/providers/Microsoft.ManagedIdentity/"
                                      "userAssignedIdentities/<name>)."},
        "clientId": _guid("Optional pin of the identity's client id."),
        "attachedTo": {"type": "array", "items": {"type": "string", "pattern": RESOURCE_ID_PATTERN},
                       "description": "UserAssigned: the hosts the identity is attached to."},
        "servicePrincipal": _object({"id": _guid("Optional pin of the service principal's object id.")}, [],
                                    "The identity's service principal."),
        "federatedIdentityCredentials": {**_FEDERATED_LIST,
                                         "description": "UserAssigned: federated identity credentials by name."},
    },
    ["name", "type"],
    "A managed identity: a client id and a service principal, and no application object.",
    allOf=[
        {"if": {"properties": {"type": {"const": "SystemAssigned"}}},
         "then": {"description": "A SystemAssigned identity has a host, and no resourceId, attachedTo or "
                                 "federatedIdentityCredentials.",
                  "required": ["host"], "properties": {"resourceId": {"not": {}}, "attachedTo": {"not": {}},
                                                       "federatedIdentityCredentials": {"not": {}}}},
         "else": {"description": "A UserAssigned identity has a resourceId (or the default one), not a host.",
                  "properties": {"host": {"not": {}}}}},
    ],
)

_USER = _object(
    {
        "userPrincipalName": {"type": "string", "pattern": UPN_PATTERN, "maxLength": 256,
                              "description": "The user's sign-in name; other entries refer to the user by it."},
        "displayName": _name("The user's display name."),
        "id": _guid("Optional pin of the user's object id."),
        "accountEnabled": {"type": "boolean", "default": True},
        "password": {
            "description": "A password is never written in the tenant file: give {env: NAME} (an environment "
                           "variable where the file is applied) or {file: PATH} (a file's text, PATH relative "
                           "to the tenant file). Set when the user is created and whenever the value changes.",
            # Anything but a mapping is refused without quoting it: a literal here is a password.
            "if": {"type": "object"},
            "then": {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                     "properties": {
                         "env": {"type": "string", "pattern": ENV_NAME_PATTERN,
                                 "description": "The environment variable that holds the password."},
                         "file": {"type": "string", "minLength": 1, "maxLength": 1024,
                                  "description": "The file that holds the password (one trailing line "
                                                 "break is not part of it), relative to the tenant file."},
                     }},
            "else": {"not": {}},
        },
        "directoryRoles": {
            "type": "array", "items": _name("A built-in directory role's display name or template id."),
            "description": "Directory roles the user holds tenant-wide (e.g. Global Administrator), by display name "
                           "(any case) or template id; given when missing, and with --prune those not listed taken "
                           "away.",
        },
    },
    ["userPrincipalName", "displayName"],
    "A user.",
)

_GROUP = _object(
    {
        "displayName": _name("The group's name; other entries refer to it by this name."),
        "id": _guid("Optional pin of the group's object id."),
        "description": {"type": ["string", "null"], "maxLength": 1024},
        "members": {"type": "array", "items": _REFERENCE, "uniqueItems": True,
                    "description": "Users, groups or service principals by name or id."},
    },
    ["displayName"],
    "A security group.",
)

_ASSIGNMENT = _object(
    {
        "principal": _REFERENCE,
        "resource": {**_REFERENCE, "description": "The application (or service principal) whose role is "
                                                  "assigned, by name, appId or object id."},
        "role": {"type": "string", "minLength": 1, "maxLength": 256,
                 "description": "A role value or role id; the all-zero GUID assigns default access."},
    },
    ["principal", "resource", "role"],
    "An app role assignment.",
)

_CONSENT = _object(
    {
        "client": {**_REFERENCE, "description": "The client application (or service principal) that may act for "
                                                "users, by name, appId or object id."},
        "resource": {**_REFERENCE, "description": "The API whose delegated permissions are granted (an application "
                                                  "of the tenant or a built-in such as Microsoft Graph), by name, "
                                                  "appId or object id."},
        "scopes": {"type": "array", "uniqueItems": True,
                   "items": {"type": "string", "maxLength": 120, "pattern": SCOPE_PATTERN},
                   "description": "Scope values the resource offers (its enabled oauth2PermissionScopes)."},
        "consentType": {"enum": ["AllPrincipals", "Principal"],
                        "description": "AllPrincipals (an admin's consent for every user; the default without "
                                       "principal) or Principal (one user's own; the default with principal)."},
        "principal": {**_REFERENCE, "description": "The user who consented for herself, by userPrincipalName or "
                                                   "object id."},
    },
    ["client", "resource", "scopes"],
    "A delegated permission grant (oAuth2PermissionGrant): the client may use the scopes on the resource for "
    "every user, or for one user.",
    allOf=[
        {"if": {"properties": {"consentType": {"const": "AllPrincipals"}}, "required": ["consentType"]},
         "then": {"description": "An AllPrincipals grant is for every user and names no principal.",
                  "properties": {"principal": {"not": {}}}}},
        {"if": {"properties": {"consentType": {"const": "Principal"}}, "required": ["consentType"]},
         "then": {"description": "A Principal grant names the user it is for.", "required": ["principal"]}},
    ],
)

_SUBSCRIPTION = _object(
    {
        "id": _guid("The subscription id (any GUID text; a subscription belongs to one tenant)."),
        "displayName": _name("The subscription's name, as az account list shows it.", 64),
        "visibleTo": {
            "description": "Who sees the subscription: 'everyone' in the tenant, or a list of users (user "
                           "principal name), applications (displayName: their service principal), managed "
                           "identities (name) or ids. Declared here, never derived from roles. Default: no one.",
            "oneOf": [{"const": "everyone"},
                      {"type": "array", "uniqueItems": True, "items": _REFERENCE}],
        },
    },
    ["id", "displayName"],
    "An Azure subscription: what az login finds to select, shown to the principals it is visible to.",
)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "tenantd tenant file",
    "description": "One tenant: applications, managed identities, users, groups, app role assignments and "
                   "delegated permission grants (consents).",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "description": "The schema this file follows (for editors)."},
        "tenant": _object(
            {"id": _guid("Optional pin: apply refuses to run against a tenant with another id."),
             "name": _name("The tenant's name (written by export; apply does not rename a tenant)."),
             "domains": {"type": "array", "uniqueItems": True,
                         "items": {"type": "string", "maxLength": MAX_NAME, "pattern": NAME_PATTERN},
                         "description": "Custom domains the tenant verifies (at once: tenantd has no DNS to check); "
                                        "a user principal name's domain finds its tenant. A domain belongs to one "
                                        "tenant. The initial domain (<name>.onmicrosoft.test) is always there. "
                                        "With prune, the custom domains not listed are removed."},
             "subscriptions": {"type": "array", "items": _SUBSCRIPTION,
                               "description": "Azure subscriptions that tenantd's Resource Manager lists to the "
                                              "Azure CLI (az login, az account list). With prune, the "
                                              "subscriptions not listed are removed."}},
            [], "The tenant the file describes.",
        ),
        "applications": {"type": "array", "items": _APPLICATION},
        "managedIdentities": {"type": "array", "items": _MANAGED_IDENTITY},
        "users": {"type": "array", "items": _USER},
        "groups": {"type": "array", "items": _GROUP},
        "assignments": {"type": "array", "items": _ASSIGNMENT},
        "consents": {"type": "array", "items": _CONSENT,
                     "description": "Delegated permission grants (oAuth2PermissionGrants), one per client, resource "
                                    "and user (or every user)."},
    },
}


def schema() -> dict[str, Any]:
    """The tenant file's JSON Schema (a fresh copy the caller may change)."""
    return copy.deepcopy(SCHEMA)
