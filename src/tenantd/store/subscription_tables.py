"""The tables of Azure subscriptions (domain/subscriptions.py) and of who sees each, on the one schema's metadata.

A viewer row names a user or a service principal by object id; neither has one table a foreign key could name,
so the store removes a principal's rows when the principal goes (``delete_principal_links``). Rows go with their
subscription, and subscriptions with their tenant, by foreign key."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import GUID, TIME, metadata

subscriptions = sa.Table(
    "subscriptions", metadata,
    sa.Column("id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("display_name", sa.String(64), nullable=False),
    sa.Column("visible_to_all", sa.Boolean, nullable=False),
    sa.Column("created", TIME, nullable=False),
)

subscription_viewers = sa.Table(
    "subscription_viewers", metadata,
    sa.Column("subscription_id", GUID, sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("principal_id", GUID, primary_key=True),
    sa.Index(None, "principal_id"),   # what one principal sees; its rows when it goes
)
