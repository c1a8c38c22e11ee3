"""name keys and paging indexes for Graph queries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 15:21:07.562557

Generated with autogenerate against a database at 0003; adjusted by hand so existing rows get their
name_key (display_name case-folded, as Graph's filters compare names) before the column becomes NOT NULL.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ('applications', 'groups', 'service_principals', 'users')


def name_key_type() -> sa.types.TypeEngine:
    return sa.String(length=256).with_variant(sa.String(length=256, collation='C'), 'postgresql')


def upgrade() -> None:
    connection = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_key', name_key_type(), nullable=True))
        rows = sa.table(table, sa.column('id', sa.String), sa.column('display_name', sa.String),
                        sa.column('name_key', sa.String))
        for row in connection.execute(sa.select(rows.c.id, rows.c.display_name)).all():
            connection.execute(rows.update().where(rows.c.id == row.id).values(name_key=row.display_name.casefold()))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('name_key', existing_type=name_key_type(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id_created_id'), ['tenant_id', 'created', 'id'],
                                  unique=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id_name_key_id'), ['tenant_id', 'name_key', 'id'],
                                  unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_tenant_id_name_key_id'))
            batch_op.drop_index(batch_op.f(f'ix_{table}_tenant_id_created_id'))
            batch_op.drop_column('name_key')
