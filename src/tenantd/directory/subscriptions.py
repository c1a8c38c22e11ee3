"""Azure subscriptions: declared per tenant, each with the principals that see it (or everyone), for the Azure
Resource Manager surface that lists them to the Azure CLI."""

from __future__ import annotations

from ..domain import audit
from ..domain.errors import BadRequest, NotFound
from ..domain.ids import is_guid
from ..domain.subscriptions import Subscription, display_name, subscription_id
from ..store import Tx
from .unit import UnitOfWork, now_iso


class Subscriptions(UnitOfWork):
    """Listing, declaring and removing a tenant's subscriptions; what one principal sees."""

    def subscriptions(self, tenant_id: str) -> list[Subscription]:
        with self.store.read() as tx:
            return tx.subscriptions(tenant_id)

    def visible_subscriptions(self, tenant_id: str, principal_id: str) -> list[Subscription]:
        """The tenant's subscriptions that ``principal_id`` (a user or service principal object id) sees."""
        return [s for s in self.subscriptions(tenant_id) if s.visible_to(principal_id)]

    def put_subscription(self, tenant_id: str, sub_id: str, name: str, *, visible_to_all: bool,
                         viewers: list[str]) -> Subscription:
        """Declare a subscription, or change its name and who sees it; ``viewers`` are object ids of the
        tenant's users and service principals. A subscription id another tenant holds is refused."""
        key = subscription_id(sub_id)
        with self.store.write() as tx:
            before = tx.subscription(key)
            if before is not None and before.tenant_id != tenant_id:
                raise BadRequest(f"The subscription '{key}' belongs to another tenant.")
            seen = tuple(dict.fromkeys(_principal(tx, tenant_id, v) for v in viewers))
            after = Subscription(key, tenant_id, display_name(name), visible_to_all, seen,
                                 before.created if before else now_iso())
            if before is not None and before.settings() == after.settings():
                return before
            tx.put_subscription(after)
            self._record(tx, tenant_id, audit.subscription(before, after))
        return after

    def remove_subscription(self, tenant_id: str, sub_id: str) -> Subscription:
        with self.store.write() as tx:
            found = _own(tx, tenant_id, sub_id)
            tx.delete_subscription(found.id)
            self._record(tx, tenant_id, audit.subscription(found, None))
        return found



def _own(tx: Tx, tenant_id: str, sub_id: str) -> Subscription:
    key = subscription_id(sub_id)
    found = tx.subscription(key)
    if found is None or found.tenant_id != tenant_id:
        raise NotFound(f"The subscription '{key}' could not be found.")
    return found


def _principal(tx: Tx, tenant_id: str, object_id: str) -> str:
    """``object_id`` when it is one of the tenant's users or service principals; BadRequest otherwise."""
    key = object_id.strip().lower()
    if not is_guid(key) or (tx.service_principal(tenant_id, key) is None and tx.user(tenant_id, key) is None):
        raise BadRequest(f"No user or service principal with the object id '{object_id}' in this tenant.")
    return key
