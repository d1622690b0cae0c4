"""hotline: why a removal check or a deletion request's delivery failed, as a reason code with values

hl_removal_checks.reason and reason_params, hl_deletion_requests.error_reason and error_params: the
case page says why in the reader's language instead of the English sentence kept in `detail` and
`error` (older rows keep only that sentence, and the page shows it). hl_removal_checks.by: who asked
for the check ("system" for the worker's, or the analyst who pressed "check removal now").

Revision ID: hl0006
Revises: hl0005
Create Date: 2026-12-02 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'hl0006'
down_revision = 'hl0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hl_removal_checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reason_params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('by', sa.String(length=64), nullable=False, server_default='system'))
    with op.batch_alter_table('hl_deletion_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_reason', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('error_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hl_deletion_requests', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_reason')
    with op.batch_alter_table('hl_removal_checks', schema=None) as batch_op:
        batch_op.drop_column('by')
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason')
