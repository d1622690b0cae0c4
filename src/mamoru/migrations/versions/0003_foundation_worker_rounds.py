"""foundation: each background worker's last round, for the health check

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:27:54.019560
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_rounds',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('started_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('rounds', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_rounds'))
    )


def downgrade() -> None:
    op.drop_table('worker_rounds')
