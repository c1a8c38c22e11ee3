"""sign-in rows that count identical sign-ins

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('last_created', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sign_ins', schema=None) as batch_op:
        batch_op.drop_column('last_created')
        batch_op.drop_column('count')
