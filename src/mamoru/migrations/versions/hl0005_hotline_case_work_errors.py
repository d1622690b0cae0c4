"""hotline: the worker's failure on one case is recorded on it (hl_cases.work_error_job, work_error, work_error_at, work_attempts, work_retry_at)

An exception while the worker handles one case (police alert, deletion request, removal check) no
longer ends the round: it is recorded on the case, the job is retried for that case after a backoff
(10 minutes, doubling, at most a day), and analysts see it on the case page and in the queue.

Revision ID: hl0005
Revises: hl0004
Create Date: 2026-12-03 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'hl0005'
down_revision = 'hl0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hl_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_error_job', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('work_error', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('work_error_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('work_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('work_retry_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_hl_cases_work_retry_at'), ['work_retry_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hl_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hl_cases_work_retry_at'))
        batch_op.drop_column('work_retry_at')
        batch_op.drop_column('work_attempts')
        batch_op.drop_column('work_error_at')
        batch_op.drop_column('work_error')
        batch_op.drop_column('work_error_job')
