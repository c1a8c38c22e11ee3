"""users' sign-in sessions valid from

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 12:00:00.000000

Graph's signInSessionsValidFromDateTime: revokeSignInSessions sets it, and a token issued before it cannot be
exchanged on behalf of the user. Null (every existing user): never revoked.
"""

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_sessions_valid_from', sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sign_in_sessions_valid_from')
