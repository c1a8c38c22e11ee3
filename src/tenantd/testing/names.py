"""Finding directory objects by what a test calls them: a name (displayName, managed identity name,
userPrincipalName), an appId or client id, an object id, or an App ID URI. A name that fits several
objects is an error that lists them, never a guess."""

from __future__ import annotations

from typing import Any

from ..domain.ids import is_guid
from .api import AdminApi

Obj = dict[str, Any]
ZERO_ROLE = "00000000-0000-0000-0000-000000000000"   # "default access": an assignment without a role


class NameNotFound(LookupError):
    """No object, or more than one, answers to the name a test used."""


def _one(kind: str, key: str, found: list[Obj], label: str = "displayName") -> Obj:
    if not found:
        raise NameNotFound(f"No {kind} '{key}' in this tenant.")
    if len(found) > 1:
        listed = "; ".join(f"{o.get(label)} ({o['id']})" for o in found)
        raise NameNotFound(f"'{key}' names {len(found)} objects: {listed}. Use an id instead.")
    return found[0]


def service_principal(api: AdminApi, key: str) -> Obj:
    """An application's or a managed identity's service principal."""
    lowered = key.lower()
    found = [sp for sp in api.graph_list("/servicePrincipals")
             if key == sp["displayName"] or lowered in (sp["id"], sp["appId"].lower())
             or (not is_guid(key) and key in sp.get("servicePrincipalNames", []))]
    return _one("application or managed identity", key, found)


def application(api: AdminApi, key: str) -> Obj:
    lowered = key.lower()
    found = [app for app in api.graph_list("/applications")
             if key == app["displayName"] or lowered in (app["id"], app["appId"].lower())
             or key in app.get("identifierUris", [])]
    return _one("application", key, found)


def principal(api: AdminApi, key: str) -> Obj:
    """Who an assignment is for: a service principal or managed identity, a user, or a group."""
    lowered = key.lower()
    found = [sp for sp in api.graph_list("/servicePrincipals")
             if key == sp["displayName"] or lowered in (sp["id"], sp["appId"].lower())]
    found += [u for u in api.graph_list("/users") if lowered in (u["id"], u["userPrincipalName"].lower())]
    found += [g for g in api.graph_list("/groups") if key == g["displayName"] or lowered == g["id"]]
    return _one("service principal, user or group", key, found)


def identity(api: AdminApi, key: str) -> Obj:
    """A managed identity as the admin API shows it (with its hosts)."""
    lowered = key.lower()
    found = [i for i in api.admin("GET", "/identities")["value"]
             if key == i["name"] or lowered in (i["id"], i["clientId"], str(i.get("resourceId") or "").lower())]
    return _one("managed identity", key, found, label="name")


def role_id(resource: Obj, role: str | None) -> str:
    """The id of ``resource``'s app role named by value or id; None is default access."""
    if role is None:
        return ZERO_ROLE
    for app_role in resource.get("appRoles", []):
        if role in (app_role["value"], app_role["id"]):
            return str(app_role["id"])
    values = ", ".join(r["value"] for r in resource.get("appRoles", []) if r.get("value")) or "none"
    raise NameNotFound(f"'{resource['displayName']}' has no app role '{role}' (its roles: {values}).")


def resource_name(api: AdminApi, key: str) -> str:
    """What a token request may name a resource by: an App ID URI or appId as given, else the appId of the
    service principal called ``key``."""
    if "://" in key or is_guid(key):
        return key.removesuffix("/.default")
    return str(service_principal(api, key)["appId"])
