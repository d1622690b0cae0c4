"""followup: decisions and action items can be withdrawn (kept, with the reason in the correction log);
a round's due date extensions are kept with their reason; reminder mails sent to officers are
recorded, one per officer, round and kind

Revision ID: fu0007
Revises: fu0006
Create Date: 2026-12-03 12:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0007'
down_revision = 'fu0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('fu_decisions', 'fu_action_items'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('withdrawn_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=64), nullable=True))
    with op.batch_alter_table('fu_meeting_corrections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_fu_meeting_corrections_action_id_fu_action_items'),
                                    'fu_action_items', ['action_id'], ['id'])

    op.create_table('fu_round_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('due_before', sa.Date(), nullable=False),
    sa.Column('due_after', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['fu_rounds.id'], name=op.f('fk_fu_round_extensions_round_id_fu_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_round_extensions'))
    )
    with op.batch_alter_table('fu_round_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fu_round_extensions_round_id'), ['round_id'], unique=False)

    op.create_table('fu_round_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('open_entries', sa.Integer(), nullable=False),
    sa.Column('sent_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['fu_rounds.id'], name=op.f('fk_fu_round_reminders_round_id_fu_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_round_reminders')),
    sa.UniqueConstraint('round_id', 'username', 'kind', name=op.f('uq_fu_round_reminders_round_id'))
    )
    with op.batch_alter_table('fu_round_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fu_round_reminders_round_id'), ['round_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fu_round_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fu_round_reminders_round_id'))
    op.drop_table('fu_round_reminders')
    with op.batch_alter_table('fu_round_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fu_round_extensions_round_id'))
    op.drop_table('fu_round_extensions')
    with op.batch_alter_table('fu_meeting_corrections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fu_meeting_corrections_action_id_fu_action_items'), type_='foreignkey')
        batch_op.drop_column('action_id')
    for table in ('fu_action_items', 'fu_decisions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('withdrawn_by')
            batch_op.drop_column('withdrawn_at')
