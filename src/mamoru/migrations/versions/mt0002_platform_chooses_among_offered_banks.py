"""matching: a platform chooses which of the banks offered to it it matches against

match_platform_banks rows are the banks an administrator offers a platform; `selected` says whether
the platform matches against each (existing rows: yes, as before).

Revision ID: mt0002
Revises: mt0001
Create Date: 2026-11-29 05:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'mt0002'
down_revision = 'mt0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('match_platform_banks') as batch:
        batch.add_column(sa.Column('selected', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('match_platform_banks') as batch:
        batch.drop_column('selected')
