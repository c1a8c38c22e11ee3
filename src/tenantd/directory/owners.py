"""Owners of applications, service principals and groups: added, removed and listed (Graph's ``owners`` and
``ownedObjects``), each change audited as Entra records it. The rules are domain/ownership.py's."""

from __future__ import annotations

from ..domain import ownership
from ..domain.errors import NotFound
from ..domain.model import Application, Group, ServicePrincipal, User
from ..domain.ownership import Owned
from ..store import Tx
from ..store.sql import DuplicateKey
from .unit import UnitOfWork, must_exist, now_iso, principal_of

Ownable = Application | ServicePrincipal | Group


class Owners(UnitOfWork):
    """The use cases of object owners."""

    def add_owner(self, tenant_id: str, owned_type: str, object_id: str, owner_id: str) -> None:
        """Make ``owner_id`` (a user or a service principal) an owner; a second time is Graph's 400."""
        with self.store.write() as tx:
            owned = _owned(tx, tenant_id, owned_type, object_id)
            owner = must_exist(principal_of(tx, tenant_id, owner_id), owner_id)
            ownership.can_own(owner)
            try:
                tx.insert_owner(tenant_id, owned.id, owned.type, owner.id, owner.type, now_iso())
            except DuplicateKey:
                raise ownership.duplicate() from None
            self._record(tx, tenant_id, ownership.entry(True, owned, owner))

    def remove_owner(self, tenant_id: str, owned_type: str, object_id: str, owner_id: str) -> None:
        """Take ``owner_id`` from the object's owners (a group keeps its last one)."""
        with self.store.write() as tx:
            owned = _owned(tx, tenant_id, owned_type, object_id)
            owners = dict(tx.owners_of(owned.id))
            must_exist(owners.get(owner_id), owner_id)
            ownership.removable(owned, len(owners) - 1)
            owner = principal_of(tx, tenant_id, owner_id)
            tx.delete_owner(owned.id, owner_id)
            if owner is not None:
                self._record(tx, tenant_id, ownership.entry(False, owned, owner))

    def owners(self, tenant_id: str, owned_type: str, object_id: str) -> list[User | ServicePrincipal]:
        """The object's owners, oldest first."""
        with self.store.read() as tx:
            owned = _owned(tx, tenant_id, owned_type, object_id)
            found: list[User | ServicePrincipal] = []
            for owner_id, owner_type in tx.owners_of(owned.id):
                obj = tx.user(tenant_id, owner_id) if owner_type == "User" else tx.service_principal(tenant_id,
                                                                                                     owner_id)
                if obj is not None:
                    found.append(obj)
            return found

    def owned_objects(self, tenant_id: str, owner_id: str) -> list[Ownable]:
        """What a user or a service principal owns, oldest first."""
        with self.store.read() as tx:
            found = [_find(tx, tenant_id, kind, object_id) for object_id, kind in tx.owned_by(tenant_id, owner_id)]
        return [obj for obj in found if obj is not None]

    def owns(self, owner_id: str, object_id: str) -> bool:
        with self.store.read() as tx:
            return tx.owns(owner_id, object_id)


def _find(tx: Tx, tenant_id: str, owned_type: str, object_id: str) -> Ownable | None:
    if owned_type == "Application":
        return tx.application(tenant_id, object_id)
    if owned_type == "ServicePrincipal":
        return tx.service_principal(tenant_id, object_id)
    return tx.group(tenant_id, object_id)


def _owned(tx: Tx, tenant_id: str, owned_type: str, object_id: str) -> Owned:
    obj = _find(tx, tenant_id, owned_type, object_id)
    if obj is None:
        raise NotFound(f"Resource '{object_id}' does not exist or one of its queried reference-property objects "
                       "are not present.")
    return ownership.owned(obj)
