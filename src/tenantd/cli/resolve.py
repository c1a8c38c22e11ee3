"""What people call directory objects -> the objects: display names, appIds, object ids, UPNs, App ID URIs.

Only Graph queries are used ($filter on displayName, identifierUris, gets by id and by appId), so the
same resolution works against any Graph; managed identities, which Graph cannot list with their hosts, come
from tenantd's admin API. A name that matches several objects is an error listing them;
nothing is ever picked for the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..domain.ids import DEFAULT_ACCESS_ROLE_ID, is_guid
from .client import Client
from .errors import CliError

Obj = dict[str, Any]


def literal(value: str) -> str:
    """An OData string literal: single-quoted, embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def looks_like_uri(key: str) -> bool:
    return "://" in key or key.lower().startswith("urn:")


def sp_kind(sp: Obj) -> str:
    return "managed identity" if sp.get("servicePrincipalType") == "ManagedIdentity" else "service principal"


@dataclass(frozen=True)
class Principal:
    """A directory object with what a person needs to recognise it (a candidate in an ambiguity error)."""

    id: str
    name: str
    kind: str  # "service principal", "managed identity", "group", "user" or "application"
    obj: Obj

    @property
    def is_service_principal(self) -> bool:
        return self.kind in ("service principal", "managed identity")

    def describe(self) -> str:
        return f"{self.name} ({self.kind} {self.id})"


def _sp(sp: Obj) -> Principal:
    return Principal(sp["id"], sp.get("displayName") or "", sp_kind(sp), sp)


def _group(group: Obj) -> Principal:
    return Principal(group["id"], group.get("displayName") or "", "group", group)


def _user(user: Obj) -> Principal:
    return Principal(user["id"], user.get("userPrincipalName") or user.get("displayName") or "", "user", user)


def _only(key: str, found: list[Principal]) -> Principal | None:
    if len(found) > 1:
        listed = "; ".join(p.describe() for p in found)
        raise CliError(f"'{key}' is ambiguous, it names {len(found)} objects: {listed}. Use an id instead.")
    return found[0] if found else None


def _distinct(found: list[Principal]) -> list[Principal]:
    seen: dict[str, Principal] = {}
    for p in found:
        seen.setdefault(p.id, p)
    return list(seen.values())


