"""indexes for the logs filtered by app, principal or initiator

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-05 01:00:00.000000

The sign-in log by appId, principal id or name, and the audit log by the initiator's id or name, newest first,
read from an index rather than a scan of the tenant's rows (the portal's log filters, Graph's $filter).
(Main's 0017 is not on this branch: when both are present this revises 0017.)
"""

from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_INDEXES = (
    ("sign_ins", ("tenant_id", "app_id", "created")),
    ("sign_ins", ("tenant_id", "principal_id", "created")),
    ("sign_ins", ("tenant_id", "principal_name", "created")),
    ("directory_audits", ("tenant_id", "initiator_id", "created")),
    ("directory_audits", ("tenant_id", "initiator_name", "created")),
)


def _name(table: str, columns: tuple[str, ...]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns in _INDEXES:
        op.create_index(_name(table, columns), table, list(columns))


def downgrade() -> None:
    for table, columns in reversed(_INDEXES):
        op.drop_index(_name(table, columns), table_name=table)
