"""An application's POST or PATCH body as the directory's change set: top-level properties under their own
names, nested ones flattened to ``web.redirectUris``, ``api.oauth2PermissionScopes`` ... Shapes are checked
here; values by the directory's rules, so that every way in (Graph, CLI, tenant file) refuses alike."""

from __future__ import annotations

from typing import Any

from ...domain.errors import BadRequest
from . import payload
from .serialize import APPLICATION

_TOP = ("displayName", "identifierUris", "appRoles", "keyCredentials", "signInAudience", "isFallbackPublicClient",
        "groupMembershipClaims", "optionalClaims", "requiredResourceAccess")
_WRITABLE = {*_TOP, "api", "web", "spa", "publicClient"}
_API = {"requestedAccessTokenVersion", "oauth2PermissionScopes", "preAuthorizedApplications"}
# Properties tenantd does not model: accepted only when they say "nothing".
_API_EMPTY = {"acceptMappedClaims", "knownClientApplications"}
_WEB_EMPTY = {"homePageUrl", "logoutUrl"}


def changes(body: dict[str, Any]) -> dict[str, Any]:
    payload.only(body, _WRITABLE, APPLICATION.type_name)
    found: dict[str, Any] = {k: body[k] for k in _TOP if k in body}
    if body.get("keyCredentials") is not None and not isinstance(body["keyCredentials"], list):
        raise BadRequest("Invalid value specified for property 'keyCredentials': a list is required.")
    if "api" in body:
        api = _object(body["api"], "api", {*_API, *_API_EMPTY}, "microsoft.graph.apiApplication", nullable=False)
        for key in _API_EMPTY & api.keys():
            empty: bool | list[Any] = False if key == "acceptMappedClaims" else []   # its type, holding nothing
            if api[key] is not None and (type(api[key]) is not type(empty) or api[key] != empty):
                raise BadRequest(f"Property 'api.{key}' is not supported: only an empty value is accepted.")
        if "requestedAccessTokenVersion" in api:
            version = api["requestedAccessTokenVersion"]
            if version is not None and (isinstance(version, bool) or version not in (1, 2)):
                raise BadRequest("Invalid value specified for property 'requestedAccessTokenVersion': null, 1 or 2.")
            found["requestedAccessTokenVersion"] = version
        found.update({f"api.{k}": _list(api[k], f"api.{k}") for k in ("oauth2PermissionScopes",
                                                                       "preAuthorizedApplications") if k in api})
    if "web" in body:
        web = _object(body["web"], "web", {"redirectUris", "redirectUriSettings", "implicitGrantSettings",
                                           *_WEB_EMPTY}, "microsoft.graph.webApplication")
        uris = _list(web.get("redirectUris"), "web.redirectUris")
        _web_extras(web, uris)
        if "redirectUris" in web:
            found["web.redirectUris"] = uris
        if "implicitGrantSettings" in web:
            settings = web["implicitGrantSettings"]
            if isinstance(settings, dict):   # its @odata.type names its type; null and non-objects: the rule's
                payload.only(settings, {"enableAccessTokenIssuance", "enableIdTokenIssuance"},
                             "microsoft.graph.implicitGrantSettings")
            found["web.implicitGrantSettings"] = settings
    for platform, type_name in (("spa", "spaApplication"), ("publicClient", "publicClientApplication")):
        if platform in body:
            settings = _object(body[platform], platform, {"redirectUris"}, f"microsoft.graph.{type_name}")
            if "redirectUris" in settings:
                found[f"{platform}.redirectUris"] = _list(settings["redirectUris"], f"{platform}.redirectUris")
    return found


def _object(value: Any, key: str, allowed: set[str], type_name: str, *, nullable: bool = True) -> dict[str, Any]:
    if value is None and nullable:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"Invalid value specified for property '{key}': an object is required.")
    payload.only(value, allowed, type_name)
    return value


def _list(value: Any, key: str) -> list[Any]:
    """A collection property: null means empty, as Graph takes it."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"Invalid value specified for property '{key}': a list is required.")
    return value


def _web_extras(web: dict[str, Any], uris: list[Any]) -> None:
    """What tenantd does not model of ``web``: home page and logout URLs (null only), and
    ``redirectUriSettings``, which it writes from ``redirectUris`` and takes back when it says no more than
    they do."""
    for key in _WEB_EMPTY & web.keys():
        if web[key] is not None:
            raise BadRequest(f"Property 'web.{key}' is not supported: only null is accepted.")
    for setting in _list(web.get("redirectUriSettings"), "web.redirectUriSettings"):
        entry = _object(setting, "web.redirectUriSettings", {"uri", "index"}, "microsoft.graph.redirectUriSettings")
        if entry.get("index") is not None or entry.get("uri") not in uris:
            raise BadRequest("Invalid value specified for property 'web.redirectUriSettings': each entry names one "
                             "of web.redirectUris, with a null index.")
