"""decision number unique per ward and calendar year of signing

Decision numbers restart every calendar year (Nghị định 30/2020): "125/QĐ-UBND" signed in 2026 may follow the one
signed in 2025. The year a number belongs to is the year of signing (number_year), which is not always the year the
decision recognises (a decision for 2026 may be signed in January 2027). Downgrading fails if a ward has reused a
number in another year (the old rule cannot hold such rows).

Revision ID: 58cccbf79794
Revises: 19a739b0b9e1
Create Date: 2026-11-27 04:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = '58cccbf79794'
down_revision: str | None = '19a739b0b9e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_year', sa.Integer(), nullable=True))
    signed_year = ("CAST(strftime('%Y', signed_on) AS INTEGER)" if op.get_bind().dialect.name == 'sqlite'
                   else "CAST(EXTRACT(YEAR FROM signed_on) AS INTEGER)")
    op.execute(f"UPDATE decision SET number_year = {signed_year}")
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.alter_column('number_year', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('uq_decision_ward_number', type_='unique')
        batch_op.create_unique_constraint('uq_decision_ward_number_year_number',
                                          ['ward_code', 'number_year', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_decision_ward_number_year_number', type_='unique')
        batch_op.create_unique_constraint('uq_decision_ward_number', ['ward_code', 'number'])
        batch_op.drop_column('number_year')
