"""followup: prefecture status published per measure (the public sees only published measures)

Revision ID: fu0003
Revises: fu0002
Create Date: 2026-11-29 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0003'
down_revision = 'fu0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fu_prefecture_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('published_at', mamoru.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measures.id'], name=op.f('fk_fu_prefecture_publications_measure_id_measures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fu_prefecture_publications')),
    sa.UniqueConstraint('measure_id', name=op.f('uq_fu_prefecture_publications_measure_id'))
    )


def downgrade() -> None:
    op.drop_table('fu_prefecture_publications')
