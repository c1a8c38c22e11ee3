"""User passwords

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00.000000

Users sign in with passwords: argon2id PHC strings, which record their parameters, one row per user who
has one. Existing users have none until one is set.
"""

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_passwords',
        sa.Column('user_id', sa.String(36), sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('hash', sa.String(256), nullable=False),
        sa.Column('force_change', sa.Boolean, nullable=False),
        sa.Column('changed', sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('user_passwords')
