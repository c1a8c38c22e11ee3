"""The JSON Schemas of an application's sign-in and delegated-permission properties: as ``graph/serialize.py``
writes them, and as a POST or PATCH may send them (looser than the directory's rules, never stricter)."""

from __future__ import annotations

from typing import Any

from ...domain import scope_rules, sign_in_rules
from .blocks import BOOL, GUID, INTEGER, NULL, STRING, STRINGS, TEXT, array, nullable, obj, odata_type

Schema = dict[str, Any]

# -- as written ------------------------------------------------------------------------------------------
PERMISSION_SCOPE = obj({
    "adminConsentDescription": STRING, "adminConsentDisplayName": STRING, "id": GUID, "isEnabled": BOOL,
    "type": {"type": "string", "enum": list(scope_rules.SCOPE_TYPES)}, "userConsentDescription": TEXT,
    "userConsentDisplayName": TEXT, "value": STRING,
})
PRE_AUTHORIZED_APPLICATION = obj({"appId": GUID, "delegatedPermissionIds": array(GUID)})
_RESOURCE_ACCESS = obj({"id": GUID, "type": {"type": "string", "enum": list(scope_rules.ACCESS_TYPES)}})
REQUIRED_RESOURCE_ACCESS = obj({"resourceAppId": GUID, "resourceAccess": array(_RESOURCE_ACCESS)})
_OPTIONAL_CLAIM = obj({"additionalProperties": STRINGS, "essential": BOOL, "name": STRING, "source": TEXT})
OPTIONAL_CLAIMS = nullable(obj({kind: array(_OPTIONAL_CLAIM) for kind in sign_in_rules.TOKEN_KINDS}))
SIGN_IN_AUDIENCE: Schema = {"type": "string", "enum": list(sign_in_rules.SIGN_IN_AUDIENCES)}
REDIRECT_URI_SETTING = obj({"uri": STRING, "index": nullable(INTEGER)})

# -- as sent ---------------------------------------------------------------------------------------------
# The directory ignores ``@odata.*`` annotations inside these objects (``annotations``); the platform objects
# (web, spa, publicClient) take ``@odata.type`` naming their type and nothing else.
_WRITE_GUID: Schema = {**GUID, "not": {"const": "00000000-0000-0000-0000-000000000000"}}
_CONSENT_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "\\S"}
_SCOPE_WRITE = obj({
    "id": _WRITE_GUID,
    "value": {"type": "string", "minLength": 1, "maxLength": scope_rules.MAX_SCOPE_VALUE,
              "pattern": scope_rules.SCOPE_VALUE_PATTERN},
    "type": {"type": "string", "enum": list(scope_rules.SCOPE_TYPES)}, "isEnabled": BOOL,
    "adminConsentDisplayName": _CONSENT_TEXT, "adminConsentDescription": _CONSENT_TEXT,
    "userConsentDisplayName": nullable({"type": "string", "maxLength": 1024}),
    "userConsentDescription": nullable({"type": "string", "maxLength": 1024}), "origin": TEXT,
}, required=("id", "value", "adminConsentDisplayName", "adminConsentDescription"), annotations=True,
    description="A scope must be disabled in one update before a later one removes it.")
_PRE_AUTHORIZED_WRITE = obj({"appId": GUID, "delegatedPermissionIds": array(GUID)},
                            required=("appId", "delegatedPermissionIds"), annotations=True,
                            description="Names scopes of this application's api only.")
API_WRITE: dict[str, Schema] = {
    "oauth2PermissionScopes": nullable(array(_SCOPE_WRITE)),
    "preAuthorizedApplications": nullable(array(_PRE_AUTHORIZED_WRITE)),
}
_REDIRECT_URIS = nullable(array({"type": "string", "minLength": 1, "maxLength": sign_in_rules.MAX_REDIRECT_URI},
                                maxItems=sign_in_rules.MAX_REDIRECT_URIS,
                                description="https, or http on localhost, 127.0.0.1 or [::1]; no fragment."))
_CLAIM_TEXT: Schema = {"type": "string", "minLength": 1, "maxLength": 256}
_OPTIONAL_CLAIM_WRITE = obj({
    "name": {**_CLAIM_TEXT, "pattern": "\\S"}, "source": nullable({"type": "string", "maxLength": 256}),
    "essential": nullable(BOOL), "additionalProperties": nullable(array(_CLAIM_TEXT)),
}, required=("name",), annotations=True)
_RESOURCE_ACCESS_WRITE = obj({"id": GUID, "type": {"type": "string", "enum": list(scope_rules.ACCESS_TYPES)}},
                             required=("id", "type"), annotations=True)


def _platform(type_name: str, **more: Schema) -> Schema:
    return nullable(obj({"@odata.type": odata_type(f"microsoft.graph.{type_name}"), "redirectUris": _REDIRECT_URIS,
                         **more}))


APPLICATION_WRITE: dict[str, Schema] = {
    "signInAudience": {**SIGN_IN_AUDIENCE, "description": "Personal Microsoft accounts do not exist in tenantd."},
    "isFallbackPublicClient": nullable(BOOL),
    "groupMembershipClaims": nullable({"type": "string", "description": "None, SecurityGroup, DirectoryRole, "
                                       "ApplicationGroup or All; or several of the middle three, comma-separated."}),
    "optionalClaims": nullable(obj({kind: nullable(array(_OPTIONAL_CLAIM_WRITE))
                                    for kind in sign_in_rules.TOKEN_KINDS}, annotations=True)),
    "web": _platform(
        "webApplication", homePageUrl=NULL, logoutUrl=NULL,
        redirectUriSettings=nullable(array(obj({
            "@odata.type": odata_type("microsoft.graph.redirectUriSettings"), "uri": STRING, "index": NULL}))),
        implicitGrantSettings=nullable(obj({
            "@odata.type": odata_type("microsoft.graph.implicitGrantSettings"),
            "enableAccessTokenIssuance": nullable({
                **BOOL, "description": "Accepted and kept; tenantd's authorization endpoint issues no access "
                                      "token (response_type token is refused)."}),
            "enableIdTokenIssuance": nullable({
                **BOOL, "description": "response_type id_token and code id_token (with a nonce)."})})),
    ),
    "spa": _platform("spaApplication"),
    "publicClient": _platform("publicClientApplication"),
    "requiredResourceAccess": array(obj({"resourceAppId": GUID, "resourceAccess": array(_RESOURCE_ACCESS_WRITE)},
                                        required=("resourceAppId", "resourceAccess"), annotations=True)),
}
