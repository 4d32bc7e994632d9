"""decision documents: when a document's render was last re-sent and how many times, so that the sweeper re-sends
one whose message the broker lost, at most five times (issue 10). Nullable: a decision queued before it counts from
its creation.

Revision ID: a3b4c5d6e7f8
Revises: d2e3f4a5b629
Create Date: 2026-11-27 21:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'a3b4c5d6e7f8'
down_revision: str | None = 'd2e3f4a5b629'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('document_resends', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('document_resends')
        batch_op.drop_column('document_queued_at')
