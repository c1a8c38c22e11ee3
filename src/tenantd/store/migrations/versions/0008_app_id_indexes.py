"""appId indexes across tenants

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:15:00.000000

Object ids and appIds are unique across all tenants. Writes are serialised (SQLite's write lock, PostgreSQL's
advisory lock), so the directory's check inside the write transaction is what keeps them unique; these
indexes make its appId lookups across tenants index reads. They are not unique keys: built-in service
principals share their appId in every tenant, and a database that already holds one appId in two tenants
(a tenant file with pinned appIds applied to both) migrates unchanged, both copies keep working, and only new
duplicates are refused.
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_app_id'), ['app_id'], unique=False)
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_principals_app_id'), ['app_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_principals_app_id'))
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_app_id'))
