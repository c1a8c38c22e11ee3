"""owners and authorization policy

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 10:00:00.000000

Owners of applications, service principals and groups; each tenant's authorization policy (the default user
role's permissions; no row: Entra's defaults).
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

GUID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        'owners',
        sa.Column('object_id', GUID, nullable=False),
        sa.Column('owner_id', GUID, nullable=False),
        sa.Column('tenant_id', GUID, nullable=False),
        sa.Column('object_type', sa.String(length=32), nullable=False),
        sa.Column('owner_type', sa.String(length=32), nullable=False),
        sa.Column('created', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_owners_tenant_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('object_id', 'owner_id', name=op.f('pk_owners')),
    )
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_owners_owner_id'), ['owner_id'], unique=False)
    op.create_table(
        'authorization_policies',
        sa.Column('tenant_id', GUID, nullable=False),
        sa.Column('allowed_to_create_apps', sa.Boolean(), nullable=False),
        sa.Column('allowed_to_create_security_groups', sa.Boolean(), nullable=False),
        sa.Column('allowed_to_read_other_users', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_authorization_policies_tenant_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_authorization_policies')),
    )


def downgrade() -> None:
    op.drop_table('authorization_policies')
    with op.batch_alter_table('owners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owners_owner_id'))
    op.drop_table('owners')
