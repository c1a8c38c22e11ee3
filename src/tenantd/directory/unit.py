"""The piece every aggregate's use cases share: the store, the secret hasher and the actor, and the
audit log that each change writes in its own transaction; the lookups several aggregates make."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Self, TypeVar

from ..domain import audit, ownership
from ..domain.errors import BadRequest, NotFound
from ..domain.model import Principal
from ..store import Store, Tx

SecretHasher = Callable[[str], bytes]
T = TypeVar("T")


class UnitOfWork:
    """The use cases' common ground, acting for ``actor``: every change is written to the audit log in its
    own transaction."""

    def __init__(self, store: Store, hash_secret: SecretHasher, actor: audit.Actor = audit.SYSTEM,
                 public_url: str | None = None) -> None:
        self.store = store
        self.hash_secret = hash_secret
        self.actor = actor
        self.public_url = public_url   # tenantd's own address: no App ID URI may take it

    def as_actor(self, actor: audit.Actor) -> Self:
        """The same directory, with changes recorded as made by ``actor``."""
        return type(self)(self.store, self.hash_secret, actor, self.public_url)

    def using(self, store: Store) -> Self:
        """The same directory and actor over another store (one open transaction, for instance)."""
        return type(self)(store, self.hash_secret, self.actor, self.public_url)

    def _record(self, tx: Tx, tenant_id: str, *entries: audit.Entry) -> None:
        """Write ``entries`` in the change's transaction ``tx``: they commit or roll back with it."""
        actor = self.actor
        name = actor.display_name
        if name is None and actor.signed_in_user is not None:   # a person: named by her user principal name
            user = tx.user(actor.tenant_id or tenant_id, actor.signed_in_user)
            name = user.user_principal_name if user else actor.signed_in_user
        elif name is None:
            found = tx.service_principal(actor.tenant_id or tenant_id, actor.service_principal_id or "")
            name = found.display_name if found else actor.app_id or "unknown"
        now, correlation = datetime.now(UTC), str(uuid.uuid4())
        tx.insert_directory_audits([   # one microsecond apart, so they list in the order they happened
            e.row(tenant_id, str(uuid.uuid4()), correlation, now + timedelta(microseconds=i), actor, name)
            for i, e in enumerate(entries)])

    def _creator_owns(self, tx: Tx, tenant_id: str, owned: ownership.Owned) -> list[audit.Entry]:
        """A user who creates an object through a delegated call becomes its owner, as in Entra (but see
        :func:`ownership.creator_owns`), in the change's transaction; the entry that records it."""
        signed_in = self.actor.signed_in_user
        user = tx.user(tenant_id, signed_in) if signed_in else None
        if user is None or not ownership.creator_owns(owned.type, tx.role_template_ids([user.id]).get(user.id, [])):
            return []
        tx.insert_owner(tenant_id, owned.id, owned.type, user.id, "User", now_iso())
        return [ownership.entry(True, owned, Principal(user.id, "User", user.display_name))]

    def record(self, tenant_id: str, entry: audit.Entry) -> None:
        """Record an action that changes no directory object (a token minted as another principal)."""
        with self.store.write() as tx:
            self._record(tx, tenant_id, entry)

    def audits(self, tenant_id: str, conditions: Sequence[tuple[str, str, Any]] = (), *,
               before: tuple[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Audit rows, newest first (see :meth:`tenantd.store.Tx.directory_audits`)."""
        with self.store.read() as tx:
            return tx.directory_audits(tenant_id, conditions, before=before, limit=limit)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(datetime.now(UTC))


def must_exist(obj: T | None, key: str) -> T:
    if obj is None:
        raise NotFound(f"Resource '{key}' does not exist or one of its queried reference-property objects are not "
                       "present.")
    return obj


def principal_of(tx: Tx, tenant_id: str, object_id: str) -> Principal | None:
    sp = tx.service_principal(tenant_id, object_id)
    if sp is not None:
        return Principal(sp.id, "ServicePrincipal", sp.display_name)
    user = tx.user(tenant_id, object_id)
    if user is not None and user.id == object_id.lower():
        return Principal(user.id, "User", user.display_name)
    group = tx.group(tenant_id, object_id)
    if group is not None:
        return Principal(group.id, "Group", group.display_name)
    return None


def unique_ids(tx: Tx, *, object_ids: Sequence[str] = (), app_ids: Sequence[str] = ()) -> None:
    """Object ids and appIds are unique across all tenants, as in Entra (an API that accepts several tenants
    knows its callers by appId). The refusal is the same wherever the other holder is, so that it tells a
    tenant nothing about another."""
    for prop, values, taken in (("id", object_ids, tx.object_id_taken), ("appId", app_ids, tx.app_id_taken)):
        for value in values:
            if taken(value.lower()):
                raise BadRequest(f"Another object with the same value for property {prop} already exists: "
                                 f"{value.lower()}.", code="Request_MultipleObjectsWithSameKeyValue")
