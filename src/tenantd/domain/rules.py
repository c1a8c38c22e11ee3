"""Directory rules as Entra enforces them. Pure functions: they raise :class:`BadRequest` or return."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import BadRequest
from .ids import DEFAULT_ACCESS_ROLE_ID, is_guid, parse_guid
from .model import AppRole, Principal, ServicePrincipal

MAX_DISPLAY_NAME = 256
MAX_PASSWORD_CREDENTIALS = 50
_ROLE_VALUE = re.compile(r"^[!#-\[\]-~]+$")  # printable ASCII, no space, no backslash... no quote
_MEMBER_TYPES = {"Application", "User"}


def display_name(value: object, what: str = "displayName") -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Invalid value specified for property '{what}': a non-empty string is required.")
    if len(value) > MAX_DISPLAY_NAME:
        raise BadRequest(f"Invalid value specified for property '{what}': longer than {MAX_DISPLAY_NAME}.")
    return value


def identifier_uri(value: object) -> str:
    """An App ID URI: ``api://...``, ``https://...`` or ``urn:...`` with no fragment or query."""
    if not isinstance(value, str) or not value or len(value) > 256 or any(c.isspace() for c in value):
        raise BadRequest(f"Invalid value specified for property 'identifierUris': {value!r}.")
    try:
        parts = urlsplit(value)
    except ValueError:   # e.g. an unclosed "[" of an IPv6 host
        parts = None
    if (parts is None or parts.scheme not in {"api", "https", "http", "urn", "ms-appx"} or parts.fragment
            or parts.query):
        raise BadRequest(f"Invalid value specified for property 'identifierUris': {value!r}.")
    if parts.scheme != "urn" and not parts.netloc:
        raise BadRequest(f"Invalid value specified for property 'identifierUris': {value!r}.")
    return value


def identifier_uris(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise BadRequest("Invalid value specified for property 'identifierUris': a list is required.")
    uris = tuple(identifier_uri(v) for v in values)
    keys = [u.lower() for u in uris]
    if len(set(keys)) != len(keys):
        raise BadRequest("Invalid value specified for property 'identifierUris': duplicate values.")
    return uris


def own_address_free(uris: Iterable[str], public_url: str | None) -> None:
    """Refuse an App ID URI that is tenantd's own address: a client naming it as a resource gets a token for
    Microsoft Graph (msgraph-sdk asks for ``https://<host>`` when given no scope), never one for the
    application. Any port counts, since the local default address follows the port tenantd binds."""
    if not public_url:
        return
    own = urlsplit(public_url)
    for uri in uris:
        parts = urlsplit(uri)   # identifier_uri has parsed it already
        if (parts.scheme.lower() == own.scheme.lower() and not parts.path.strip("/")
                and (parts.hostname or "") == (own.hostname or "").lower()):
            raise BadRequest(f"Values of identifierUris property must use a verified domain of the organization "
                             f"or its subdomain: '{uri}' (tenantd's own address names Microsoft Graph).",
                             code="HostNameNotOnVerifiedDomain")


def app_role(raw: Mapping[str, Any]) -> AppRole:
    """One manifest ``appRoles`` entry, checked field by field."""
    if not isinstance(raw, Mapping):
        raise BadRequest("Invalid value specified for property 'appRoles': each entry must be an object.")
    try:
        role_id = parse_guid(raw.get("id", ""))
    except (ValueError, AttributeError):
        raise BadRequest(f"Invalid value specified for property 'appRoles.id': {raw.get('id')!r}.") from None
    if role_id == DEFAULT_ACCESS_ROLE_ID:
        raise BadRequest("The all-zero id is reserved for default access and cannot name an app role.")
    value = raw.get("value")
    if value is not None and (not isinstance(value, str) or not _ROLE_VALUE.match(value) or len(value) > 249):
        raise BadRequest(f"Invalid value specified for property 'appRoles.value': {value!r}.")
    types = raw.get("allowedMemberTypes")
    if (not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types)
            or not set(types) <= _MEMBER_TYPES):
        raise BadRequest("Invalid value specified for property 'appRoles.allowedMemberTypes': "
                         "a non-empty list of 'Application' and/or 'User' is required.")
    enabled = raw.get("isEnabled", True)
    if not isinstance(enabled, bool):
        raise BadRequest("Invalid value specified for property 'appRoles.isEnabled'.")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise BadRequest("Invalid value specified for property 'appRoles.description'.")
    origin = raw.get("origin")
    if origin is not None and not isinstance(origin, str):
        raise BadRequest("Invalid value specified for property 'appRoles.origin'.")
    return AppRole(
        id=role_id,
        value=value,
        display_name=display_name(raw.get("displayName"), "appRoles.displayName"),
        description=description or "",
        allowed_member_types=tuple(sorted(set(types))),
        is_enabled=enabled,
        origin=origin or "Application",
    )


