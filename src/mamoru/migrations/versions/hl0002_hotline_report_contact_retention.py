"""hotline: reporters' contacts kept until a retention period ends (hl_reports.contact_kept_since, contact_purged_at)

Rows that hold a contact get contact_kept_since = received_at, so the purge counts their age from
when they arrived. Their contact stays as stored (plain text): this migration runs as the table
owner, which does not hold the hotline's contact key. The hotline worker seals those rows when it
starts (`mamoru hotline seal-contacts` does the same on demand); until then they read as "plain".

Revision ID: hl0002
Revises: hl0001
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'hl0002'
down_revision = 'hl0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hl_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_kept_since', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contact_purged_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_hl_reports_contact_kept_since'), ['contact_kept_since'], unique=False)
    op.execute("UPDATE hl_reports SET contact_kept_since = received_at WHERE contact <> ''")


def downgrade() -> None:
    with op.batch_alter_table('hl_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hl_reports_contact_kept_since'))
        batch_op.drop_column('contact_purged_at')
        batch_op.drop_column('contact_kept_since')
