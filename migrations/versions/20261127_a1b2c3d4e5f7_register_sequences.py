"""register sequences: the last register number of each ward and year in a row, so concurrent decisions get
distinct, gap-free numbers (ADR 24)

Revision ID: a1b2c3d4e5f7
Revises: f1c2d3e4a5b6
Create Date: 2026-11-27 17:45:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'a1b2c3d4e5f7'
down_revision: str | None = 'f1c2d3e4a5b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('register_sequence',
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_register_sequence_ward_code_ward')),
    sa.PrimaryKeyConstraint('ward_code', 'year', name=op.f('pk_register_sequence'))
    )
    # Until now a decision numbered from the count of the ward's certificates of the year: that count is the last
    # number given.
    op.get_bind().execute(sa.text(
        "INSERT INTO register_sequence (ward_code, year, last, updated_at) "
        "SELECT ward_code, year, count(*), :at FROM certificate GROUP BY ward_code, year"
    ).bindparams(sa.bindparam('at', datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())))


def downgrade() -> None:
    op.drop_table('register_sequence')
