"""Graph's collections: filtered and keyset-paged in the store, whatever the object type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..store import listing
from .unit import UnitOfWork


class Listings(UnitOfWork):
    """Pages and counts of Graph's collections."""

    def page(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition],
             after: tuple[str, str] | None, limit: int) -> list[Any]:
        """Up to ``limit`` objects of a collection that meet ``conditions``, past the keyset ``after``."""
        with self.store.read() as tx:
            return tx.page(kind, tenant_id, conditions, after, limit)

    def count(self, kind: listing.Kind, tenant_id: str, conditions: Sequence[listing.Condition]) -> int:
        with self.store.read() as tx:
            return tx.count(kind, tenant_id, conditions)
