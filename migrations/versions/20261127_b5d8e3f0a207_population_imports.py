"""population imports: each file of denominators as imported, the figures it replaced kept as history

Revision ID: b5d8e3f0a207
Revises: a4c7d2e9f106
Create Date: 2026-11-27 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'b5d8e3f0a207'
down_revision: str | None = 'a4c7d2e9f106'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('population_import',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('imported_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('imported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['app_user.id'], name=op.f('fk_population_import_imported_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_import'))
    )
    with op.batch_alter_table('population_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_import_imported_at'), ['imported_at'], unique=False)
    op.create_table('population_revision',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('import_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('replaced_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('replaced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['population_import.id'], name=op.f('fk_population_revision_import_id_population_import')),
    sa.ForeignKeyConstraint(['replaced_by'], ['population_import.id'], name=op.f('fk_population_revision_replaced_by_population_import')),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_population_revision_ward_code_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_revision'))
    )
    with op.batch_alter_table('population_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_revision_replaced_by'), ['replaced_by'], unique=False)
    with op.batch_alter_table('population', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_population_import_id_population_import'), 'population_import',
                                    ['import_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('population', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_population_import_id_population_import'), type_='foreignkey')
        batch_op.drop_column('import_id')
    with op.batch_alter_table('population_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_revision_replaced_by'))
    op.drop_table('population_revision')
    with op.batch_alter_table('population_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_import_imported_at'))
    op.drop_table('population_import')
