"""digital test attempts: the built-in basic test's sittings (form drawn, answers saved, score once submitted)

Revision ID: 0f4fdd5b6a1d
Revises: 435b4518bb7e
Create Date: 2026-11-27 10:31:08.802173
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '0f4fdd5b6a1d'
down_revision: str | None = '435b4518bb7e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('digital_test_attempt',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('citizen_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('bank_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('framework_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('item_ids', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('correct', sa.Integer(), nullable=True),
    sa.Column('overall', sa.Float(), nullable=True),
    sa.Column('by_area', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('attainment_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['attainment_id'], ['digital_attainment.id'], name=op.f('fk_digital_test_attempt_attainment_id_digital_attainment')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_digital_test_attempt_citizen_id_citizen')),
    sa.ForeignKeyConstraint(['framework_id'], ['digital_framework.id'], name=op.f('fk_digital_test_attempt_framework_id_digital_framework')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_test_attempt'))
    )
    with op.batch_alter_table('digital_test_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_digital_test_attempt_citizen_started', ['citizen_id', 'started_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('digital_test_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_digital_test_attempt_citizen_started')

    op.drop_table('digital_test_attempt')
