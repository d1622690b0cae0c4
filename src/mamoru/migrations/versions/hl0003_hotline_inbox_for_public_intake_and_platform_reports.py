"""hotline: hl_inbox, reports accepted by processes that may not touch cases (public intake, platform match reports)

The public intake process and the matcher insert here and read nothing; the hotline worker turns
each row into a report and case with the same receipt and deletes the row in the same transaction.

Revision ID: hl0003
Revises: hl0002
Create Date: 2026-11-30 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'hl0003'
down_revision = 'hl0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hl_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=24), nullable=False),
    sa.Column('received_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('where_found', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact', sa.Text(), nullable=False),
    sa.Column('immediate_danger', sa.Boolean(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('matches', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['users.id'], name=op.f('fk_hl_inbox_platform_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hl_inbox')),
    sa.UniqueConstraint('receipt', name=op.f('uq_hl_inbox_receipt'))
    )


def downgrade() -> None:
    op.drop_table('hl_inbox')
