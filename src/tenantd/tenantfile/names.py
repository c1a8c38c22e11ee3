"""How a tenant file names objects, shared by apply (to resolve) and export (to write names that resolve:
export.NameCounts picks a name when it resolves to its object alone, else the id).

A reference is a name (application or service principal displayName, managed identity name, user
principal name, group displayName) or an id (object id, appId / clientId, an application's object id).
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..domain.ids import is_guid
from ..domain.model import AppRole, Group, PrincipalType, ServicePrincipal, User
from .snapshot import Snapshot


@dataclass(frozen=True)
class Named:
    """One object a reference can point at, as it will be once the file is applied."""

    kind: str                           # application | managed identity | service principal | user | group
    name: str
    id: str                             # the object assignments and memberships use (an app's: its SP)
    ids: frozenset[str]                 # every id that names it, lower case
    principal_type: PrincipalType | None  # None: an application without a service principal
    resource: ServicePrincipal | None = None  # its service principal with the roles it will have

    def describe(self) -> str:
        return f"{self.kind} '{self.name}' ({self.id})"


class Unresolved(Exception):
    """A reference that names nothing, or more than one thing; the message says which."""


class NameIndex:
    """A pool of what references can name. A reference with a GUID's shape names the objects with that id
    (any of their ids); any other text names users whose userPrincipalName it is in any case, and other
    objects whose name it is exactly. Indexed, so resolving costs a lookup, not a pass over the pool."""

    def __init__(self, pool: Iterable[Named]) -> None:
        self.pool = list(pool)
        self._names: dict[str, list[Named]] = defaultdict(list)
        self._users: dict[str, list[Named]] = defaultdict(list)
        self._ids: dict[str, list[Named]] = defaultdict(list)
        for n in self.pool:
            (self._users[n.name.casefold()] if n.kind == "user" else self._names[n.name]).append(n)
            for object_id in n.ids:
                self._ids[object_id].append(n)

    def resolve(self, text: str, what: str) -> Named:
        if is_guid(text):
            hits = self._ids.get(text.lower(), [])
        else:
            hits = [*self._names.get(text, ()), *self._users.get(text.casefold(), ())]
        return _pick(text, hits, self.pool, what)


def _pick(text: str, hits: list[Named], pool: list[Named], what: str) -> Named:
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise Unresolved(f"'{text}' is ambiguous: it names {', '.join(sorted(h.describe() for h in hits))}; "
                         "use an id instead")
    close = difflib.get_close_matches(text, [c.name for c in pool], n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise Unresolved(f"no {what} '{text}' in the file or the tenant{hint}")


def resource_view(tenant_id: str, sp_id: str, app_id: str, name: str,
                  roles: tuple[AppRole, ...]) -> ServicePrincipal:
    """A service principal as a resource of assignments will see it: its id, appId and roles."""
    return ServicePrincipal(tenant_id=tenant_id, id=sp_id, app_id=app_id, display_name=name,
                            service_principal_type="Application", app_roles=roles,
                            app_role_assignment_required=False, account_enabled=True, created="")


def named_app(tenant_id: str, name: str, object_id: str, app_id: str, sp_id: str | None,
              roles: tuple[AppRole, ...]) -> Named:
    ids = frozenset(i for i in (object_id, app_id, sp_id) if i)
    if sp_id is None:
        return Named("application", name, object_id, ids, None)
    view = resource_view(tenant_id, sp_id, app_id, name, roles)
    return Named("application", name, sp_id, ids, "ServicePrincipal", view)


def named_identity(sp: ServicePrincipal) -> Named:
    return Named("managed identity", sp.managed_identity_name or sp.display_name, sp.id,
                 frozenset({sp.id, sp.app_id}), "ServicePrincipal", sp)


def named_user(user: User) -> Named:
    return Named("user", user.user_principal_name, user.id, frozenset({user.id}), "User")


def named_group(group: Group) -> Named:
    return Named("group", group.display_name, group.id, frozenset({group.id}), "Group")


def builtin_named(snap: Snapshot) -> list[Named]:
    return [Named("service principal", sp.display_name, sp.id, frozenset({sp.id, sp.app_id}), "ServicePrincipal", sp)
            for sp in snap.builtin_sps]


def named_objects(snap: Snapshot) -> list[Named]:
    """Everything in the tenant a file can refer to, as export writes it (the admin app left out)."""
    named = [named_app(snap.tenant.id, app.display_name, app.id, app.app_id,
                       sp.id if (sp := snap.sp_of(app)) else None, app.app_roles)
             for app in snap.applications if not snap.is_admin_app(app)]
    named += [named_identity(sp) for sp in snap.identities]
    named += [named_user(u) for u in snap.users]
    named += [named_group(g) for g in snap.groups]
    return named + builtin_named(snap)
