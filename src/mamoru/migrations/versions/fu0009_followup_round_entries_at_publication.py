"""followup: a round keeps how many entries it had when published (the coverage line's "of all M entries";
the portal's database user sees the accepted entries only)

Revision ID: fu0009
Revises: fu0008
Create Date: 2026-12-04 20:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'fu0009'
down_revision = 'fu0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fu_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entries_at_publication', sa.Integer(), nullable=True))
    # rounds published before: their entries no longer change, so today's count is the count then
    op.execute("UPDATE fu_rounds SET entries_at_publication = "
               "(SELECT count(*) FROM fu_entries WHERE fu_entries.round_id = fu_rounds.id) WHERE state = 'published'")


def downgrade() -> None:
    with op.batch_alter_table('fu_rounds', schema=None) as batch_op:
        batch_op.drop_column('entries_at_publication')
