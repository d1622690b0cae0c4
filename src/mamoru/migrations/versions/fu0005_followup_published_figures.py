"""followup: figures other domains compute for the plan's indicators, published for every process

Revision ID: fu0005
Revises: fu0004
Create Date: 2026-12-02 06:10:30.523767
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0005'
down_revision = 'fu0004'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('fu_published_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('period_type', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('computed_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_published_figures')),
    sa.UniqueConstraint('provider', 'period_type', 'period', 'category', name=op.f('uq_fu_published_figures_provider'))
    )
    with op.batch_alter_table('fu_published_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fu_published_figures_provider'), ['provider'], unique=False)

    # ### end Alembic commands ###

def downgrade() -> None:
    with op.batch_alter_table('fu_published_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fu_published_figures_provider'))

    op.drop_table('fu_published_figures')
