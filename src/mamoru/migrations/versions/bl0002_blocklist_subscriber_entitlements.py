"""blocklist: what each subscriber may fetch (every format, or the hashed list only)

Revision ID: bl0002
Revises: bl0001
Create Date: 2026-12-04 09:30:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'bl0002'
down_revision = 'bl0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blocklist_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('entitlement', sa.String(length=16), nullable=False),
    sa.Column('set_by', sa.String(length=64), nullable=False),
    sa.Column('set_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_blocklist_subscriptions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocklist_subscriptions')),
    sa.UniqueConstraint('user_id', name=op.f('uq_blocklist_subscriptions_user_id'))
    )


def downgrade() -> None:
    op.drop_table('blocklist_subscriptions')
