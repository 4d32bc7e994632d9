"""campaigns: a year's registration, self-assessment, review and report dates, for the city or one ward

Revision ID: a7c3e5f9b10c
Revises: b2c3d4e5f6a8
Create Date: 2026-11-27 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'a7c3e5f9b10c'
down_revision: str | None = 'b2c3d4e5f6a8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WARD = sa.text("ward_code IS NOT NULL")
CITY = sa.text("ward_code IS NULL")


def upgrade() -> None:
    op.create_table('campaign',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('registration_opens', sa.Date(), nullable=False),
    sa.Column('registration_closes', sa.Date(), nullable=False),
    sa.Column('self_assessment_opens', sa.Date(), nullable=False),
    sa.Column('self_assessment_closes', sa.Date(), nullable=False),
    sa.Column('review_deadline', sa.Date(), nullable=False),
    sa.Column('mid_year_report_on', sa.Date(), nullable=False),
    sa.Column('year_end_report_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_campaign_closed_by_app_user')),
    sa.ForeignKeyConstraint(['updated_by'], ['app_user.id'], name=op.f('fk_campaign_updated_by_app_user')),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_campaign_ward_code_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    op.create_index('uq_campaign_ward', 'campaign', ['year', 'ward_code'], unique=True, postgresql_where=WARD,
                    sqlite_where=WARD)
    op.create_index('uq_campaign_city', 'campaign', ['year'], unique=True, postgresql_where=CITY,
                    sqlite_where=CITY)


def downgrade() -> None:
    op.drop_index('uq_campaign_city', table_name='campaign')
    op.drop_index('uq_campaign_ward', table_name='campaign')
    op.drop_table('campaign')
