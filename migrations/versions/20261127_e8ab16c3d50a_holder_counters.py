"""holder counters: holders of each indicator per ward and year, broken down; the citizen's tổ dân phố/thôn

Revision ID: e8ab16c3d50a
Revises: d7fa05b2c409
Create Date: 2026-11-27 15:10:00

The counters start empty: `flask rollup rebuild` fills them from the certificates and attainments (an existing
database runs it once after this migration; a new one has nothing to count).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'e8ab16c3d50a'
down_revision: str | None = 'd7fa05b2c409'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('holder_counter',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('breakdown', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('aged_15_plus', sa.Boolean(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_holder_counter_ward_code_ward')),
    sa.PrimaryKeyConstraint('year', 'breakdown', 'indicator', 'bucket', 'ward_code', 'aged_15_plus',
                            name=op.f('pk_holder_counter'))
    )
    with op.batch_alter_table('citizen') as batch_op:
        batch_op.add_column(sa.Column('hamlet', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table('application') as batch_op:
        batch_op.add_column(sa.Column('hamlet', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('application') as batch_op:
        batch_op.drop_column('hamlet')
    with op.batch_alter_table('citizen') as batch_op:
        batch_op.drop_column('hamlet')
    op.drop_table('holder_counter')
