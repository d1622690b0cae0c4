"""followup: indicator values reviewed (draft, approved, withdrawn with a reason; corrections), each
indicator's periodicity and value range, the shipped indicators linked to their measures, and the
WePROTECT mapping proposed until the plan office confirms it

Values already held were public before review existed: they become approved. Links already made by
the plan office are confirmed. The shipped indicators whose measures were never linked get the links
the reference data now ships (only where nobody linked them since).

Revision ID: fu0006
Revises: fu0005
Create Date: 2026-12-03 12:50:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import mamoru.db

revision = 'fu0006'
down_revision = 'fu0005'
branch_labels = None
depends_on = None

MONTHLY = ("icsa-addresses", "icsa-isps")
# code -> (measures, pillars) as the reference data now ships them (src/mamoru/data/followup/indicators.yaml)
LINKS = {
    "prefectures-jk-ordinance": (["bp17-5-01"], [5]),
    "jk-business-count": (["bp17-4-02", "bp17-5-01"], [4, 5]),
    "cp-victims": (["bp17-5-02", "bp17-6-01"], [1, 3, 5, 6]),
    "cp-cases-cleared": (["bp17-5-02", "bp17-6-01"], [5, 6]),
    "cpros-victims": (["bp17-5-02"], [1, 5]),
    "cpros-broad-victims": (["bp17-5-02"], [1, 5]),
    "sns-victims": (["bp17-3-03", "bp17-2-01"], [2, 3]),
    "ihc-reports": (["bp17-1-02", "bp17-3-02"], [1, 3]),
    "ihc-illegal": (["bp17-1-02", "bp17-3-02"], [1, 3]),
    "ihc-deletion-compliance": (["bp17-1-02", "bp17-3-02"], [1, 3]),
    "ihc-cp-display": (["bp17-1-02", "bp17-3-02"], [1, 3]),
    "ihc-sent-abroad": (["bp17-1-03", "bp17-1-04"], [1]),
    "icsa-addresses": (["bp17-3-02"], [3]),
    "icsa-isps": (["bp17-3-02"], [3]),
    "minors-filtering-share": (["bp17-3-01", "bp17-2-01"], [2, 3]),
    "victims-by-age": (["bp17-5-02", "bp17-6-03"], [1, 5, 6]),
}
AGE_BANDS = ["preschool", "elementary", "junior-high", "high-school", "other"]


def upgrade() -> None:
    with op.batch_alter_table('fu_indicators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('periodicity', sa.String(length=16), nullable=False, server_default='yearly'))
        batch_op.add_column(sa.Column('scale', sa.String(length=16), nullable=False, server_default='count'))
    with op.batch_alter_table('fu_indicator_values', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.String(length=16), nullable=False, server_default='approved'))
        batch_op.add_column(sa.Column('corrects_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('approved_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_fu_indicator_values_corrects_id_fu_indicator_values'),
                                    'fu_indicator_values', ['corrects_id'], ['id'])
    with op.batch_alter_table('fu_measure_capabilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', mamoru.db.UTCDateTime(timezone=True), nullable=True))
    _data()


def _data() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE fu_indicator_values SET approved_by = entered_by, approved_at = entered_at"))
    bind.execute(sa.text("UPDATE fu_measure_capabilities SET confirmed_by = mapped_by, "
                         "confirmed_at = CURRENT_TIMESTAMP"))
    bind.execute(sa.text("UPDATE fu_indicators SET scale = 'percent' WHERE unit_en = '%'"))
    bind.execute(sa.text("UPDATE fu_indicators SET scale = 'quantity' WHERE unit_en = 'days'"))
    for code in MONTHLY:
        bind.execute(sa.text("UPDATE fu_indicators SET periodicity = 'monthly' WHERE code = :c"), {"c": code})
    rows = bind.execute(sa.text("SELECT id, code, measures, breakdown FROM fu_indicators")).all()
    for ind_id, code, measures, breakdown in rows:
        linked = json.loads(measures) if isinstance(measures, str) else (measures or [])
        if code in LINKS and not linked:
            new_measures, pillars = LINKS[code]
            bind.execute(sa.text("UPDATE fu_indicators SET measures = :m, pillars = :p WHERE id = :i"),
                         {"m": json.dumps(new_measures), "p": json.dumps(pillars), "i": ind_id})
        bands = json.loads(breakdown) if isinstance(breakdown, str) else (breakdown or [])
        if code == "victims-by-age" and bands == AGE_BANDS:  # category keys now name their dimension
            bind.execute(sa.text("UPDATE fu_indicators SET breakdown = :b WHERE id = :i"),
                         {"b": json.dumps([f"age:{b}" for b in AGE_BANDS]), "i": ind_id})


def downgrade() -> None:
    with op.batch_alter_table('fu_measure_capabilities', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('confirmed_by')
    with op.batch_alter_table('fu_indicator_values', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fu_indicator_values_corrects_id_fu_indicator_values'), type_='foreignkey')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('approved_at')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('corrects_id')
        batch_op.drop_column('review')
    with op.batch_alter_table('fu_indicators', schema=None) as batch_op:
        batch_op.drop_column('scale')
        batch_op.drop_column('periodicity')
