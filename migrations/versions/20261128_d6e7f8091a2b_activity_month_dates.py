"""activities: whether the day of each date is known, so that an activity remembered by its month and year only is
shown as 03/2026 (issue 11). Existing activities had full dates.

Revision ID: d6e7f8091a2b
Revises: c5d6e7f8091a
Create Date: 2026-11-28 01:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd6e7f8091a2b'
down_revision: str | None = 'c5d6e7f8091a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_day_known', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('ended_day_known', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_column('ended_day_known')
        batch_op.drop_column('started_day_known')
