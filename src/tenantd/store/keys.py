"""Token signing keys (encrypted before they reach this layer)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from . import schema as t
from .transaction import BaseTx


class SigningKeyRows(BaseTx):
    """Token signing keys (encrypted before they reach this layer)."""

    def signing_keys(self, tenant_id: str) -> list[Row[Any]]:
        return list(self.conn.execute(sa.select(t.signing_keys).where(t.signing_keys.c.tenant_id == tenant_id)
                                      .order_by(t.signing_keys.c.created.desc())))

    def active_signing_keys(self, limit: int) -> list[Row[Any]]:
        """Every tenant's active key (kid, tenant, times; no key material), those signing longest first."""
        k = t.signing_keys
        since = sa.func.coalesce(k.c.activates, k.c.created)
        return list(self.conn.execute(sa.select(k.c.kid, k.c.tenant_id, k.c.status, k.c.created, k.c.activates,
                                                k.c.retires).where(k.c.status == "active")
                                      .order_by(since, k.c.tenant_id).limit(limit)))

    def insert_signing_key(self, kid: str, tenant_id: str, private_key: bytes, certificate: bytes,
                           status: str, created: str, activates: str | None = None) -> None:
        self._exec(t.signing_keys.insert().values(kid=kid, tenant_id=tenant_id, private_key=private_key,
                                                  certificate=certificate, status=status, created=created,
                                                  activates=activates))

    def lock_signing_keys(self, tenant_id: str) -> bool:
        """Serialise key changes of one tenant until this transaction ends (the tenant row, locked without
        blocking inserts that reference it; SQLite's write transactions are serial already). False when
        the tenant does not exist."""
        row = self.conn.execute(sa.select(t.tenants.c.id).where(t.tenants.c.id == tenant_id)
                                .with_for_update(key_share=True)).first()
        return row is not None

    def set_signing_key_status(self, kid: str, expected: str, status: str, *, activates: str | None = None,
                               retires: str | None = None) -> int:
        """Move a key from ``expected`` to ``status``; 0 when it was not in ``expected`` (someone else moved it)."""
        values: dict[str, Any] = {"status": status}
        if activates is not None:
            values["activates"] = activates
        if retires is not None:
            values["retires"] = retires
        k = t.signing_keys
        return int(self._exec(k.update().where(k.c.kid == kid, k.c.status == expected).values(**values)).rowcount)
