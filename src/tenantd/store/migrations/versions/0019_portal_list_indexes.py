"""service principals by type, in creation order; audits by application

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 01:00:00.000000

A page of one type of service principal (the portal's managed identities) in creation order read from an index,
instead of reading every service principal of the other type created before it; what one application
changed, newest first, without reading the whole log (its sign-ins have their index from 0018). On SQLite
the tables are analyzed again: a database analyzed before (as after a bulk load) would otherwise have statistics
for every index but the new ones, and SQLite would then take the type's index for the plain list too and sort
the whole table.
"""

from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_principals_tenant_id_service_principal_type_created_id'),
                              ['tenant_id', 'service_principal_type', 'created', 'id'], unique=False)
    with op.batch_alter_table('directory_audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_audits_tenant_id_initiator_app_id_created'),
                              ['tenant_id', 'initiator_app_id', 'created'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA analysis_limit=1000")   # sampled: a bounded cost on large tables
        for table in ('service_principals', 'sign_ins', 'directory_audits'):
            op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    with op.batch_alter_table('directory_audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_audits_tenant_id_initiator_app_id_created'))
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_principals_tenant_id_service_principal_type_created_id'))
