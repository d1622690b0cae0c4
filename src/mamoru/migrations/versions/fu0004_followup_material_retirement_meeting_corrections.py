"""followup: awareness material can be retired (kept, never shown again); corrections of meetings and
decisions are kept with their reason and the values before and after

Revision ID: fu0004
Revises: fu0003
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0004'
down_revision = 'fu0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fu_awareness_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_by', sa.String(length=64), nullable=True))

    op.create_table('fu_meeting_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['fu_decisions.id'], name=op.f('fk_fu_meeting_corrections_decision_id_fu_decisions')),
    sa.ForeignKeyConstraint(['meeting_id'], ['fu_meetings.id'], name=op.f('fk_fu_meeting_corrections_meeting_id_fu_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_meeting_corrections'))
    )
    with op.batch_alter_table('fu_meeting_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fu_meeting_corrections_meeting_id'), ['meeting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fu_meeting_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fu_meeting_corrections_meeting_id'))

    op.drop_table('fu_meeting_corrections')
    with op.batch_alter_table('fu_awareness_materials', schema=None) as batch_op:
        batch_op.drop_column('retired_by')
        batch_op.drop_column('retired_at')
