"""application counters: applications per ward, year and state, kept by every change of state

The reviewer's queue counted a ward's applications per state on every page (44 ms for a ward of 130,000 on this
machine); the counters make that a read of a few rows (ADR 12). Filled here from the applications.

Revision ID: 4d6b0f8a0004
Revises: 3c5a9e7f0003
Create Date: 2026-11-27 07:30:00.000000
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '4d6b0f8a0004'
down_revision: str | None = '3c5a9e7f0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'application_counter',
        sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('applications', sa.Integer(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_application_counter_ward_code_ward')),
        sa.PrimaryKeyConstraint('ward_code', 'year', 'state', name=op.f('pk_application_counter')),
    )
    op.execute(sa.text(
        'INSERT INTO application_counter (ward_code, year, state, applications, updated_at) '
        'SELECT ward_code, year, state, COUNT(*), :at FROM application GROUP BY ward_code, year, state'
    ).bindparams(sa.bindparam('at', datetime.now(UTC), type_=sqlmodel.sql.sqltypes.UTCDateTime())))


def downgrade() -> None:
    op.drop_table('application_counter')
