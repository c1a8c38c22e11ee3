"""service principals by type, in creation order

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 01:00:00.000000

A page of one type of service principal (the portal's managed identities) in creation order read from an index,
instead of reading every service principal of the other type created before it. On SQLite the table is
analyzed again: a database analyzed before (as after a bulk load) would otherwise have statistics for every
index but this one, and SQLite would then take it for the plain list too and sort the whole table.
"""

from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_principals_tenant_id_service_principal_type_created_id'),
                              ['tenant_id', 'service_principal_type', 'created', 'id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=1000")   # sampled: a bounded cost on a large table
        op.execute("ANALYZE service_principals")


def downgrade() -> None:
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_principals_tenant_id_service_principal_type_created_id'))
