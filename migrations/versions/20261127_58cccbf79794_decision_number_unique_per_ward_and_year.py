"""decision number unique per ward and year

Decision numbers restart every year (Nghị định 30/2020), so "125/QĐ-UBND" of 2026 may follow the one of 2025.
Downgrading fails if a ward has reused a number in another year (the old rule cannot hold such rows).

Revision ID: 58cccbf79794
Revises: 19a739b0b9e1
Create Date: 2026-11-27 04:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = '58cccbf79794'
down_revision: str | None = '19a739b0b9e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_decision_ward_number', type_='unique')
        batch_op.create_unique_constraint('uq_decision_ward_year_number', ['ward_code', 'year', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_decision_ward_year_number', type_='unique')
        batch_op.create_unique_constraint('uq_decision_ward_number', ['ward_code', 'number'])
