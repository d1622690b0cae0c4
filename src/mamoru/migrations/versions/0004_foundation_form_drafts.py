"""foundation: form drafts, what a staff member typed kept (encrypted, for minutes) while they sign in again

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:14:57.059134
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_form_drafts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_drafts'))
    )
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_drafts_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_form_drafts_key_hash'), ['key_hash'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_drafts_key_hash'))
        batch_op.drop_index(batch_op.f('ix_form_drafts_expires_at'))

    op.drop_table('form_drafts')
