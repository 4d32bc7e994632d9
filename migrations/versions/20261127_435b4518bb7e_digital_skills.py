"""digital skills: published framework versions, citizens' attainments, holders per ward and year

The plan's second target (ADR 15). Attainments change state through the state table; the counters hold the
distinct citizens of a ward holding basic digital skills in a year, moved by the same transactions.

Revision ID: 435b4518bb7e
Revises: 4d6b0f8a0004
Create Date: 2026-11-27 09:36:16.071689
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '435b4518bb7e'
down_revision: str | None = '4d6b0f8a0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digital_framework',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('publisher', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('registered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_framework'))
    )
    op.create_table('digital_counter',
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_digital_counter_ward_code_ward')),
    sa.PrimaryKeyConstraint('ward_code', 'year', name=op.f('pk_digital_counter'))
    )
    op.create_table('digital_attainment',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('citizen_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('framework_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('counts', sa.Boolean(), nullable=False),
    sa.Column('achieved_on', sa.Date(), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('last_year', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('course', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('evidence_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('verified_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_digital_attainment_citizen_id_citizen')),
    sa.ForeignKeyConstraint(['framework_id'], ['digital_framework.id'], name=op.f('fk_digital_attainment_framework_id_digital_framework')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_digital_attainment_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['verified_by'], ['app_user.id'], name=op.f('fk_digital_attainment_verified_by_app_user')),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_digital_attainment_ward_code_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_attainment')),
    sa.UniqueConstraint('source', 'external_id', name='uq_digital_attainment_source_external_id')
    )
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digital_attainment_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index('ix_digital_attainment_ward_state', ['ward_code', 'state', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.drop_index('ix_digital_attainment_ward_state')
        batch_op.drop_index(batch_op.f('ix_digital_attainment_citizen_id'))

    op.drop_table('digital_attainment')
    op.drop_table('digital_counter')
    op.drop_table('digital_framework')
