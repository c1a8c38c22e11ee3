"""The tenant file's JSON Schema for an application's sign-in settings and delegated permissions: Graph's
names and shapes (a manifest or Graph fragment pasted in fits), with names allowed where the file resolves
them. The directory's rules check the values; the schema catches shapes and typos."""

from __future__ import annotations

from typing import Any

from ..domain import scope_rules, sign_in_rules

GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _object(properties: dict[str, Any], required: list[str], description: str) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties, "required": required,
            "additionalProperties": False}


def _platform(description: str, **more: Any) -> dict[str, Any]:
    return _object({"redirectUris": {
        "type": "array", "maxItems": sign_in_rules.MAX_REDIRECT_URIS,
        "items": {"type": "string", "minLength": 1, "maxLength": sign_in_rules.MAX_REDIRECT_URI},
        "description": "https, or http on localhost, 127.0.0.1 or [::1]; no fragment."}, **more}, [], description)


_IMPLICIT_GRANT = {
    "type": ["object", "null"], "additionalProperties": False,
    "properties": {
        "enableIdTokenIssuance": {"type": ["boolean", "null"], "default": False,
                                  "description": "response_type id_token and code id_token (with a nonce)."},
        "enableAccessTokenIssuance": {"type": ["boolean", "null"], "default": False,
                                      "description": "Kept as Graph keeps it; the authorization endpoint of "
                                                     "tenantd issues no access token."}},
    "description": "Tokens the authorization endpoint may answer with (the implicit grant and hybrid flows); "
                   "off unless this says on.",
}


_TEXT = {"type": "string", "minLength": 1, "maxLength": 1024}
_SCOPE = _object(
    {
        "id": {"type": "string", "pattern": GUID_PATTERN, "description": "The scope's id (any GUID text)."},
        "value": {"type": "string", "minLength": 1, "maxLength": scope_rules.MAX_SCOPE_VALUE,
                  "pattern": scope_rules.SCOPE_VALUE_PATTERN, "description": "What the token's scp claim carries."},
        "type": {"enum": list(scope_rules.SCOPE_TYPES), "default": "User",
                 "description": "User: people may consent for themselves; Admin: only an admin may."},
        "isEnabled": {"type": "boolean", "default": True,
                      "description": "A scope must be disabled in one apply before a later apply removes it."},
        "adminConsentDisplayName": _TEXT, "adminConsentDescription": _TEXT,
        "userConsentDisplayName": {"type": ["string", "null"], "maxLength": 1024},
        "userConsentDescription": {"type": ["string", "null"], "maxLength": 1024},
        "origin": {"type": ["string", "null"], "description": "Accepted from pasted manifests and ignored."},
        "lang": {"type": ["string", "null"], "description": "Accepted from pasted manifests and ignored."},
    },
    ["id", "value", "adminConsentDisplayName", "adminConsentDescription"],
    "An oauth2PermissionScopes entry: a delegated permission the application offers as an API.",
)
_PRE_AUTHORIZED = _object(
    {"appId": {"type": "string", "pattern": GUID_PATTERN, "description": "The client's appId."},
     "delegatedPermissionIds": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 120},
                                "description": "Scopes of this application, by id or value."}},
    ["appId", "delegatedPermissionIds"],
    "A client trusted with some of this API's scopes without a consent prompt (the Azure CLI, say).",
)
_REQUIRED = _object(
    {"resourceAppId": {"type": "string", "minLength": 1, "maxLength": 256,
                       "description": "The resource: an application or built-in service principal by name or appId."},
     "resourceAccess": {"type": "array", "items": _object(
         {"id": {"type": "string", "minLength": 1, "maxLength": 256,
                 "description": "A scope (type Scope) or app role (type Role) of the resource, by value or id."},
          "type": {"enum": list(scope_rules.ACCESS_TYPES)}},
         ["id", "type"], "One permission the application needs.")}},
    ["resourceAppId", "resourceAccess"],
    "The permissions the application needs from one resource (what consent asks for).",
)
_OPTIONAL_CLAIM = _object(
    {"name": {"type": "string", "minLength": 1, "maxLength": 256}, "source": {"type": ["string", "null"]},
     "essential": {"type": ["boolean", "null"]},
     "additionalProperties": {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}}},
    ["name"], "An optional claim, as Graph's optionalClaim.",
)

PROPERTIES: dict[str, Any] = {
    "signInAudience": {"enum": list(sign_in_rules.SIGN_IN_AUDIENCES), "default": "AzureADMyOrg",
                       "description": "Who may sign in: this tenant's people, or any tenant's."},
    "isFallbackPublicClient": {"type": ["boolean", "null"],
                               "description": "Allow public client flows (device code, password) without a "
                                              "credential."},
    "groupMembershipClaims": {
        "type": ["string", "null"],
        "description": "The groups claim: None, SecurityGroup, DirectoryRole, ApplicationGroup or All (or several "
                       "of the middle three, comma-separated)."},
    "optionalClaims": {
        "type": ["object", "null"], "additionalProperties": False,
        "properties": {kind: {"type": ["array", "null"], "items": _OPTIONAL_CLAIM}
                       for kind in sign_in_rules.TOKEN_KINDS},
        "description": "Optional claims per token kind, as Graph's optionalClaims."},
    "web": _platform("A web application's redirect URIs (confidential client) and implicit grant settings.",
                     implicitGrantSettings=_IMPLICIT_GRANT),
    "spa": _platform("A single-page application's redirect URIs (authorization code with PKCE)."),
    "publicClient": _platform("A desktop or mobile client's redirect URIs (custom schemes allowed)."),
    "requiredResourceAccess": {"type": "array", "items": _REQUIRED,
                               "description": "Permissions the application needs; names resolve like assignments."},
}
API = _object(
    {"requestedAccessTokenVersion": {"enum": [None, 1, 2], "description": "Same as accessTokenAcceptedVersion; "
                                                                          "give one of the two."},
     "oauth2PermissionScopes": {"type": "array", "items": _SCOPE},
     "preAuthorizedApplications": {"type": "array", "items": _PRE_AUTHORIZED}},
    [], "The application as an API: the delegated permissions it offers and who may use them without consent.",
)
