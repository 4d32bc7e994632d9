"""attainments by recorder: a learning centre's staff list what they recorded, newest first

Revision ID: 8e3f1c2a7b05
Revises: 0f4fdd5b6a1d
Create Date: 2026-11-27 13:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '8e3f1c2a7b05'
down_revision: str | None = '0f4fdd5b6a1d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.create_index('ix_digital_attainment_recorded_by_created', ['recorded_by', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.drop_index('ix_digital_attainment_recorded_by_created')