def app_roles(values: object) -> tuple[AppRole, ...]:
    if not isinstance(values, list):
        raise BadRequest("Invalid value specified for property 'appRoles': a list is required.")
    roles = tuple(app_role(v) for v in values)
    ids = [r.id for r in roles]
    if len(set(ids)) != len(ids):
        raise BadRequest("Invalid value specified for property 'appRoles': duplicate id.")
    role_values = [r.value for r in roles if r.value]
    if len(set(role_values)) != len(role_values):
        raise BadRequest("Invalid value specified for property 'appRoles': duplicate value.")
    return roles


def role_change(old: Iterable[AppRole], new: Iterable[AppRole], assigned_role_ids: set[str]) -> None:
    """A role must be disabled (in an earlier update) before it can be removed, as Entra requires."""
    kept = {r.id for r in new}
    for role in old:
        if role.id not in kept and role.is_enabled:
            raise BadRequest(
                f"Property 'appRoles' cannot be updated: the app role '{role.value or role.id}' must be "
                "disabled (isEnabled: false) before it can be deleted.",
                code="CannotDeleteOrUpdateEnabledEntitlement",
            )
        if role.id not in kept and role.id in assigned_role_ids:
            raise BadRequest(
                f"Property 'appRoles' cannot be updated: the app role '{role.value or role.id}' "
                "still has assignments; remove them first.",
                code="CannotDeleteOrUpdateEnabledEntitlement",
            )


def assignable_role(resource: ServicePrincipal, role_id: str, principal: Principal) -> AppRole | None:
    """The role being assigned, checked as Entra checks it; ``None`` for default access."""
    if role_id == DEFAULT_ACCESS_ROLE_ID:
        return None
    role = resource.role(role_id)
    if role is None:
        raise BadRequest(
            f"Permission being assigned was not found on application '{resource.app_id}'.",
        )
    if not role.is_enabled:
        raise BadRequest(f"Permission being assigned is disabled: '{role.value or role.id}'.")
    if principal.member_type not in role.allowed_member_types:
        raise BadRequest(
            f"Permission being assigned is not allowed for a {principal.type}: app role "
            f"'{role.value or role.id}' allows {', '.join(role.allowed_member_types)}.",
        )
    return role


def object_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not is_guid(value):
        raise BadRequest(f"Invalid object identifier '{value}'.") if what == "id" else BadRequest(
            f"Invalid value specified for property '{what}': {value!r} is not a valid GUID."
        )
    return value.lower()


def host_resource_id(value: object) -> str:
    """An Azure resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/<namespace>/<type>/<name>."""
    if (not isinstance(value, str) or len(value) > 512 or not value.lower().startswith("/subscriptions/")
            or any(c.isspace() for c in value) or value.count("/") < 8 or "//" in value):
        raise BadRequest(f"Invalid resource id {value!r}: expected /subscriptions/<id>/resourceGroups/<rg>/"
                         "providers/<namespace>/<type>/<name>.")
    return value


def acyclic_nesting(group_id: str, member_group_id: str, groups_of_group: Iterable[str]) -> None:
    """A group may hold another group only when that makes no cycle: not itself, and not a group it is already
    in, directly or through nested groups (``groups_of_group``: every group ``group_id`` belongs to)."""
    if member_group_id == group_id:
        raise BadRequest("A group cannot be a member of itself.")
    if member_group_id in set(groups_of_group):
        raise BadRequest(f"Adding group '{member_group_id}' to group '{group_id}' would create a circular "
                         f"membership: '{group_id}' is already a member of '{member_group_id}', directly or through "
                         "nested groups.")
