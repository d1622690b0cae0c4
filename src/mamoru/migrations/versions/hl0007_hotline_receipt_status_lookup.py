"""hotline: reporters look up a report's state with the receipt (hl_receipt_status function; receipts up to 32 characters)

Receipts drawn from now on carry 80 random bits, R<yymmdd>-XXXX-XXXX-XXXX-XXXX (27 characters:
hl_reports.receipt and hl_inbox.receipt widen from 24 to 32); the old R<yymmdd>-<8 hex> ones keep
resolving. On PostgreSQL, hl_receipt_status(receipt) answers received, assessed or acted_on (or
NULL) for one receipt: a SECURITY DEFINER function, so the public intake's database user, which
reads no case, report or inbox row, learns that one word and nothing else; EXECUTE is revoked from
PUBLIC and granted per role by `mamoru db roles` (mamoru.separation). Its rule is
hotline.workflow.public_status; tests/functional/hotline/test_report_status.py checks that the
two agree on every status. SQLite has no database users: the app asks the same with a query.

Revision ID: hl0007
Revises: hl0006
Create Date: 2026-12-03 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'hl0007'
down_revision = 'hl0006'
branch_labels = None
depends_on = None

STATUS_FUNCTION = """
CREATE OR REPLACE FUNCTION hl_receipt_status(wanted text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM public.hl_inbox WHERE receipt = wanted) THEN 'received'
    ELSE (SELECT CASE
                   WHEN c.status = 'queued' THEN 'received'
                   WHEN c.status IN ('notice_pending', 'removal_pending', 'removed') AND NOT c.police_hold
                     THEN 'acted_on'
                   WHEN c.status IN ('closed', 'referral_pending', 'forward_pending', 'notice_pending',
                                     'removal_pending', 'removed') THEN 'assessed'
                 END
          FROM public.hl_reports r JOIN public.hl_cases c ON c.id = r.case_id
          WHERE r.receipt = wanted)
  END
$$
"""


def upgrade() -> None:
    for table in ('hl_reports', 'hl_inbox'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('receipt', existing_type=sa.String(length=24), type_=sa.String(length=32),
                                  existing_nullable=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(STATUS_FUNCTION)
        op.execute('REVOKE ALL ON FUNCTION hl_receipt_status(text) FROM PUBLIC')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS hl_receipt_status(text)')
    for table in ('hl_inbox', 'hl_reports'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('receipt', existing_type=sa.String(length=32), type_=sa.String(length=24),
                                  existing_nullable=False)
