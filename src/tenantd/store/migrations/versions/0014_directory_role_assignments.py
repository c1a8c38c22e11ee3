"""directory role assignments

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 10:00:00.000000

Who holds which built-in directory role (Global Administrator ...), tenant-wide.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('directory_role_assignments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=36), nullable=False),
    sa.Column('role_definition_id', sa.String(length=36), nullable=False),
    sa.Column('principal_id', sa.String(length=36), nullable=False),
    sa.Column('principal_type', sa.String(length=32), nullable=False),
    sa.Column('directory_scope_id', sa.String(length=256), nullable=False),
    sa.Column('created', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_directory_role_assignments_tenant_id'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_role_assignments'))
    )
    with op.batch_alter_table('directory_role_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_role_assignments_principal_id'), ['principal_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_directory_role_assignments_tenant_id_role_definition_id'),
                              ['tenant_id', 'role_definition_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('directory_role_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_role_assignments_tenant_id_role_definition_id'))
        batch_op.drop_index(batch_op.f('ix_directory_role_assignments_principal_id'))
    op.drop_table('directory_role_assignments')
