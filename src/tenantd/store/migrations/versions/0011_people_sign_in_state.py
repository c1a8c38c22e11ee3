"""verified domains and what people's sign-ins leave between requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00.000000

Tenants' verified domains; browser sessions and their accounts, authorization codes, refresh tokens and
device codes (secrets as SHA-256 hex, times as epoch seconds). Every table starts empty: existing tenants get
their initial domain when the server next starts (directory/domains.py).
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

GUID = sa.String(36)
HASH = sa.String(64)
EPOCH = sa.BigInteger


def upgrade() -> None:
    op.create_table(
        'tenant_domains',
        sa.Column('name', sa.String(256), primary_key=True),
        sa.Column('tenant_id', GUID, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=False, index=True),
        sa.Column('is_initial', sa.Boolean, nullable=False),
        sa.Column('is_default', sa.Boolean, nullable=False),
        sa.Column('created', sa.String(32), nullable=False),
    )
    op.create_table(
        'browser_sessions',
        sa.Column('id_hash', HASH, primary_key=True),
        sa.Column('created', EPOCH, nullable=False),
        sa.Column('expires', EPOCH, nullable=False, index=True),
        sa.Column('persistent', sa.Boolean, nullable=False),
    )
    op.create_table(
        'session_accounts',
        sa.Column('session_hash', HASH, sa.ForeignKey('browser_sessions.id_hash', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('user_id', GUID, sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True, index=True),
        sa.Column('tenant_id', GUID, nullable=False),
        sa.Column('auth_time', EPOCH, nullable=False),
    )
    op.create_table(
        'authorization_codes',
        sa.Column('code_hash', HASH, primary_key=True),
        sa.Column('tenant_id', GUID, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=False),
        sa.Column('client_app_id', GUID, nullable=False),
        sa.Column('user_id', GUID, sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False),
        sa.Column('redirect_uri', sa.String(512), nullable=False),
        sa.Column('scope', sa.String(2048), nullable=False),
        sa.Column('resource', sa.String(600), nullable=True),
        sa.Column('endpoint_version', sa.Integer, nullable=False),
        sa.Column('code_challenge', sa.String(128), nullable=True),
        sa.Column('code_challenge_method', sa.String(16), nullable=True),
        sa.Column('nonce', sa.String(512), nullable=True),
        sa.Column('auth_time', EPOCH, nullable=False),
        sa.Column('session_hash', HASH, nullable=True),
        sa.Column('created', EPOCH, nullable=False),
        sa.Column('expires', EPOCH, nullable=False, index=True),
        sa.Column('redeemed', EPOCH, nullable=True),
        sa.Column('grant_id', sa.String(64), nullable=True),
    )
    op.create_table(
        'refresh_tokens',
        sa.Column('token_hash', HASH, primary_key=True),
        sa.Column('tenant_id', GUID, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=False),
        sa.Column('client_app_id', GUID, nullable=False),
        sa.Column('user_id', GUID, sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=False, index=True),
        sa.Column('scope', sa.String(2048), nullable=False),
        sa.Column('resource', sa.String(600), nullable=True),
        sa.Column('client_kind', sa.String(16), nullable=False),
        sa.Column('grant_id', sa.String(64), nullable=False, index=True),
        sa.Column('first_sign_in', EPOCH, nullable=False),
        sa.Column('auth_time', EPOCH, nullable=False),
        sa.Column('created', EPOCH, nullable=False),
        sa.Column('expires', EPOCH, nullable=False, index=True),
        sa.Column('hard_expiry', EPOCH, nullable=True),
        sa.Column('used', EPOCH, nullable=True),
    )
    op.create_table(
        'device_codes',
        sa.Column('device_code_hash', HASH, primary_key=True),
        sa.Column('user_code', sa.String(16), nullable=False, unique=True),
        sa.Column('tenant_id', GUID, sa.ForeignKey('tenants.id', ondelete='CASCADE'), nullable=True),
        sa.Column('client_app_id', GUID, nullable=False),
        sa.Column('scope', sa.String(2048), nullable=False),
        sa.Column('resource', sa.String(600), nullable=True),
        sa.Column('endpoint_version', sa.Integer, nullable=False),
        sa.Column('created', EPOCH, nullable=False),
        sa.Column('expires', EPOCH, nullable=False, index=True),
        sa.Column('interval', sa.Integer, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('last_poll', EPOCH, nullable=True),
        sa.Column('user_id', GUID, sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=True),
        sa.Column('auth_time', EPOCH, nullable=True),
    )


def downgrade() -> None:
    for name in ('device_codes', 'refresh_tokens', 'authorization_codes', 'session_accounts', 'browser_sessions',
                 'tenant_domains'):
        op.drop_table(name)
