"""foundation: failed logins keyed per client too (an HMAC of its address), and indexed by time for expiry

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 09:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempts_client_key'), ['client_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_at'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_client_key'))
        batch_op.drop_column('client_key')
