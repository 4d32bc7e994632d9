"""unit figures: the plan's unit-level indicators entered per ward or for the city and period, with history

Revision ID: f1c2d3e4a5b6
Revises: e8ab16c3d50a
Create Date: 2026-11-27 16:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'f1c2d3e4a5b6'
down_revision: str | None = 'e8ab16c3d50a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WARD = sa.text("superseded_at IS NULL AND ward_code IS NOT NULL")
CITY = sa.text("superseded_at IS NULL AND ward_code IS NULL")


def upgrade() -> None:
    op.create_table('unit_figure',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('achieved', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('source_note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('entered_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('entered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('superseded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('superseded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['entered_by'], ['app_user.id'], name=op.f('fk_unit_figure_entered_by_app_user')),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_unit_figure_ward_code_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_figure'))
    )
    op.create_index('uq_unit_figure_ward_in_force', 'unit_figure', ['indicator', 'year', 'period', 'ward_code'],
                    unique=True, postgresql_where=WARD, sqlite_where=WARD)
    op.create_index('uq_unit_figure_city_in_force', 'unit_figure', ['indicator', 'year', 'period'], unique=True,
                    postgresql_where=CITY, sqlite_where=CITY)


def downgrade() -> None:
    op.drop_index('uq_unit_figure_city_in_force', table_name='unit_figure')
    op.drop_index('uq_unit_figure_ward_in_force', table_name='unit_figure')
    op.drop_table('unit_figure')
