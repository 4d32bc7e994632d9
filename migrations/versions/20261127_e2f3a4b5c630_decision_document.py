"""decision document: the decision's own PDF with its attached list (ADR 30): status, storage key and SHA-256.
Decisions recorded before have no document (status NULL).

Revision ID: e2f3a4b5c630
Revises: d1e2f3a4b529
Create Date: 2026-11-27 19:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'e2f3a4b5c630'
down_revision: str | None = 'd1e2f3a4b529'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch_op.add_column(sa.Column('document_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('document_sha256')
        batch_op.drop_column('document_key')
        batch_op.drop_column('document_status')
