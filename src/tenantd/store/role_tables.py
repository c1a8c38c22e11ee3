"""The table of directory role assignments (domain/directory_roles.py), on the one schema's metadata.

The role definitions are built in (they live in code, not here): a row names its role by template id. A row
goes with its tenant (foreign key) and with its principal (removed by the use case that deletes it, as app
role assignments are). Its id is Entra's, made of the role and the principal, so a duplicate loses on the
primary key."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import GUID, TIME, metadata

directory_role_assignments = sa.Table(
    "directory_role_assignments", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", GUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role_definition_id", GUID, nullable=False),
    sa.Column("principal_id", GUID, nullable=False),
    sa.Column("principal_type", sa.String(32), nullable=False),
    sa.Column("directory_scope_id", sa.String(256), nullable=False),
    sa.Column("created", TIME, nullable=False),
    sa.Index(None, "principal_id"),                            # a user's roles: the token path's read
    sa.Index(None, "tenant_id", "role_definition_id"),         # a role's members
)
