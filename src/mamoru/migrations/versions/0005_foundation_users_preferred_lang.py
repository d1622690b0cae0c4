"""foundation: each account's language (users.preferred_lang), for the mails sent to it

users.preferred_lang, 'ja' or 'en': the follow-up's reminders and the other mails to a known user
are written in it. Existing accounts get 'ja' (the installation's language until now was Japanese by
default); the user changes it on their account page, an administrator on the account's page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_lang', sa.String(length=2), nullable=False, server_default='ja'))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('preferred_lang')