class Resolver:
    def __init__(self, client: Client) -> None:
        self.client = client

    def _filter(self, collection: str, expression: str) -> list[Obj]:
        return self.client.graph_all(f"/{collection}", params={"$filter": expression})

    def _get(self, path: str) -> Obj | None:
        found: Obj | None = self.client.graph_optional(path)
        return found

    # -- applications ----------------------------------------------------------------------------------
    def application(self, key: str) -> Obj:
        """An application by displayName, appId, object id or App ID URI."""
        if is_guid(key):
            guid = key.lower()
            found = self._get(f"/applications/{guid}") or self._get(f"/applications(appId='{guid}')")
            if found is None:
                raise CliError(f"No application has the object id or appId '{key}'.")
            return found
        uri = looks_like_uri(key)
        expression = f"identifierUris/any(x:x eq {literal(key)})" if uri else f"displayName eq {literal(key)}"
        apps = self._filter("applications", expression)
        one = _only(key, [Principal(a["id"], a.get("displayName") or "", "application", a) for a in apps])
        if one is None:
            raise CliError(f"No application has the App ID URI '{key}'." if uri else f"No application named '{key}'.")
        return one.obj

    # -- service principals ----------------------------------------------------------------------------
    def _sp_by_guid(self, guid: str) -> Obj | None:
        found = self._get(f"/servicePrincipals/{guid}") or self._get(f"/servicePrincipals(appId='{guid}')")
        if found is None:
            app = self._get(f"/applications/{guid}")
            if app is not None:
                found = self._app_sp(app)
        return found

    def _app_sp(self, app: Obj) -> Obj:
        sp = self._get(f"/servicePrincipals(appId='{app['appId']}')")
        if sp is None:
            raise CliError(f"The application '{app.get('displayName')}' ({app['appId']}) has no service principal.")
        return sp

    def service_principal(self, key: str) -> Obj:
        """A service principal (an app's or a managed identity's) by name, appId, object id or App ID URI;
        an application's object id or name reaches its service principal."""
        if is_guid(key):
            found = self._sp_by_guid(key.lower())
            if found is None:
                raise CliError(f"No service principal has the object id or appId '{key}'.")
            return found
        if looks_like_uri(key):
            return self._app_sp(self.application(key))
        one = _only(key, [_sp(sp) for sp in self._filter("servicePrincipals", f"displayName eq {literal(key)}")])
        if one is None:
            apps = self._filter("applications", f"displayName eq {literal(key)}")
            if len(apps) == 1:
                return self._app_sp(apps[0])
            raise CliError(f"No service principal or managed identity named '{key}'.")
        return one.obj

    # -- users and groups ------------------------------------------------------------------------------
    def user(self, key: str) -> Obj:
        """A user by userPrincipalName or object id."""
        if not is_guid(key) and "@" not in key:
            raise CliError(f"'{key}' is not a user principal name (name@domain) or an object id.")
        found = self._get(f"/users/{quote(key.lower() if is_guid(key) else key, safe='@')}")
        if found is None:
            raise CliError(f"No user '{key}'.")
        return found

    def group(self, key: str) -> Obj:
        """A group by displayName or object id."""
        if is_guid(key):
            found = self._get(f"/groups/{key.lower()}")
            if found is None:
                raise CliError(f"No group has the object id '{key}'.")
            return found
        one = _only(key, [_group(g) for g in self._filter("groups", f"displayName eq {literal(key)}")])
        if one is None:
            raise CliError(f"No group named '{key}'.")
        return one.obj

    # -- principals of assignments and holders of directory roles --------------------------------------------
    def principal(self, key: str) -> Principal:
        """What ``grant`` assigns to: a service principal, managed identity, group or user."""
        return self._principal(key, "groups", "service principal, managed identity, group or user",
                               "application, managed identity, group or user")

    def role_holder(self, key: str) -> Principal:
        """What a directory role is given to: a user (UPN, display name or object id) or a service principal or
        managed identity (name, appId or object id; an application's name or object id reaches its own)."""
        return self._principal(key, "users", "user, service principal or managed identity",
                               "user, application or managed identity")

    def _principal(self, key: str, also_named: str, by_id: str, by_name: str) -> Principal:
        """A user by UPN; else by object id a service principal, a group (when ``also_named`` is "groups") or a
        user; else by display name a service principal or one of ``also_named``, or an application's own
        service principal. ``by_id`` and ``by_name`` say what was looked for, in the errors."""
        if "@" in key and not is_guid(key):
            return _user(self.user(key))
        if is_guid(key):
            guid = key.lower()
            sp = self._sp_by_guid(guid)
            if sp is not None:
                return _sp(sp)
            group = self._get(f"/groups/{guid}") if also_named == "groups" else None
            if group is not None:
                return _group(group)
            user = self._get(f"/users/{guid}")
            if user is not None:
                return _user(user)
            raise CliError(f"No {by_id} has the id '{key}'.")
        make = _group if also_named == "groups" else _user
        found = [_sp(sp) for sp in self._filter("servicePrincipals", f"displayName eq {literal(key)}")]
        found += [make(obj) for obj in self._filter(also_named, f"displayName eq {literal(key)}")]
        one = _only(key, _distinct(found))
        if one is None:
            apps = self._filter("applications", f"displayName eq {literal(key)}")
            if len(apps) == 1:
                return _sp(self._app_sp(apps[0]))
            raise CliError(f"No {by_name} named '{key}'.")
        return one


def managed_identity(client: Client, key: str) -> Obj:
    """A managed identity by name, object (principal) id, client id or resource id."""
    identities: list[Obj] = client.admin("GET", "/identities")["value"]
    lowered = key.lower()
    found = [i for i in identities
             if key == i["name"] or lowered in (i["id"], i["clientId"], str(i.get("resourceId", "")).lower())]
    if not found:
        raise CliError(f"No managed identity '{key}'.")
    if len(found) > 1:
        listed = "; ".join(f"{i['name']} ({i['type']} managed identity {i['id']})" for i in found)
        raise CliError(f"'{key}' is ambiguous, it names {len(found)} objects: {listed}. Use an id instead.")
    return found[0]


def role(resource: Obj, key: str) -> Obj:
    """One of a resource's app roles by value or id; the all-zero id is default access."""
    roles: list[Obj] = resource.get("appRoles") or []
    if is_guid(key):
        guid = key.lower()
        if guid == DEFAULT_ACCESS_ROLE_ID:
            return {"id": DEFAULT_ACCESS_ROLE_ID, "value": None, "displayName": "Default access", "isEnabled": True}
        match = [r for r in roles if str(r.get("id", "")).lower() == guid]
    else:
        match = [r for r in roles if r.get("value") == key]
    if not match:
        known = ", ".join(str(r.get("value") or r.get("id")) for r in roles) or "none"
        raise CliError(f"'{resource.get('displayName')}' has no app role '{key}' (its roles: {known}).")
    return match[0]


def role_label(app_role: Obj) -> str:
    return str(app_role.get("value") or app_role.get("displayName") or app_role.get("id"))
