"""followup: errata of published rounds (a correction with its reason and date; the entry is kept as approved)

Revision ID: fu0008
Revises: fu0007
Create Date: 2026-12-03 12:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0008'
down_revision = 'fu0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fu_round_errata',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('text_ja', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('corrected_on', sa.Date(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['fu_entries.id'], name=op.f('fk_fu_round_errata_entry_id_fu_entries')),
    sa.ForeignKeyConstraint(['round_id'], ['fu_rounds.id'], name=op.f('fk_fu_round_errata_round_id_fu_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_round_errata'))
    )
    with op.batch_alter_table('fu_round_errata', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fu_round_errata_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fu_round_errata', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fu_round_errata_round_id'))
    op.drop_table('fu_round_errata')
