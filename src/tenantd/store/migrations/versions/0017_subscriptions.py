"""subscriptions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 00:40:00.000000

Azure subscriptions, which tenantd's Azure Resource Manager surface lists to the Azure CLI, and the principals
that see each.
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

GUID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        'subscriptions',
        sa.Column('id', GUID, nullable=False),
        sa.Column('tenant_id', GUID, nullable=False),
        sa.Column('display_name', sa.String(length=64), nullable=False),
        sa.Column('visible_to_all', sa.Boolean(), nullable=False),
        sa.Column('created', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_subscriptions_tenant_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions')),
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_tenant_id'), ['tenant_id'], unique=False)
    op.create_table(
        'subscription_viewers',
        sa.Column('subscription_id', GUID, nullable=False),
        sa.Column('principal_id', GUID, nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'],
                                name=op.f('fk_subscription_viewers_subscription_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('subscription_id', 'principal_id', name=op.f('pk_subscription_viewers')),
    )
    with op.batch_alter_table('subscription_viewers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscription_viewers_principal_id'), ['principal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('subscription_viewers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscription_viewers_principal_id'))
    op.drop_table('subscription_viewers')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_tenant_id'))
    op.drop_table('subscriptions')
