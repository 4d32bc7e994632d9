"""applications: a short reference a citizen reads out at the counter (issue 11), unique; nullable, since
applications made before it have none (the synthetic city leaves it empty too).

Revision ID: b4c5d6e7f809
Revises: a3b4c5d6e7f8
Create Date: 2026-11-28 00:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'b4c5d6e7f809'
down_revision: str | None = 'a3b4c5d6e7f8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.create_unique_constraint('uq_application_reference', ['reference'])


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_constraint('uq_application_reference', type_='unique')
        batch_op.drop_column('reference')
