"""The tables of object owners and of each tenant's authorization policy, on the one schema's metadata.

An owner row names an owned object (an application, a service principal or a group) and one of its owners (a
user or a service principal). Neither end has one table a foreign key could name, so the store removes a row
with either end (deleting a principal or an application), as it removes assignments with their principal; a
row goes with its tenant by foreign key. A tenant without an authorization policy row has Entra's defaults."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import GUID, TIME, metadata

owners = sa.Table(
    "owners", metadata,
    sa.Column("object_id", GUID, primary_key=True),
    sa.Column("owner_id", GUID, primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("object_type", sa.String(32), nullable=False),     # Application | ServicePrincipal | Group
    sa.Column("owner_type", sa.String(32), nullable=False),      # User | ServicePrincipal
    sa.Column("created", TIME, nullable=False),
    sa.Index(None, "owner_id"),                                  # what a user owns; her rows when she goes
)

authorization_policies = sa.Table(
    "authorization_policies", metadata,
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("allowed_to_create_apps", sa.Boolean, nullable=False),
    sa.Column("allowed_to_create_security_groups", sa.Boolean, nullable=False),
    sa.Column("allowed_to_read_other_users", sa.Boolean, nullable=False),
)
