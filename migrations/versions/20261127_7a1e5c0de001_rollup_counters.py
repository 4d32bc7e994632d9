"""roll-up counters: live certificates per ward, year and title (ADR 10)

Creates rollup_counter and fills it from the certificates already written (one GROUP BY over the live ones), in
the migration's transaction. From here on every transaction that sets or clears a live_key moves its counter.

Revision ID: 7a1e5c0de001
Revises: 58cccbf79794
Create Date: 2026-11-27 05:00:00.000000
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op


revision: str = '7a1e5c0de001'
down_revision: str | None = '58cccbf79794'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('rollup_counter',
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('live', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_rollup_counter_ward_code_ward')),
    sa.PrimaryKeyConstraint('ward_code', 'year', 'title_type', name=op.f('pk_rollup_counter'))
    )
    fill = sa.text(
        "INSERT INTO rollup_counter (ward_code, year, title_type, live, updated_at) "
        "SELECT ward_code, year, title_type, COUNT(*), :at FROM certificate WHERE live_key IS NOT NULL "
        "GROUP BY ward_code, year, title_type"
    ).bindparams(sa.bindparam('at', datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime()))
    op.get_bind().execute(fill)


def downgrade() -> None:
    op.drop_table('rollup_counter')
