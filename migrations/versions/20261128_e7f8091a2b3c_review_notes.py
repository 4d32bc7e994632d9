"""applications: the reviewer's notes on single activities, shown to the citizen next to each (issue 11).

Revision ID: e7f8091a2b3c
Revises: d6e7f8091a2b
Create Date: 2026-11-28 01:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e7f8091a2b3c'
down_revision: str | None = 'd6e7f8091a2b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_notes', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('review_notes')
