"""Owners of applications, service principals and groups, as Entra has them: who may own what, the last owner
of a group, and the audit entries of an owner added or removed.

An application, a service principal or a group is owned by users and service principals (never by a group).
A user who creates one of them through a delegated call becomes its first owner (but
application administrators do not own the applications they create, as in Entra). An application or a service
principal may be left without owners; a group that has owners keeps at least one, as Graph refuses to remove
the last ("The group must have at least one owner ..."). Deleting an owner or an owned object removes the
ownership with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import audit
from .errors import BadRequest
from .model import Application, Group, Principal, ServicePrincipal

OWNER_TYPES = ("User", "ServicePrincipal")
# Application Administrator and Cloud Application Administrator: Entra does not make their holders owners of the
# applications and service principals they create.
_APP_ADMINS = frozenset({"9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "158c047a-c907-4556-b7ef-446551a6b5f7"})
_ACTIVITY = {"Application": ("application", "ApplicationManagement"),
             "ServicePrincipal": ("service principal", "ApplicationManagement"),
             "Group": ("group", "GroupManagement")}


@dataclass(frozen=True)
class Owned:
    """An object that has owners, reduced to what the rules and the audit log need."""

    id: str
    type: str                       # Application | ServicePrincipal | Group
    display_name: str
    app_id: str | None = None       # an application's or a service principal's appId


def owned(obj: Application | ServicePrincipal | Group) -> Owned:
    if isinstance(obj, Group):
        return Owned(obj.id, "Group", obj.display_name)
    return Owned(obj.id, "Application" if isinstance(obj, Application) else "ServicePrincipal", obj.display_name,
                 obj.app_id)


def creator_owns(owned_type: str, creator_roles: Iterable[str]) -> bool:
    """Whether a user who creates an object of ``owned_type`` (holding ``creator_roles``, template ids) becomes
    its owner: always for a group; for an application or a service principal unless an application admin."""
    return owned_type == "Group" or not _APP_ADMINS & set(creator_roles)


def can_own(owner: Principal) -> None:
    """A user or a service principal; a group cannot own anything."""
    if owner.type not in OWNER_TYPES:
        raise BadRequest("Unsupported referenced-object resource identifier for link property 'owners'.")


def duplicate() -> BadRequest:
    """Graph's answer to an owner added twice."""
    return BadRequest("One or more added object references already exist for the following modified properties: "
                      "'owners'.")


def removable(owned: Owned, owners_left: int) -> None:
    """Whether an owner may go, ``owners_left`` staying after: a group keeps its last owner."""
    if owned.type == "Group" and owners_left == 0:
        raise BadRequest("The group must have at least one owner, hence this owner cannot be removed.")


def entry(added: bool, owned: Owned, owner: Principal) -> audit.Entry:
    """Entra's "Add owner to application" (service principal, group) and "Remove owner from ...": the owner,
    with the object in its changed properties, and the object as targets."""
    name, category = _ACTIVITY[owned.type]
    values = {f"{owned.type}.ObjectID": owned.id, f"{owned.type}.DisplayName": owned.display_name}
    if owned.app_id is not None:
        values[f"{owned.type}.AppId"] = owned.app_id
    changes = audit.diff(None, values) if added else audit.diff(values, None)
    return audit.Entry(f"Add owner to {name}" if added else f"Remove owner from {name}", category,
                       "Assign" if added else "Unassign",
                       (audit.principal(owner, changes), audit.Target(owned.id, owned.display_name, owned.type)))
