"""Rules for delegated permissions: the scopes an API offers (``api.oauth2PermissionScopes``), the clients
it pre-authorizes for them, and the permissions an application requires of others
(``requiredResourceAccess``), as Entra checks them. Pure functions that raise :class:`BadRequest`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import BadRequest
from .ids import DEFAULT_ACCESS_ROLE_ID, is_guid
from .model import AppRole, PermissionScope, PreAuthorizedApplication, RequiredResourceAccess, ResourceAccess

# Graph: at most 120 characters of 0-9 A-Z a-z and : ! # $ % & ' ( ) * + , - . / ; < = > ? @ [ ] ^ _ ` { | } ~,
# not starting with a dot.
SCOPE_VALUE_PATTERN = r"^[0-9A-Za-z:!#$%&'()*+,\-/;<=>?@\[\]^_`{|}~][0-9A-Za-z:!#$%&'()*+,\-./;<=>?@\[\]^_`{|}~]*$"
_SCOPE_VALUE = re.compile(SCOPE_VALUE_PATTERN.rstrip("$") + r"\Z")   # \Z: "$" would let a final newline in
MAX_SCOPE_VALUE = 120
SCOPE_TYPES = ("User", "Admin")
ACCESS_TYPES = ("Scope", "Role")
_SCOPE_FIELDS = {"id", "value", "type", "isEnabled", "adminConsentDisplayName", "adminConsentDescription",
                 "userConsentDisplayName", "userConsentDescription", "origin"}
ENABLED_ENTITLEMENT = "Permission (scope or role) cannot be deleted or updated unless disabled first."


def _invalid(prop: str, detail: str) -> BadRequest:
    return BadRequest(f"Invalid value specified for property '{prop}' of resource 'Application': {detail}.")


def _guid(value: object, prop: str) -> str:
    if not is_guid(value):
        raise _invalid(prop, f"{value!r} is not a GUID")
    return str(value).lower()


def _text(raw: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > 1024:
        need = "a non-empty string" if required else "a string"
        raise _invalid(f"api.oauth2PermissionScopes.{key}", f"{need} of at most 1024 characters is required")
    return value


def permission_scope(raw: object) -> PermissionScope:
    """One ``oauth2PermissionScopes`` entry, field by field."""
    prop = "api.oauth2PermissionScopes"
    if not isinstance(raw, Mapping):
        raise _invalid(prop, "each entry must be an object")
    unknown = [k for k in raw if k not in _SCOPE_FIELDS and not k.startswith("@odata.")]
    if unknown:
        raise _invalid(prop, f"unknown property '{unknown[0]}'")
    scope_id = _guid(raw.get("id"), f"{prop}.id")
    if scope_id == DEFAULT_ACCESS_ROLE_ID:
        raise _invalid(f"{prop}.id", "the all-zero id names no permission")
    value = raw.get("value")
    if not isinstance(value, str) or len(value) > MAX_SCOPE_VALUE or not _SCOPE_VALUE.match(value):
        raise _invalid(f"{prop}.value", f"{value!r}: 1 to {MAX_SCOPE_VALUE} characters of letters, digits and "
                                        "punctuation, no space, not starting with '.'")
    kind = raw.get("type", "User")
    if kind not in SCOPE_TYPES:
        raise _invalid(f"{prop}.type", f"{kind!r} is not 'User' or 'Admin'")
    if raw.get("origin") is not None and not isinstance(raw["origin"], str):
        raise _invalid(f"{prop}.origin", "a string is required")
    enabled = raw.get("isEnabled", True)
    if not isinstance(enabled, bool):
        raise _invalid(f"{prop}.isEnabled", "true or false is required")
    return PermissionScope(
        id=scope_id, value=value, type=kind, is_enabled=enabled,
        admin_consent_display_name=_text(raw, "adminConsentDisplayName", required=True) or "",
        admin_consent_description=_text(raw, "adminConsentDescription", required=True) or "",
        user_consent_display_name=_text(raw, "userConsentDisplayName", required=False),
        user_consent_description=_text(raw, "userConsentDescription", required=False),
    )


def permission_scopes(values: object, roles: Iterable[AppRole] = ()) -> tuple[PermissionScope, ...]:
    """The whole collection: ids unique (also against the app roles' ids), values unique ignoring case."""
    if not isinstance(values, list):
        raise _invalid("api.oauth2PermissionScopes", "a list is required")
    scopes = tuple(permission_scope(v) for v in values)
    ids = [s.id for s in scopes]
    if len(set(ids)) != len(ids) or set(ids) & {r.id for r in roles}:
        raise _invalid("api.oauth2PermissionScopes", "duplicate id (a scope's id is unique among the "
                                                     "application's scopes and app roles)")
    keys = [s.value.casefold() for s in scopes]
    if len(set(keys)) != len(keys):
        raise _invalid("api.oauth2PermissionScopes", "duplicate value")
    return scopes


def scope_change(old: Iterable[PermissionScope], new: Iterable[PermissionScope]) -> None:
    """A scope must be disabled (in an earlier update) before it can be removed, as Entra requires."""
    kept = {s.id for s in new}
    if any(s.id not in kept and s.is_enabled for s in old):
        raise BadRequest(ENABLED_ENTITLEMENT, code="CannotDeleteOrUpdateEnabledEntitlement")


def pre_authorized_applications(values: object, scopes: Iterable[PermissionScope]
                                ) -> tuple[PreAuthorizedApplication, ...]:
    """Clients trusted with some scopes: each names a client appId once, and only scopes of this API."""
    prop = "api.preAuthorizedApplications"
    if not isinstance(values, list):
        raise _invalid(prop, "a list is required")
    offered = {s.id for s in scopes}
    found: list[PreAuthorizedApplication] = []
    for raw in values:
        if not isinstance(raw, Mapping) or not {k for k in raw if not k.startswith("@odata.")} <= {
                "appId", "delegatedPermissionIds"}:
            raise _invalid(prop, "each entry is an object of appId and delegatedPermissionIds")
        ids = raw.get("delegatedPermissionIds")
        if not isinstance(ids, list):
            raise _invalid(f"{prop}.delegatedPermissionIds", "a list is required")
        permission_ids = tuple(dict.fromkeys(_guid(i, f"{prop}.delegatedPermissionIds") for i in ids))
        missing = [i for i in permission_ids if i not in offered]
        if missing:
            raise _invalid(f"{prop}.delegatedPermissionIds", f"{missing[0]} is not a scope of this application's "
                                                             "api.oauth2PermissionScopes")
        found.append(PreAuthorizedApplication(_guid(raw.get("appId"), f"{prop}.appId"), permission_ids))
    if len({p.app_id for p in found}) != len(found):
        raise _invalid(prop, "an appId appears more than once")
    return tuple(found)


def required_resource_access(values: object) -> tuple[RequiredResourceAccess, ...]:
    """What the application asks of each resource (by appId): ids of its scopes or app roles."""
    prop = "requiredResourceAccess"
    if not isinstance(values, list):
        raise _invalid(prop, "a list is required")
    found: list[RequiredResourceAccess] = []
    for raw in values:
        if not isinstance(raw, Mapping) or not {k for k in raw if not k.startswith("@odata.")} <= {
                "resourceAppId", "resourceAccess"}:
            raise _invalid(prop, "each entry is an object of resourceAppId and resourceAccess")
        accesses = raw.get("resourceAccess")
        if not isinstance(accesses, list):
            raise _invalid(f"{prop}.resourceAccess", "a list is required")
        found.append(RequiredResourceAccess(_guid(raw.get("resourceAppId"), f"{prop}.resourceAppId"),
                                            tuple(_resource_access(a) for a in accesses)))
    if len({r.resource_app_id for r in found}) != len(found):
        raise _invalid(prop, "a resourceAppId appears more than once")
    return tuple(found)


def _resource_access(raw: object) -> ResourceAccess:
    prop = "requiredResourceAccess.resourceAccess"
    if not isinstance(raw, Mapping) or not {k for k in raw if not k.startswith("@odata.")} <= {"id", "type"}:
        raise _invalid(prop, "each entry is an object of id and type")
    if raw.get("type") not in ACCESS_TYPES:
        raise _invalid(f"{prop}.type", f"{raw.get('type')!r} is not 'Scope' or 'Role'")
    return ResourceAccess(_guid(raw.get("id"), f"{prop}.id"), str(raw["type"]))
