"""hotline: a removal counts after two checks 12 hours apart (hl_cases.removal_seen_at, removal_agreed_at, removal_confirmed_at, removal_confirmed_by)

The first "gone" answer of a removal check is recorded as seen (removal_seen_at); a second one at
least 12 hours later confirms the removal (removal_confirmed_at, by "checks"), or, for a URL that
reappeared before, waits for an analyst (removal_agreed_at) who confirms it (removal_confirmed_by).
The blocking list takes entries off only for confirmed removals. Cases removed before this
revision were removed on one answer: they keep their status with no confirmation, so the blocking
list no longer acts on them (it already did); their checks go on, and a "present" answer reopens them.

Revision ID: hl0004
Revises: hl0003
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'hl0004'
down_revision = 'hl0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hl_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removal_seen_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removal_agreed_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removal_confirmed_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removal_confirmed_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hl_cases', schema=None) as batch_op:
        batch_op.drop_column('removal_confirmed_by')
        batch_op.drop_column('removal_confirmed_at')
        batch_op.drop_column('removal_agreed_at')
        batch_op.drop_column('removal_seen_at')
