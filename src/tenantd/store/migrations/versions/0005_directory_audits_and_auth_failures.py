"""directory audit log and failed client authentication counters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:02:11.204117
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_audits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.Column('correlation_id', sa.String(length=36), nullable=False),
    sa.Column('activity', sa.String(length=128), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('operation_type', sa.String(length=32), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('result_reason', sa.String(length=512), nullable=True),
    sa.Column('initiator_app_id', sa.String(length=64), nullable=True),
    sa.Column('initiator_id', sa.String(length=36), nullable=True),
    sa.Column('initiator_name', sa.String(length=256), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_directory_audits_tenant_id'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_audits'))
    )
    with op.batch_alter_table('directory_audits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_audits_tenant_id_created'), ['tenant_id', 'created'],
                              unique=False)

    op.create_table('auth_failures',
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('slot', sa.BigInteger(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'client_id', 'source', 'slot', name=op.f('pk_auth_failures'))
    )


def downgrade() -> None:
    op.drop_table('auth_failures')
    with op.batch_alter_table('directory_audits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_audits_tenant_id_created'))
    op.drop_table('directory_audits')
