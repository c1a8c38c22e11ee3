"""applications' sign-in settings and delegated permissions, mirrored on service principals

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00.000000

Every new column is nullable (null: nothing set) but the application's audience, whose default is the one
every existing application had: AzureADMyOrg.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_APPLICATION_JSON = ('optional_claims', 'redirect_uris', 'oauth2_permission_scopes', 'pre_authorized_applications',
                     'required_resource_access')


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_audience', sa.String(length=32), nullable=False,
                                      server_default='AzureADMyOrg'))
        batch_op.add_column(sa.Column('is_fallback_public_client', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('group_membership_claims', sa.String(length=128), nullable=True))
        for name in _APPLICATION_JSON:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oauth2_permission_scopes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('reply_urls', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sign_in_audience', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('service_principals', schema=None) as batch_op:
        for name in ('sign_in_audience', 'reply_urls', 'oauth2_permission_scopes'):
            batch_op.drop_column(name)
    with op.batch_alter_table('applications', schema=None) as batch_op:
        for name in (*reversed(_APPLICATION_JSON), 'group_membership_claims', 'is_fallback_public_client',
                     'sign_in_audience'):
            batch_op.drop_column(name)
