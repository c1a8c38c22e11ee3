"""applications' implicit grant settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00.000000

Graph's web.implicitGrantSettings as its JSON object; null (every existing application) is both off.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('implicit_grant_settings', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('implicit_grant_settings')
