"""delegated permission grants

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 14:00:00.000000

Graph's oAuth2PermissionGrant: a client's delegated permissions on a resource, for every user or for one. The
table starts empty; a grant goes with its client, its resource or its user (foreign keys, ON DELETE CASCADE).
"""

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

GUID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        'oauth2_permission_grants',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', GUID, nullable=False),
        sa.Column('client_id', GUID, nullable=False),
        sa.Column('consent_type', sa.String(length=16), nullable=False),
        sa.Column('principal_id', GUID, nullable=True),
        sa.Column('resource_id', GUID, nullable=False),
        sa.Column('scope', sa.String(length=4000), nullable=False),
        sa.Column('created', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_oauth2_permission_grants_tenant_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['service_principals.id'],
                                name=op.f('fk_oauth2_permission_grants_client_id'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['principal_id'], ['users.id'], name=op.f('fk_oauth2_permission_grants_principal_id'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_id'], ['service_principals.id'],
                                name=op.f('fk_oauth2_permission_grants_resource_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth2_permission_grants')),
    )
    with op.batch_alter_table('oauth2_permission_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth2_permission_grants_principal_id'), ['principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth2_permission_grants_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth2_permission_grants_client_id_resource_id_principal_id'),
                              ['client_id', 'resource_id', 'principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth2_permission_grants_tenant_id_created_id'),
                              ['tenant_id', 'created', 'id'], unique=False)


def downgrade() -> None:
    op.drop_table('oauth2_permission_grants')
