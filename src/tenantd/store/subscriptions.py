"""Rows of Azure subscriptions and their viewers."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..domain.subscriptions import Subscription
from .subscription_tables import subscription_viewers as _v
from .subscription_tables import subscriptions as _s
from .transaction import BaseTx


class SubscriptionRows(BaseTx):
    """A tenant's subscriptions, with the object ids of the principals that see each."""

    def subscriptions(self, tenant_id: str) -> list[Subscription]:
        rows = self.conn.execute(sa.select(_s).where(_s.c.tenant_id == tenant_id)
                                 .order_by(_s.c.display_name, _s.c.id)).all()
        viewers: dict[str, list[str]] = {}
        if rows:
            found = self.conn.execute(sa.select(_v).join(_s, _s.c.id == _v.c.subscription_id)
                                      .where(_s.c.tenant_id == tenant_id).order_by(_v.c.principal_id))
            for v in found:
                viewers.setdefault(v.subscription_id, []).append(v.principal_id)
        return [Subscription(r.id, r.tenant_id, r.display_name, r.visible_to_all, tuple(viewers.get(r.id, ())),
                             r.created) for r in rows]

    def subscription(self, subscription_id: str) -> Subscription | None:
        """The subscription ``subscription_id``, whichever tenant holds it."""
        r = self.conn.execute(sa.select(_s).where(_s.c.id == subscription_id.lower())).first()
        if r is None:
            return None
        viewers = self.conn.execute(sa.select(_v.c.principal_id).where(_v.c.subscription_id == r.id)
                                    .order_by(_v.c.principal_id)).scalars()
        return Subscription(r.id, r.tenant_id, r.display_name, r.visible_to_all, tuple(viewers), r.created)

    def put_subscription(self, sub: Subscription) -> None:
        """Insert ``sub``, or replace its name, visibility and viewers (its tenant and creation stay)."""
        if self.conn.execute(sa.select(_s.c.id).where(_s.c.id == sub.id)).first() is None:
            self._exec(_s.insert().values(id=sub.id, tenant_id=sub.tenant_id, display_name=sub.display_name,
                                          visible_to_all=sub.visible_to_all, created=sub.created))
        else:
            self.conn.execute(_s.update().where(_s.c.id == sub.id)
                              .values(display_name=sub.display_name, visible_to_all=sub.visible_to_all))
            self.conn.execute(_v.delete().where(_v.c.subscription_id == sub.id))
        self._insert_viewers(sub.id, sub.viewers)

    def _insert_viewers(self, subscription_id: str, viewers: Iterable[str]) -> None:
        rows = [{"subscription_id": subscription_id, "principal_id": p} for p in dict.fromkeys(viewers)]
        if rows:
            self.conn.execute(_v.insert(), rows)

    def delete_subscription(self, subscription_id: str) -> None:
        self.conn.execute(_v.delete().where(_v.c.subscription_id == subscription_id))
        self.conn.execute(_s.delete().where(_s.c.id == subscription_id))
